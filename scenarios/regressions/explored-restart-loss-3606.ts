// Found by `npm run test:faults` SEED=3606 (after 72) on the final code of 2026-12-03 (88a82f2); it failed the same on
// 8389404. A broker bug. s0 (persistent) lives on n1; n1's backup is n2, then n3. At 1005 ms n4 pauses and n1 crashes
// (process); p2 publishes p2:1 to the paused n4 in that instant. n2 and n3 take n1 for lost at 1006 ms; n2 fails s0
// over (its claim keeps the claim time; n3's and n4's replicas follow n2 from then on). At 1505 ms n2 crashes and n4
// wakes: n4 takes n1 for lost, routes p2:1 to n1 (the only route it knows), makes it an orphan of n1 and sends it to
// n1's backup n2, dead already. n3 fails n2's sessions over (s0, adopted from n2) at 1506 ms; n4 takes n2 for lost
// at 1505.9 ms and passes the orphans it gave n2 for n1 on to n1's next backup, n3, and acknowledges p2:1 once n3
// confirms them (1513 ms). n3 gave n1's orphans only to sessions and replicas of n1: its s0 came from n2, so p2:1
// reached no one (nor n4's replica of s0, replaced by n3's state). Fixed (core/cluster/orphan-lineage.ts): a replica
// that starts to follow the node that failed its session over (the same claim, its owner lost) keeps the lost
// owner's subscriptions, and that owner's orphans go to the session (or its replica) that came from it by way of
// that node, lost in turn (for 5 minutes, as forwards follow a moved session: explored-restart-power-loss-3606);
// plain subscriptions only (a share group's orphan stays with the member its owner's backup picked).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restart-loss-3606',
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
        { at: 1, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
