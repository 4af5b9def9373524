// Found by test:faults SEED=3101 (after 249, once explored-share-failover-orphan was fixed): order: c0 got p0:7
// after p0:17. FIXED. A clog between n1 (the publishers) and n2 (s0 in share group g2, and c0, which moved there
// from n3 during the clog: n1 never heard its route) makes them take each other for lost. What n1 publishes
// meanwhile is kept for n2 (Member.stale: n2's routes unknown), to go when n2's full route table arrives after
// the heal. p0:17, published just after the link came back, goes to n2 at once for g2 (its route was known):
// n2 serves every matching subscription of its own, c0's too, so c0 got p0:17 before the older p0:7..16 that
// came with the table. Now a forward to a peer for which messages are kept sends those first (forwarding.ts
// sendStale), in publish order, unstamped as the table's release would (the peer drops what no subscription
// of its wants).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-stale-share-forward-order',
  description:
    'a forward picked for a share group does not overtake the messages kept for its node while its routes were unknown',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 1, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g2' },
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
