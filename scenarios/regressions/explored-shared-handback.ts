// Found by `sim explore`: shared-no-acked-loss: a share group's only member is on n1; n1 is cut off from n2 and n3 for 8 s, n2 fails the session over from its replica; at the heal n2 hands it back to n1, and a QoS 1 message published on n1 during that handoff is acknowledged and reaches no member (found by the swarm with a clock skew; the same with a partition)
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-shared-handback',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        balancer: false,
        ackMode: 'replicated',
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
        nodes: 3,
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g1' }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
      },
      [
        { at: 39001, kind: 'partition', oneWay: false, a: ['n1'], b: ['n2', 'n3'] },
        { at: 47001, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
