// Found by `npm run test:faults` (SEED=1001, second sweep, shrunk). Not a broker bug: n2, holding s0's replica,
// crashes and comes back empty behind a one-way cut that keeps it from getting the replica again; then n1, the
// owner, crashes. Every copy of the session is gone one after the other, so s0 comes back with session present
// 0, and what was published for the old session was reported lost. Without data dirs that is a whole-cluster
// outage for this session; the swarm judges it so (lostAlone, replicasLost).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-every-copy-lost',
  description: 'every copy of a session lost one after the other is judged as in a whole-cluster outage',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n4', mode: 'process', restartAfter: 1000 },
        { at: 0, kind: 'skew', node: 'n1', ms: 0 },
        { at: 14, kind: 'partition', oneWay: true, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
        { at: 1001, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
