// Found by `npm run test:faults` (SEED=1808, shrunk). Checker correction: w0 connects to n2 while the n1-n2
// link is clogged and sets its will there; n2 crashes before the link clears, so its will never reached n1
// and no node could publish it: lost with n2, as a subscription acknowledged alone is (docs/guarantees.md).
// The swarm no longer demands a will set on a node that could send to no peer until it crashed.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-will-alone',
  description: 'a will set on a node that could reach no peer until it crashed is lost with it',
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
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: 1000 },
        ],
      },
      [
        { at: 0, kind: 'clog', a: 'n4', b: 'n1', releaseAfter: 1001 },
        { at: 1001, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
