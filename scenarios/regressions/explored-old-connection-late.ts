// Found by `npm run test:faults` (SEED=1505 on the final code, shrunk). Checker correction: c0 is connected to n1
// (c0-0) when n1 is paused; two more processes of c0 connect meanwhile. When n1 wakes it sends the QoS 0
// p0:1 to the old connection, then takes it over for a new one, which gets p0:2; the client received p0:2 on
// the new socket before p0:1 on the old one. What the older connection, still open, gets after the newer
// one got a newer message was sent before the takeover: no order between them (`connect-race-order`).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-old-connection-late',
  description:
    'what the older connection gets late, sent before the takeover, sets no order against the newer one',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 0 }],
        collisions: [{ at: 0, existing: true, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 0, kind: 'pause', node: 'n1', resumeAfter: 1001 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
