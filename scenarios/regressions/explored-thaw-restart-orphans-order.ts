// Found by `npm run test:faults` (a random seed, RUNS=400) on main with the reverted heartbeat thaw (34c579c: the
// tick that finds the process frozen cuts no link). n3 loses power at 7.0 s (back at 16.5), n2 is paused 11.5-26.0 s
// with p0:7-11 forwarded to n3 unconfirmed and p0:12-26 waiting in its inbox. With that thaw n2 kept its link to
// n3's dead life for a tick, forwarded the backlog by its stale view and learned of the restart from n3's new link:
// n3's orphans p0:7-11 reached s1's failed-over copy on n1 after p0:12 (order). On main n2 cuts the silent links
// first and routes the backlog to its own failover of n3 and n1. The fix of explored-paused-both-will-unheard
// (core/cluster/heartbeat.ts) picks the same links as main on that tick and cuts them once the backlog is read: the
// orphans come first again.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-thaw-restart-orphans-order',
  description: 'a woken node judges a restarted peer silent before it routes its backlog: order kept',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 2, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 1, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'skew', node: 'n1', ms: 0 },
        { at: 5501, kind: 'crash', node: 'n3', mode: 'power', restartAfter: 9001 },
        { at: 10001, kind: 'pause', node: 'n2', resumeAfter: 14001 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
