// Found by npm run test:faults (swarm survey, fast-check seed 7, schedule 159, shrunk): n3 is cut off one way from n1 and n2; n3, taking n1 for dead and by then its backup, gives the share-group forwards n1 never confirmed to its replica of s0 (a replica, not a failed-over session) and sends them to n1 again without the group; s0 stays connected on n1, the replica's copy is dropped when n1 resyncs it, so no member got them. Fixed: only a session failed over here counts as having been given the group (SessionReplicator.groupGiven).
// Replay: npx sim run <this file> --seed 2
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-shared-replica-orphan',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 2, group: 'g2' }],
        pubs: [{ node: 2, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 0, kind: 'partition', oneWay: true, a: ['n5', 'n1', 'n2', 'n4'], b: ['n3'] }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
