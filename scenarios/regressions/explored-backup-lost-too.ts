// Found by `npm run test:faults` (shrunk): n1 (owner of s0's session) and n2 (its backup) crash together;
// n3 noticed n1's loss first, while n2 still counted as its backup, so nobody took the session over. n1
// restarted empty behind a one-way cut; s0 came back there with no session, and what p0 published before
// s0 subscribed again reached no one, acknowledged. Fixed: when a node is lost, owners lost earlier whose
// backup it was fail over to their next backup (core/cluster/failover.ts).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-backup-lost-too',
  description: 'an owner and its backup lost together: the next backup takes the sessions over',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
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
        { at: 0, kind: 'crash', node: 'n5', mode: 'process', restartAfter: 1000 },
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 9, kind: 'partition', oneWay: true, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
