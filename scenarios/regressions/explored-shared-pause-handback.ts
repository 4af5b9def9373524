// Found by npm run test:faults (swarm survey, fast-check seed 7, schedules 87 and 194, shrunk): n3 is paused 6.3 s with share-group forwards for g2 in its inbox; n1 fails it over and gives them to s0's failed-over session; on resume n3 serves them to s1 (connected there), then s0's session is handed back with the same messages: one message, two members. Fixed: a node remembers the share-group forwards it served and drops them from a session handed to it that is owed them only through that group (Cluster.onHandoff).
// Replay: npx sim run <this file> --seed 11
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-shared-pause-handback',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 2, version: 4, clean: false, expiry: 86400, qos: 2, group: 'g2' },
          { node: 2, version: 5, clean: true, expiry: 20, qos: 1, group: 'g2' },
        ],
        pubs: [{ node: 4, version: 4, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 0, kind: 'pause', node: 'n3', resumeAfter: 6270 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
