// Found by `sim explore` (explore(6, 11) after the issue-13 merge, shrunk): a fresh persistent v5 client id connects through the balancer to n1 and n2 at once while the n1-n2 link is clogged for 1.5 s; both connections live until the clog ends, then n2 hands over within 2 ms. Judged as the split-connect trade-off (docs/guarantees.md): the single-connection and order checkers count it instead of failing; the takeover must still follow within 1 s of the clog's end.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-collision-clog',
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
        collisions: [{ at: 0, existing: false, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 0, kind: 'clog', a: 'n1', b: 'n4', releaseAfter: 1001 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
