// Found by `npm run test:faults` SEED=3606 (after 72) on i13-kw, once explored-restart-loss-3606 (the same schedule
// with n2's crash a process crash) was fixed; it failed the same on main. n2 loses power at 1505 ms, so no peer
// notices until it is back at 2507 ms: n4 passes the orphans of n1 it gave n2 at 1505 ms on to n1's next backup,
// n3, only then, after n1's new life is back (2007 ms), and n3 fails n2's session s0 over from n2's past life
// (n2 runs again). The first cut of orphan-lineage.ts (lineage dropped when the owner is heard again, and only by
// way of a node not running) let p2:1 go to no one again. Fixed: a lost owner's orphans follow the session it
// failed over to another node for 5 minutes (as forwards follow a moved session), to a session failed over here.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restart-power-loss-3606',
  description:
    "a lost owner's orphans reach its session failed over twice (by its backup, lost in turn, to the next)",
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
        { at: 0, kind: 'pause', node: 'n4', resumeAfter: 100 },
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 1, kind: 'crash', node: 'n2', mode: 'power', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
