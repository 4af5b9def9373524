// Found by npm run test:faults (swarm survey, fast-check seed 7, schedule 120, shrunk): a one-way cut keeps n2 from hearing n1 and n3; n2 fails over s0 (connected on n1) and gives it the share-group forwards for n1, then n3 takes n2 for dead and restores s0 from n2's copy; n1's live claim had reached n3 before, so n3 never heard of it again and kept an offline copy; at the heal n2 handed its copy (71 messages) to n3: acknowledged messages reached no member. Fixed: a backup that knows the connection live on a node it hears hands that copy over instead of restoring it (SessionReplicator.ownerDown).
// Replay: npx sim run <this file> --seed 701969
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-oneway-claim-loss',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 1, version: 4, clean: false, expiry: 0, qos: 1, group: 'g2' }],
        pubs: [{ node: 1, version: 4, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 0, kind: 'partition', oneWay: true, a: ['n4', 'n3'], b: ['n1', 'n2', 'n5'] }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
