// Found by `npm run test:faults` (SEED=1404, shrunk). n3 is cut off one way for 6 s; n1 and n3 each fail over
// s1 (owned by n2, whose client stays connected). After the heal n1 received the state of n3's copy before
// n2's own, and n3 that of n1's copy; both kept the copy (same claim, owner running), ignored n2's state and
// its messages, and dropped the copy when it was handed on. When n2 crashed, its backup n3 had no replica:
// s1's session was gone (session present 0) and a QoS 1 message acknowledged for it was lost. Now the state
// from the node where that connection is live replaces a copy of the same claim (claims rank live first too).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-live-owner-replica',
  description:
    'a replica follows the node where its connection is live, not a failed-over copy that reached it first',
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
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [{ at: 4501, existing: false, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 3, expiry: 86400, at: 0, end: 'kill', backAfter: 1000 },
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: 8000 },
        ],
      },
      [
        { at: 5798, kind: 'partition', oneWay: true, a: ['n5'], b: ['n1', 'n2', 'n3', 'n4'] },
        { at: 10501, kind: 'partition', oneWay: true, a: ['n3'], b: ['n1', 'n2', 'n4', 'n5'] },
        { at: 16501, kind: 'heal' },
        { at: 39501, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
