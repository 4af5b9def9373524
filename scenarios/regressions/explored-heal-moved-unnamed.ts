// Found by test:faults SEED=3101 (after 249, shrunk again once explored-stale-share-forward-order was fixed):
// order: c0 got p0:8 after p0:17. FIXED (naming). c0 moved from n3 to n2 during a clog between n2 and n1 (the
// publishers), which took each other for lost. n1 kept what it published for n2 (its routes unknown) until
// n2's table came after the heal, while the forwards it sent n3 (for share group g2) reached c0 by way of n3
// (passed on: the session left it): p0:17 came that way 1.6 ms after the link was back, before the older ones
// on the direct path. That is the two-paths availability case (docs/guarantees.md, moved-late-order), but n2
// did not name the pass-on (moved.msgs): Membership.cutWithin looked at when a peer was taken for lost (10 s
// before), not at a cut that had just ended. Now a peer back from unreachable counts for 10 s too.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-heal-moved-unnamed',
  description:
    'a forward passed on by the node a session left just after a cut ended is named, so its two paths set no order',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 2, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g2' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g2' },
        ],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [{ at: 0, existing: false, nodes: [2, 4], gapMs: 1, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'clog', a: 'n5', b: 'n1', releaseAfter: 15502 },
        { at: 16001, kind: 'partition', oneWay: false, a: ['n5'], b: ['n1', 'n2', 'n3', 'n4'] },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
