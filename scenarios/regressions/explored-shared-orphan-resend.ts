// Found by `npm run test:faults` (SEED=1101, shrunk; the shared-once limit docs/guarantees.md named). n1 is
// paused 15.5 s with p0:9's forward for share group g1 unconfirmed; n4,
// which published it and is not n1's backup, fails n1 over and sends the orphan to the backup n2, which gives
// it to s0's failed-over session; when n1 is back n4 resends the forward with g1 and n1 serves it to s1's copy
// (which n1 failed over on waking). Fixed: the backup tells the sender which groups it gave (OrphanGiven),
// and the sender takes them out of the resend.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-shared-orphan-resend',
  description:
    'a non-backup sender does not resend a share-group forward the backup already gave to a member',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g1' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g1' },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n3', mode: 'power', restartAfter: 6001 },
        { at: 2501, kind: 'pause', node: 'n1', resumeAfter: 15501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
