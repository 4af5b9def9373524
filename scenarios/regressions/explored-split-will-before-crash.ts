// Found by `npm run test:faults` (SEED=1101, shrunk). Checker correction: n3 is cut off from n1 and n2; after
// their down detection n1 publishes the will of w0, whose connection is still live on n3 (split-will). Then
// n3 crashes under it and restarts empty: the will was published once, before the connection ended. The
// swarm looked for it only after the crash and reported it missing.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-will-before-crash',
  description:
    'a will published for a live connection by a peer cut off from its node counts for that connection when the node then crashes',
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
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 2,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 5501,
            end: 'kill',
            backAfter: null,
          },
        ],
      },
      [
        { at: 0, kind: 'partition', oneWay: false, a: ['n2', 'n1'], b: ['n3', 'n4', 'n5'] },
        { at: 5501, kind: 'crash', node: 'n3', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
