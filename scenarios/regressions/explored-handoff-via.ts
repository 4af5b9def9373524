// Found by `npm run test:faults` (SEED=1404, shrunk). c0 connects twice at once across a split (n2, n3, n4 | n1)
// and n3 fails its session over too. At the heal the live session on n1 waits for the offline copies of n3
// and n4; n3 hands its copy to n4, whose session then goes to n1 with both inside. n1 kept waiting for a
// handoff from n3 that never came and sent nothing for 3 s, then the copy's older messages after newer ones.
// A handoff now names the copies it took in just before (`via`); the receiver counts them as in.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-handoff-via',
  description:
    'a handoff carrying the copy of another node counts for that node too: the live session does not wait 3 s for it',
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
        { at: 0, kind: 'partition', oneWay: false, a: ['n2', 'n4', 'n3'], b: ['n1', 'n5'] },
        { at: 11001, kind: 'partition', oneWay: false, a: ['n3'], b: ['n1', 'n2', 'n4', 'n5'] },
        { at: 16501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
