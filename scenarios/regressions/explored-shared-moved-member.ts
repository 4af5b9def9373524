// Found by `npm run test:faults` (SEED=1101, shrunk). A one-way cut makes n2 fail over n1's sessions, so
// the failed-over copy of s0, the only member of share group g2, serves g2 on n2. At the heal n2 hands
// it back to n1, where s0 is connected; n1 had just picked n2 for p0:14 (round robin) and its forward
// reached n2 after the member left: acknowledged, delivered to no one. Now a share-group forward no member
// here serves follows a member that moved on from here (F.Moved).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-shared-moved-member',
  description: 'a share-group forward reaching a node its member just left follows the member',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g2' }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
        ],
      },
      [
        { at: 6166, kind: 'partition', oneWay: true, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
        { at: 11501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
