// Found by `npm run test:faults` (SEED=1808, shrunk). w0 (will delay 10 s) loses its connection to n1 as n2
// restarts empty; w0 connects to n2 a second later and is told session present 0 (n2 has no replica yet).
// n1 then hands the old session over (merged, nothing lost) and dropped its pending will with it: the
// session had ended for the client, so the will was due then [MQTT-3.1.2-8]. A claim now says `fresh` when its
// connection started a new session; the node holding the old one publishes the pending will on it.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-fresh-claim-will',
  description: 'the pending will of a session goes out when its client starts a new session on another node',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 10,
            expiry: 86400,
            at: 0,
            end: 'kill',
            backAfter: 1000,
          },
        ],
      },
      [{ at: 0, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
