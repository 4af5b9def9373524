// Found by `npm run test:faults` (survey: fast-check seed 23, 400 schedules; shrunk). Not a broker bug: n1 loses power with w0 (v3.1.1, will) connected; n2 publishes the will when it finds n1 dead; n1 restarts, and only then does w0's client drop its half-open connection. The checker judged the will's timing from that kill (will-timing, a will 7.5 s before the connection ended) and would have taken a DISCONNECT there as clean. Fixed: a crash of the connection's node after the CONNACK ends the connection for the server, restarted or not.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-kill-after-restart',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 4, clean: false, expiry: 20, qos: 0, group: null }],
        pubs: [{ node: 3, version: 5, qos: 2 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 4, clean: true, delay: 0, expiry: 5, at: 24248, end: 'kill', backAfter: 1000 },
        ],
      },
      [{ at: 11460, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 11635 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
