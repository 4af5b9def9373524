// Found by `npm run test:faults` (SEED=1101, shrunk). Checker correction: n1-n2 clogged 6 s; n2 takes n1
// for dead and publishes the will of w0 (connected to n1) from its replica (split-will); its forward to the
// watcher on n1 is held by the clog. w0 disconnects cleanly as the clog ends, and the will, published before,
// arrives after: not a will published after a clean DISCONNECT.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-will-before-disconnect',
  description:
    'a will published during a clog before a clean DISCONNECT and delivered after it is a split-will',
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
            delay: 0,
            expiry: 86400,
            at: 5501,
            end: 'disconnect',
            backAfter: null,
          },
        ],
      },
      [
        { at: 0, kind: 'clog', a: 'n1', b: 'n2', releaseAfter: 5501 },
        { at: 5501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
