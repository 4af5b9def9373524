// Found by `npm run test:faults` (SEED=1404 and 1606 on the final code, after the QoS 2 guard). Checker correction:
// n2 (the replica holder) is paused while p0 publishes p0:1 at QoS 2 on n1, so n1 holds the PUBLISH to s0 for
// n2's confirmation and then crashes. s0 resumes on n2 and gets p0:1 from the replica; p0 (Clean Start)
// connects to n2 with a new session and sends p0:1 again as a new message, which s0 gets too. Exactly once needs
// the publisher's session as well [MQTT-4.3.3]: that copy is counted as `qos2-publisher-new-session`.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-qos2-publisher-new-session',
  description: 'a QoS 2 copy a publisher sends again on a new session is counted, not a broker duplicate',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 2, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [
          { node: 0, version: 5, qos: 2 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'pause', node: 'n2', resumeAfter: 100 },
        { at: 1, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
