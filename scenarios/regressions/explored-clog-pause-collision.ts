// Found by npm run test:faults (swarm survey, fast-check seed 8, schedule 115, shrunk): c0 connects on n4 and n1 while a clog separates them; the clog ends while n1 is paused, so the two nodes hear each other only after n1 resumes and dials again, 14 s after the second connect; the takeover follows at once. Not a broker bug: the split-connect trade-off; single-connection.ts now chains a fault with the nodes' own peer-down windows to find when they could hear each other again.
// Replay: npx sim run <this file> --seed 7
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-clog-pause-collision',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 4, clean: false, expiry: 0, qos: 1, group: null },
          { node: 3, version: 4, clean: false, expiry: 86400, qos: 1, group: 'g1' },
        ],
        pubs: [
          { node: 4, version: 4, qos: 0 },
          { node: 4, version: 5, qos: 1 },
          { node: 0, version: 4, qos: 0 },
        ],
        collisions: [{ at: 11863, existing: true, nodes: [0, 1], gapMs: 2, version: 4, clean: false }],
        lateSubs: [],
        retained: [{ at: 14, topic: 0 }],
        wills: [],
      },
      [
        { at: 7092, kind: 'clog', a: 'n4', b: 'n5', releaseAfter: 15401 },
        { at: 20926, kind: 'pause', node: 'n1', resumeAfter: 4903 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
