// Found by test:faults SEED=2202 (after 42): a SUBSCRIBE sent to a paused node was read by it on waking, after
// the client had given up on the connection (keepalive) and resumed on another node; the session moved there
// with the subscription, and messages kept during the pause reached it after newer ones. The SUBSCRIBE was never
// acknowledged: nothing on its topics is owed, so no order (the order checker counts them as before-subscribe).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-unanswered-subscribe',
  description: 'a subscription whose SUBACK never came sets no order on its topics',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 5,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 3, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [
          { node: 4, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [{ at: 26001, sub: 0 }],
        retained: [],
        wills: [],
      },
      [{ at: 16501, kind: 'pause', node: 'n4', resumeAfter: 19501 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
