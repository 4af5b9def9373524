// Found by `npm run test:faults` (SEED=3707 RUNS=400, after 215 schedules, on i13-will2-thaw once the heartbeat fix
// let schedule 148 pass; it failed the same on main 5ea2257). The class of explored-retained-both-crash in the other
// order: r0's retained r/0 is acknowledged by n2 (n1 holds it); n2 loses its process at 1.5 s and restarts empty at
// 2.5 s; n1, paused 1.5-2.5 s, loses its process at 3.0 s before any link came up at it. Every node that held the
// retained message was lost in turn (no data dirs), so both readers find nothing. A checker gap, corrected: swarm
// retainedCopiesLost follows each holder to its own crash (no link up at it in between), not only to the
// acknowledging node's.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-retained-pause-both-crash',
  description:
    'a retained message whose every holder was lost (one restarted empty, the other paused then lost) before they linked (open)',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [{ at: 0, topic: 0 }],
        wills: [],
      },
      [
        { at: 1, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
        { at: 1, kind: 'pause', node: 'n1', resumeAfter: 1001 },
        { at: 1501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
