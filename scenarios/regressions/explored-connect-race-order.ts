// Found by `npm run test:faults` (SEED=1505, shrunk). n1 is paused 12 s; c0 opens two connections to it at the
// same instant (an id collision) and a QoS 0 publisher keeps publishing. When n1 wakes it accepts one of them,
// sends it p0:40, then the other takes the session over and gets p0:41; the client received p0:41 on the
// second connection before p0:40 arrived on the first. The broker kept the order; the order checker now sets
// none between two connections of one id that raced, while both are open (`connect-race-order`).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-connect-race-order',
  description:
    'two connections of one id that raced get their messages at their own pace: no order between them',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 0 }],
        collisions: [{ at: 38501, existing: true, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 27501, kind: 'pause', node: 'n1', resumeAfter: 12001 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
