// Found by `npm run test:faults` (SEED=606, shrunk). Fixed by subscription epochs: n1-n2 clogged 1 s; c0
// connects to n3 and n1 at once, subscribes on both, and n1 hands its session to n3. p0:1, published on n2
// before c0 subscribed and forwarded to n1 for s0, arrives when the clog ends; n1 passes it on to c0's new
// home (moved-session follow), after p0:2 went there directly: c0 got p0:1 after p0:2. Now the forward
// carries the epoch of n1 that n2 knew, older than c0's subscription on n1, so n1 does not pass it on.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-clog-moved-forward-order',
  description:
    'a forward sent before the subscription does not reach the moved session late, after newer ones',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 1, version: 5, qos: 1 }],
        collisions: [{ at: 0, existing: false, nodes: [2, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 0, kind: 'clog', a: 'n5', b: 'n1', releaseAfter: 501 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
