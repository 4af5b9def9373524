// Found by `sim explore`: single-connection: a fresh persistent v5 client id connects to n2 and, 1 ms later, to n1 of 3 nodes; n2's clock is 1 ms ahead; both connections stay open (n1 answers session present 1 without taking over; without the skew the takeover happens): bug 7 of issue 13
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-collision-skew',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        balancer: false,
        ackMode: 'replicated',
        collisions: [{ at: 0, existing: false, nodes: [4, 0], gapMs: 1, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
        nodes: 3,
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
      },
      [{ at: 0, kind: 'skew', node: 'n2', ms: 1 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
