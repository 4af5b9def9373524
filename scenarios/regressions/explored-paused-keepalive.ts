// Found by `npm run test:faults` (survey: fast-check seed 5, 400 schedules; shrunk): n1 is frozen (pause) for 18.7 s while w0 (v3.1.1, will) is connected to it; w0 sends DISCONNECT during the freeze. When n1 resumed, its keep-alive timer (due during the freeze) ran before it read the DISCONNECT waiting for it, found the client silent for 29 s and published the will (will-iff after a clean DISCONNECT). Fixed in Connection.onTimer: time the process was frozen (the timer fired over 1 s late) is not counted as the client's silence; EMQX likewise checks the socket's received bytes. (n2's will at 36 s is split-will: it took the frozen n1 for dead.)
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-paused-keepalive',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 4, clean: false, expiry: 86400, qos: 0, group: 'g2' }],
        pubs: [{ node: 1, version: 4, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 2,
            version: 4,
            clean: false,
            delay: 0,
            expiry: 0,
            at: 41959,
            end: 'disconnect',
            backAfter: 8000,
          },
        ],
      },
      [{ at: 29002, kind: 'pause', node: 'n3', resumeAfter: 18669 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
