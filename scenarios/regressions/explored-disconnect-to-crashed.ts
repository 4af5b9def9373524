// Found by `npm run test:faults` (survey seed 7, shrunk). Not a broker bug: n1 loses power with a v3.1.1 client with a will connected to it; the client's DISCONNECT 4 s later goes into the dead connection. n2 rightly publishes the will when it finds n1 dead (the server lost the connection without a DISCONNECT [MQTT-3.1.2-8]); the will checker took the DISCONNECT that never arrived as clean (will-iff). Fixed in checkWills: a DISCONNECT sent after the connection's node crashed is not clean.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-disconnect-to-crashed',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 3, version: 5, clean: false, expiry: 86400, qos: 2, group: null }],
        pubs: [{ node: 2, version: 4, qos: 0 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 4,
            version: 4,
            clean: false,
            delay: 3,
            expiry: 0,
            at: 44735,
            end: 'disconnect',
            backAfter: null,
          },
        ],
      },
      [{ at: 40931, kind: 'crash', node: 'n5', mode: 'power', restartAfter: 19524 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
