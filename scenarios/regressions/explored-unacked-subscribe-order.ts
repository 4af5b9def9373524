// Found by `npm run test:faults` (SEED=2202 RUNS=400, after 43 schedules; fails the same on the code before this
// branch). Checker correction (order): s0's node n4 is paused 20 s; s0 sends SUBSCRIBE u/# into it, gives up on
// the connection before any SUBACK (keep alive) and resumes its session on n1 from n5's failed-over copy. n4
// wakes, reads the SUBSCRIBE (what a client sent while the node was frozen is still read), and hands the session
// with u/# to n1; the u/ messages n5 kept while n4 was unreachable come after p0:59. The subscription was never
// acknowledged, so nothing it brings was published after a SUBACK: not owed, not judged for order
// (`before-subscribe`), as the order checker's rule says; it judged them because it only knew acknowledged filters.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-unacked-subscribe-order',
  description: 'what a SUBSCRIBE never acknowledged brings (read by a paused node on waking) sets no order',
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
