// Found by `npm run test:faults` (SEED=3909 RUNS=400, after 295 schedules) on i13-th with the backlog read before
// the silent links are cut (core/cluster/heartbeat.ts), before the fix below; passes on main. Share group g1: s0 on
// n1, s1 on n2; p1 publishes on n4, paused 1.0-8.0 s; a partition {n1,n3}|{n2,n4} from 1.0 to 7.0 s, when n2 fails
// n1 over (a copy of s0). n4 wakes and reads its backlog: p1:2,4,6 go to s1 on n2 (whose link then closes: n2 took
// n4 for lost), and n4, losing n2, the holder of a copy of s0, hands them to s0 at n1 (copy-keeper.ts). When n2's
// link is back n4 sent them to n2 again for g1: s1 and s0 both got them (shared-once). Fixed: groupsNotGiven counts
// what copy-keeper handed to the session itself (not a replica), on any node, so the holder gets them without g1.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-wake-holder-share-twice',
  description:
    "a lost copy holder's share-group orphans given to the session are not served again when it is back",
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g1' },
          { node: 0, version: 5, clean: true, expiry: 86400, qos: 1, group: 'g1' },
        ],
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
        { at: 0, kind: 'partition', oneWay: false, a: ['n1', 'n3'], b: ['n2', 'n4', 'n5'] },
        { at: 0, kind: 'pause', node: 'n4', resumeAfter: 6501 },
        { at: 5501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
