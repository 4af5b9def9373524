// Found by test:faults SEED=3606 (after 72 schedules) on i13-backup; it failed on main (8389404) too (there p2:1 and
// p2:2, here p2:1). 4 nodes; s0 on n1; n1 loses its process and n2 its power at 1005, both back at 2005. p2:1,
// published on n4 as n1 died, went to n1; n4 took n1 for lost and gave it to n1's backup by name order, n2, as an
// orphan, not knowing n2 was dead too. When n4 saw n2's new life (2007.8) it dropped what n2 never confirmed, that
// orphan with it, and answered the publisher (2009); n3, the next backup, restored s0 without p2:1. Fixed
// (core/cluster/failover.ts orphansFor): the orphans a lost or restarted peer held for an earlier lost owner go to
// that owner's backup now, and their publishers wait for its confirmation.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-two-crashes-restart-loss',
  description:
    'a message acknowledged just after two nodes restarted together reaches the failed-over subscriber',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 0, kind: 'crash', node: 'n2', mode: 'power', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
