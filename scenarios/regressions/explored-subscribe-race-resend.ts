// Found by `npm run test:faults` (SEED=1909, shrunk). Checker correction: n1 is paused with s0's SUBSCRIBE u/#
// and p0's PUBLISH p0:2 on u/p0 (sent at the same instant) in its inbox; it took the PUBLISH first, so s0 was
// not owed it. n1 never acknowledged p0's messages (a clog held its peer's confirmation) and crashed; p0 resent
// them on n2 and s0 got p0:2 after p0:5. The order checker now leaves a message published before any
// subscription matching it was acknowledged out of its judgment (`before-subscribe`).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-subscribe-race-resend',
  description: 'a message published before the matching SUBACK and resent later is not judged for order',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [{ at: 0, sub: 0 }],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 100 },
        { at: 1, kind: 'clog', a: 'n1', b: 'n3', releaseAfter: 1501 },
        { at: 2001, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
