// Found by `npm run test:faults` (SEED=1101, shrunk). n1 wakes from a 5.5 s pause taking every peer for lost
// and fails over s2's session (owned by n3, which ran all along); its failed-over copy replicated over the
// replicas n2 and n4 held of n3's session (same claim), then n1 handed the copy to n3 and ended it, so n2 and
// n4 dropped their replicas. When n3 crashed, its backup had none: s2's session was gone (session present 0)
// and a QoS 1 message acknowledged for it lost. Now a replica of a running owner is not replaced by another
// node's copy of the same claim.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-failover-copy-replica',
  description:
    'a failed-over copy of a session whose owner still runs does not replace the replicas of that owner',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
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
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 5501 },
        { at: 7001, kind: 'crash', node: 'n3', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
