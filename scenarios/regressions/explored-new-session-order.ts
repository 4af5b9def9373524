// Found by `npm run test:faults` (SEED=1101, shrunk). Checker correction: c0 connects to n1 (paused) and n3 at
// once; n3 serves it (p0:8) and loses power; n1 wakes and answers the other CONNECT with a new session (session
// present 0), which gets p0:7 among the messages n4 kept for n1. The order checker compared the new session's
// p0:7 with the lost one's p0:8; order is per session, and a new session starts afresh.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-new-session-order',
  description:
    'a new session (session present 0) is not ordered after what the lost session of the client got',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g1' }],
        pubs: [{ node: 3, version: 5, qos: 1 }],
        collisions: [{ at: 5501, existing: false, nodes: [0, 2], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 7001 },
        { at: 7001, kind: 'crash', node: 'n3', mode: 'power', restartAfter: 1001 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
