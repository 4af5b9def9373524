// Found by `npm run test:faults` (SEED=1606, shrunk). 2 nodes: n1 loses power with s0's session; n2 is paused
// before it notices, so no failover. n1 restarts empty, s0 reconnects there: session present 0, a new
// subscription. n2 wakes, fails the old session over from its replica (22 queued) and hands it to n1, which
// merges it into the new one (nothing acknowledged is lost). The old messages came after the new session's
// own: the order checker now judges them among themselves, not against the new session's (both correct).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-old-session-carried',
  description:
    'old-session messages passed on to a new session are ordered among themselves, not against the new session',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 21501, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 18001 },
        { at: 21501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 26501, kind: 'pause', node: 'n2', resumeAfter: 15501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
