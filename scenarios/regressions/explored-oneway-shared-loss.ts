// Found by npm run test:faults on main (shrunk): 4 nodes, a one-way cut keeps n3 from hearing n1, n2 and n4 (healed
// only after the workload, at 71.5 s). n3, n2's backup, restores s1 (a share-group member connected on n2) and replicates
// that copy to n4, its own backup; n4 takes n3 for dead and restored that copy as an offline session though it
// knew s1 live on n2, so every second g2 message (round robin over n2 and n4) went to an offline copy no
// connection ever resumed: acknowledged, lost. Fixed: a failover hands such a replica to the node where the
// connection is live (SessionReplicator.ownerDown, Registry.liveOn).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-oneway-shared-loss',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g2' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'partition', oneWay: true, a: ['n4', 'n2', 'n5'], b: ['n1', 'n3'] },
        { at: 0, kind: 'skew', node: 'n1', ms: 0 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
