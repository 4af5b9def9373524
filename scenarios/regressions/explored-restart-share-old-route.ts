// Found by test:faults SEED=3101 (after 327, once the order cases after 249 were fixed): shared-no-acked-loss:
// p0:63 acknowledged at 63016.0 ms reached no member of g1 (s0). FIXED. Two nodes; n1 (s0 in share group g1)
// crashes, n2 fails its sessions over, s0 reconnects on n2. n1 restarts empty 46 s later; p0:63, published on
// n2 1.5 ms after the link came back, had g1 served by n1: round robin over the running nodes of the group, and
// n2's table still held n1's route for g1 from its past life (n1's own table was on its way). n1, with no member,
// dropped it and confirmed the forward: acknowledged, lost to the group. Now a share group is served by a peer
// whose routes we do not hold (Member.stale non-null: back, its table not in yet) only if no other node serves it
// (forwarding.ts pickNode).
// Replay: npx sim run <this file> --seed 576061
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restart-share-old-route',
  description: 'a share group is not served by a restarted node whose old routes are still in the table',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g1' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 2 },
        ],
        collisions: [{ at: 16501, existing: true, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 15001,
            end: 'kill',
            backAfter: null,
          },
        ],
      },
      [{ at: 15001, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 46001 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
