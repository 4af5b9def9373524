// Found by `npm run test:faults` (SEED=1404, shrunk). c0 connects twice at once while n1 is cut off one way
// (split-connect): one process on n1, one on n4; n2 fails n1's copy over. At the heal the copies merge into
// the survivor on n1 by several paths: n2's handoff followed on by n4, and forwards kept for n2 passed on
// behind it; p2:18 came by one, the older p2:7 by the other, both after the takeover. The split-connect order
// rule now sets no order among what the merge brings from the takeover until the overlap settled (1 s).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-merge-paths',
  description:
    'what the merge of split-connect copies brings to the survivor by several paths has no order among it',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [{ at: 5501, existing: false, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
        ],
      },
      [
        { at: 5798, kind: 'partition', oneWay: true, a: ['n5'], b: ['n1', 'n2', 'n3', 'n4'] },
        { at: 11001, kind: 'partition', oneWay: false, a: ['n4', 'n3'], b: ['n1', 'n2', 'n5'] },
        { at: 16501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
