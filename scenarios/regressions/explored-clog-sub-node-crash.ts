// Found by `npm run test:faults` (SEED=1909 on the final code, shrunk). Swarm correction: s0 subscribes to u/# on
// n1 while the n1-n3 link is clogged, and n1 crashes in the instant the clog ends, so the announcement the clog
// held died with n1; p1 publishes u/p1 on n3 in that instant, before n2 (the backup) restored the session and
// announced its route: routed to no one, acknowledged. The documented split-subscribe trade-off; the swarm now
// owes the late subscription from the failover when its node crashed before the cut ended.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-clog-sub-node-crash',
  description: 'a subscription whose node crashed before a clog ended is owed from the backup failover',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [{ at: 0, sub: 0 }],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'clog', a: 'n1', b: 'n3', releaseAfter: 1501 },
        { at: 1501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
