// Found by `npm run test:faults` (SEED=404, shrunk). Checker correction: n2 is paused 9.5 s; c0
// connects to n2 and n1 at once; n1 serves it (p0:29..32) while p0:28, published before c0 subscribed, is
// kept for n2 (cut off, routes unknown). n2 wakes, c0's connection there wins, and n1 releases p0:28..32 to
// n2 with the handoff: c0 got p0:28 after p0:32. The connection on n2 started a new session (session
// present 0): order is judged per session, so what the old session got sets no order for it.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-pause-stale-order',
  description:
    'a message kept for a paused node does not reach a session that subscribed after it was published',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [{ at: 26501, existing: false, nodes: [3, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 21001, kind: 'pause', node: 'n4', resumeAfter: 9501 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
