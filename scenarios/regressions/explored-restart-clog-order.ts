// Found by npm run test:faults (seed 1, shrunk): n1 loses power and restarts while its link to n2, its sessions' backup, is clogged for 19.5 s; s0 reconnects to n1 with a new session, and when the clog ends n2 hands over the failed-over session's 21 older messages after the first new one. The documented restart-under-partition exception (docs/guarantees.md, Order), for a cut healed during the run: order.ts counts them as parked (a heal of a cut the delivering node restarted in, delivered within 10 s of it); the swarm only excused the final heal.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restart-clog-order',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 1000 },
        { at: 501, kind: 'clog', a: 'n1', b: 'n2', releaseAfter: 19501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
