// Found by `sim explore` (explore(10, 1) on main 196c6ee, shrunk): n2 is paused 9.9 s with a QoS 2 publish in its inbox; on resume it routes it to n1 for share group g2, then finds n1's link gone and fails n1 over: the forward becomes an orphan for s0's failed-over session here, and was also sent again to n1 when the link came back, where s2 (connected there) got it: one message, two members. Fixed: a share group given to a failed-over member is taken out of the forward the peer gets again (Cluster.failover, Cluster.route).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-shared-pause-failover',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 1, version: 5, clean: false, expiry: 86400, qos: 2, group: 'g2' },
          { node: 3, version: 5, clean: false, expiry: 86400, qos: 2, group: 'g2' },
          { node: 1, version: 5, clean: true, expiry: 0, qos: 1, group: 'g2' },
        ],
        pubs: [{ node: 2, version: 4, qos: 2 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 19987, kind: 'pause', node: 'n4', resumeAfter: 9853 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
