// Found by `npm run test:faults` (SEED=1606, shrunk). s0 subscribes to u/# on n1 as n1 is cut off from n2; at
// the heal p0:62 (u/p0, published on n2) is kept for n1 and sent once n1's routes are back, and n2 hands back
// its failed-over copy of s0 with later t/p0 messages from n2. A rule of this stop (a kept message skips a
// session that already had a later message from its origin) dropped p0:62: acknowledged and lost. That rule is
// gone; a kept message reaches every subscription made during the cut again.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-subscribe-kept',
  description:
    'a message kept for a node during a cut reaches a subscription made there during the cut although the session had later messages on another topic',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [
          { node: 3, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [{ at: 16501, sub: 0 }],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'skew', node: 'n1', ms: 0 },
        { at: 16795, kind: 'partition', oneWay: false, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
        { at: 39501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
