// The plain-subscription twin of explored-restart-clog-shared-loss (survey seed 8, schedule 151, with the share group removed): p1:2 published on n3 while n1 restarts empty and n3 has not heard of n2's restore was acknowledged and reached no one. Fixed with it (Cluster.orphanForRestarted).
// Replay: npx sim run <this file> --seed 741384
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restart-clog-loss',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 2, version: 5, clean: false, expiry: 86400, qos: 2, group: null }],
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
