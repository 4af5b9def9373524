// Found by test:faults SEED=3505 (after 97) on branch i13-qos2 once explored-oneway-pause-qos2-dup (its stop
// after 13) was fixed; it failed the same on main (8389404: same history hash). 3 nodes, a QoS 1 share-group
// member s0 and a clean QoS 1 publisher p0, both on n1. n1's process crashes (restarted empty after 1 s, no
// data dir) while n2 loses power; n1 rejoins n3 (and learns its routes: none for the group, n1's old route
// went with its old life), and 0.5 s later a partition cuts n1 and both clients off from n2 and n3. When n3
// notices n2's restart, 2.6 ms into the cut, it fails s0's session over from n1's previous life, so the
// group's only route is now on n3, across the cut. p0's publishes buffered while it was away (p0:1-63) reach
// n1 at 63.4 s; n1 knows no member, keeps them for its cut-off peers (Member.stale, the split-subscribe rule)
// and acknowledges them; s0 comes back to n1 with session present 0 and subscribes afresh. At the heal n3's
// table arrives with the group's route on n3, but releaseStale matched kept messages against plain routes
// only (e.nodes), so all 63 were settled and dropped (shared-no-acked-loss): a broker bug, not the
// split-subscribe trade-off (which delivers after the heal). Fix (core/cluster/forwarding.ts releaseStale):
// a kept message also goes to each share group with a member on the peer that no one served yet (one set
// of served groups per message, shared by the peers it was kept for, so a group gets it once); here n3
// gets them for g1 and, having handed s0 to n1 meanwhile, passes them on to it.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restart-split-share-fresh',
  description:
    'a share-group member failed over across a cut gets what the other side acknowledged for the group meanwhile',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g1' }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n2', mode: 'power', restartAfter: 1001 },
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 1001, kind: 'partition', oneWay: false, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
