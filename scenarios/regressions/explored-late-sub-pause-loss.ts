// Found by a random-seed test:faults sweep (after 293) on i13-backup merged with main 15099f5; it fails the same
// (p0:77) on main 0fad2bb. OPEN (it.fails), not analysed: 3 nodes, n1 loses its process at 1 (back at 1001); at
// 42501 a late subscription is made and n2 is paused 5.5 s; p0:77 (on n3), acknowledged at 51010, never reaches s1.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-late-sub-pause-loss',
  description:
    'open: a late subscription made while a node sleeps gets what was acknowledged after it (open)',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 2, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [
          { at: 42501, sub: 3 },
          { at: 0, sub: 0 },
        ],
        retained: [],
        wills: [],
      },
      [
        { at: 1, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 42501, kind: 'pause', node: 'n2', resumeAfter: 5501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
