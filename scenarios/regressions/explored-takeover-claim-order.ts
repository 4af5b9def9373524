// Found by `npm run test:faults` (RUNS=200 after 455de70, shrunk): c0's session on n2, the n1-n2 link clogged for 10.5 s; at its end c0 connects through the balancer to n1 and n2 at once. n2 lost to n1's claim and took its connection over, whose close claimed the session as offline here after the winner's claim was recorded: n2's own connect 2 ms later (its clock 2 ms behind) did not order after n1's claim, and both connections stayed up until n1 crashed 1.5 s later. Fixed: Cluster.onRegister records the winner after the takeover.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-takeover-claim-order',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [{ at: 10501, existing: true, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [{ at: 0, topic: 0 }],
        wills: [],
      },
      [
        { at: 0, kind: 'skew', node: 'n4', ms: -2 },
        { at: 0, kind: 'clog', a: 'n1', b: 'n4', releaseAfter: 10501 },
        { at: 12001, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
