// Found by `npm run test:faults` (SEED=1606, shrunk). n1 loses power with s0's session and restarts empty a
// second later; n2 (its backup) fails s0 over, then is paused 4.5 s. n4 held its replica of n1's session and
// ignored n2's copy (same claim, and n1 counted as running: its new life). s0 resumed on n4 from that stale
// replica, waited 3 s for the paused n2, sent newer messages, and n2's handoff brought the older ones after them.
// A restarted owner's replicas now count as of its previous life: a copy of the same claim replaces them.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restarted-owner-replica',
  description: 'a replica of an owner that restarted since is replaced by a copy of the same claim',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 1000 },
        { at: 7501, kind: 'pause', node: 'n2', resumeAfter: 4001 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
