// Found by `npm run test:faults` (survey: fast-check seed 11, 400 schedules; shrunk) once the will checker no longer took a DISCONNECT sent into a dead connection as clean. A v5 client with Clean Start 1 (Session Expiry 0) and a 10 s will delay is connected on n1 when n1 loses power; it reconnects on n2 1.5 s later (a new session). The session ended with the lost connection, so the will was due at once [MQTT-3.1.2-8, 3.1.3.2.2: the earlier of the delay and the session's end]; n1's backup took the reconnect for a return within the delay and dropped it. Fixed: the will replicated to peers carries its effective delay, min(Will Delay, Session Expiry).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-expiry0-will',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 2, version: 4, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 1, version: 4, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 0,
            version: 5,
            clean: true,
            delay: 10,
            expiry: 86400,
            at: 25783,
            end: 'disconnect',
            backAfter: 1000,
          },
        ],
      },
      [{ at: 25208, kind: 'crash', node: 'n5', mode: 'power', restartAfter: 43533 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
