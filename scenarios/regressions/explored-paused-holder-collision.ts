// Found by npm run test:faults (swarm survey, fast-check seed 9, schedule 122): c0's connection is on n4 when n4 is paused for 6.3 s; c0 connects again on n1, which accepts it and claims the id, but the paused n4 hears the claim only when it resumes, and takes its connection over 0.9 ms later. Not a broker bug: the split-connect trade-off (a paused node cannot hear the other's claim); single-connection.ts now counts a pause of either node as a separation until it ends.
// Replay: npx sim run <this file> --seed 721487
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-paused-holder-collision',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 5,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 2, version: 4, clean: true, expiry: 0, qos: 1, group: 'g1' }],
        pubs: [
          { node: 1, version: 5, qos: 2 },
          { node: 2, version: 5, qos: 0 },
        ],
        collisions: [{ at: 24177, existing: true, nodes: [3, 0], gapMs: 1, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 21110, kind: 'pause', node: 'n4', resumeAfter: 6323 },
        { at: 59734, kind: 'skew', node: 'n1', ms: -752 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
