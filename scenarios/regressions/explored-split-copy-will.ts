// Found by `npm run test:faults` (survey seed 7, shrunk): a one-way partition cuts {n1, n5} from {n2, n3, n4}. n2 takes n1 for dead and fails over w0's session though w0 stays connected on n1 (split-will, allowed); n5, on n1's side, then takes n2 for dead, restores that copy and publishes its will 3 s later, though w0 is still connected on n1, which n5 hears. Fixed: a failed-over copy gets no will when the registry shows that very connection (same connect time) live on another running node.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-copy-will',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 5,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 2, version: 5, clean: false, expiry: 20, qos: 1, group: 'g1' }],
        pubs: [{ node: 4, version: 4, qos: 2 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 3,
            expiry: 86400,
            at: 34689,
            end: 'disconnect',
            backAfter: 1000,
          },
        ],
      },
      [{ at: 3093, kind: 'partition', oneWay: true, a: ['n1', 'n5'], b: ['n2', 'n3', 'n4'] }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
