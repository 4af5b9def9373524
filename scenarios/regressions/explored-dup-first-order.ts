// Found by `npm run test:faults` (SEED=1505, shrunk). Checker correction: c0 is connected to n1, which is
// paused 1.5 s while two more connects of c0 and p0:1, p0:2 wait in its inbox. On waking n1 sends p0:1 to the
// old connection, then the takeover resends it (DUP) and p0:2 on the new one; the old connection's copy lands
// last. The order checker skipped DUP copies, so the late original counted as p0:1's first arrival. A DUP copy
// that arrives first is the first arrival.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-dup-first-order',
  description: 'the first arrival of a message counts for order also when it is a DUP copy',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [{ at: 0, existing: true, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 0, kind: 'pause', node: 'n1', resumeAfter: 1001 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
