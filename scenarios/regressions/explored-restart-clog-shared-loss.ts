// Found by npm run test:faults (swarm survey, fast-check seed 8, schedule 151, shrunk): n1, the node of share-group member s0, loses power and restarts at once while the link from n3 to n2 (n1's backup) is clogged for 1.3 s; n3 replaced n1's routes by its new, empty table and had not heard of n2's restore yet, so p1:2 published on n3 went to no one and was acknowledged. Fixed: a node holding replicas of a restarted peer's sessions gives what they are owed to them as orphans (its replicas, the backup) until the backup's restore re-owns them (Cluster.orphanForRestarted, SessionReplicator.owedByReplicas).
// Replay: npx sim run <this file> --seed 741384
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restart-clog-shared-loss',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 2, version: 5, clean: false, expiry: 86400, qos: 2, group: 'g2' }],
        pubs: [
          { node: 4, version: 4, qos: 1 },
          { node: 3, version: 4, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n4', mode: 'power', restartAfter: 0 },
        { at: 0, kind: 'clog', a: 'n3', b: 'n2', releaseAfter: 1265 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
