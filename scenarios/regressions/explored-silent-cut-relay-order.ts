// Found by test:faults SEED=3303 (after 102) on the merged code of 2026-12-03 night (it fails the same on the code
// before the merges). FIXED (naming): s2 lives on n3; n2, woken from a pause, had failed it over and handed it
// back at 8 s, so n2 follows s2 (5 min) and passes on forwards matching it. A partition n3 | n1,n2 for 5 s (under
// the 6 s heartbeat timeout: nobody is taken for lost) holds n1's direct forwards to n3 (p0:18-22) and n2's
// pass-ons of the share-group picks it got (p0:18, 20, 22). At the heal n2's p0:22 reaches s2 before n1's p0:21.
// The two-paths availability case (docs/guarantees.md, moved-late-order), but n3 did not name the pass-on: no
// peer had been taken for lost or come back. Now a peer silent past two heartbeats counts as a cut for 10 s
// (Heartbeat -> Membership.back), so forwards passed on after it are named (moved.msgs) and the checker counts
// the pair instead of failing.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-silent-cut-relay-order',
  description:
    'a cut shorter than the failure detector: a forward passed on by the node a session left overtakes the direct path; moved-late-order',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g2' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g2' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'pause', node: 'n5', resumeAfter: 5501 },
        { at: 16001, kind: 'partition', oneWay: false, a: ['n3'], b: ['n1', 'n2', 'n4', 'n5'] },
        { at: 21001, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
