// Found by `npm run test:faults`: no-acked-loss: p1:71 (QoS 1 on u/p1) acknowledged at 47010.1 ms never reached s0.
// s0 on n1 subscribes to u/# again (same filter) while p1 on n2 publishes to u/p1: the re-subscribe withdrew
// the route and announced it again, and n2 routed the message in between to nobody.
// Replay: npx sim run <this file> --seed 54430
import { defineScenario, playSwarm } from '../../sim/index.ts';

export default defineScenario({
  name: 'explored-resubscribe-route',
  description:
    'a generated workload and fault schedule, shrunk by hand: a late re-subscribe of the same filter',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 0, group: null },
          { node: 0, version: 5, clean: true, expiry: 86400, qos: 1, group: 'g1' },
        ],
        pubs: [
          { node: 0, version: 5, qos: 0 },
          { node: 3, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 0 },
        ],
        collisions: [],
        lateSubs: [
          { at: 45501, sub: 0 },
          { at: 13501, sub: 0 },
        ],
        retained: [
          { at: 0, topic: 0 },
          { at: 0, topic: 0 },
        ],
        wills: [],
      },
      [{ at: 0, kind: 'heal' }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
  },
});
