// Found by npm run test:faults (swarm survey, fast-check seed 8, schedule 77, shrunk, publisher and members at QoS 1): n1 is paused 15 s with share-group forwards from n2 in its inbox; n2 fails it over and gives them to s0's failed-over session; on resume n1 queues them for s1 (its member there), whose session it then hands to n2: one message, two members. Fixed: the share-group orphans a node gave to a session are remembered when the owner comes back (SessionReplicator.ownerBack), and a session handed to it later does not bring them again.
// Replay: npx sim run <this file> --seed 748996
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-shared-orphan-handback',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 4, clean: false, expiry: 86400, qos: 1, group: 'g2' },
          { node: 4, version: 4, clean: false, expiry: 0, qos: 1, group: 'g2' },
        ],
        pubs: [{ node: 3, version: 4, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 40989, kind: 'pause', node: 'n1', resumeAfter: 15034 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
