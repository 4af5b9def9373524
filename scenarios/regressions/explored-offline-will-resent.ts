// Found by `npm run test:faults` (SEED=1808, shrunk). w0 (will delay 10 s) loses its connection to n1 while n2
// crashes; n2 restarts empty. The will is pending in w0's offline session on n1, but a link-up resent only
// the wills of connected clients, so n2 never held it; after a clog n1 handed the session (and with it the
// will) to n2's failed-over copy, which had none: never published. A link-up now resends pending wills of
// offline sessions too.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-offline-will-resent',
  description: 'a pending will of an offline session is sent again to a peer that comes back',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 10,
            expiry: 86400,
            at: 0,
            end: 'kill',
            backAfter: null,
          },
        ],
      },
      [
        { at: 0, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
        { at: 2501, kind: 'clog', a: 'n4', b: 'n1', releaseAfter: 4501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
