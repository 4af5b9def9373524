// Found by test:faults SEED=2707 (after 165). FIXED: 3 nodes behind the balancer; n3 loses power and n1 is paused at
// the same instant; n1 wakes, takes both peers for lost and fails both over, n2 fails n1 and n3 over. n2's copy of
// s2 (its client offline) got p0:7 directly; n1's copy, handed to n2, brought p0:1..6 and was appended after it, so
// s2 resumed on n2 with p0:1 queued after p0:7. A handoff merged into a session not held for handoffs now puts
// what is not sent yet in each origin's sequence (core/cluster/registry.ts, as a held session's release does).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-paused-two-failovers-order',
  description:
    'a node woken from a pause fails both peers over; the copies merged later keep the publish order',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n3', mode: 'power', restartAfter: 3501 },
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 4501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
