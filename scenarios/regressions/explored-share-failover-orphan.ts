// Found by test:faults SEED=3101 (after 58): shared-no-acked-loss: p0:30 acknowledged at 30005.9 ms reached no
// member of g1 (s0). FIXED. n1 (s0 in share group g1, s1 plain) is cut off from n2 and n3. n2 (its backup) takes
// it for lost and fails s0 and s1 over, and loses power at that instant; n3 gets the copies' state and routes
// (its replicas keep following n1, the copy-keeper keeps n2's copies beside them) but not yet that n2 is gone. n3
// then takes n1 for lost too and publishes p0:30: the g1 share goes to n2 (the copy's route), never confirmed.
// 1.4 ms later n3's link to n2 drops (n2 restarted) and n3 fails n2 over: the forward became its orphan, yet n3 held no
// replica owned by n2 (only the copies kept beside its replicas of n1), so it reached no one; n3 restored s0
// from n1's replica without it and acknowledged p0:30. s1 had it through n1's forward. Now the orphans of a lost
// holder of copies for share groups (forwards it never confirmed, or sent it while lost) go to the sessions it held
// copies of (copy-keeper.ts: CopyKeeper.holderOrphans, one member per group), wherever they are, not to no one.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-share-failover-orphan',
  description: 'the share-group forward to a failed-over copy whose node restarts reaches the member',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g1' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 2, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
        { at: 0, kind: 'heal' },
        { at: 22951, kind: 'partition', oneWay: false, a: ['n4'], b: ['n1', 'n2', 'n3', 'n5'] },
        { at: 27501, kind: 'crash', node: 'n2', mode: 'power', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
