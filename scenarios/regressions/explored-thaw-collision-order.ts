// Found by `npm run test:faults` (SEED=3909 RUNS=400) on main with the reverted heartbeat thaw (34c579c: the tick
// that finds the process frozen cuts no link). n4 (p0's node) is paused 19.0-24.5 s; at 24.2 s a partition puts n1
// (c0's node) and n3 on the other side; c0 connects to n1 and n2 at 25.0 s and stays on n2. With that thaw n4 kept
// its link to n1 for a tick and forwarded its backlog p0:19-24 there unconfirmed; c0's session on n2 had not asked
// n4 (down in its view) for them, and they came as orphans after p0:30. On main, and with the fix of
// explored-paused-both-will-unheard (core/cluster/heartbeat.ts: the same links cut as on main, once the backlog is
// read), n4 fails n1 over itself and hands c0's copy to n2 (handoff.msgs).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-thaw-collision-order',
  description:
    'a woken node judges a peer cut off during its pause silent before it routes its backlog: order kept',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 3, version: 5, qos: 1 }],
        collisions: [{ at: 23501, existing: true, nodes: [0, 1], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n3', mode: 'process', restartAfter: 1000 },
        { at: 17501, kind: 'pause', node: 'n4', resumeAfter: 5501 },
        { at: 22742, kind: 'partition', oneWay: false, a: ['n4', 'n2'], b: ['n1', 'n3', 'n5'] },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
