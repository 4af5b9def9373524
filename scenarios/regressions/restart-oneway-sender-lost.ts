// Made from explored-restart-oneway-orphans-lost (SEED=4111 after 339) by one more fault: the sender of the
// orphans loses power before the backup confirmed them. 4 nodes; s0 (persistent) on n1, p0 publishing on n3.
// n1 loses power at 20 s and restarts empty at 25.5 s, when a one-way partition blocks n1,n3 -> n2,n4. n3 sees
// n1's new life first and fails n1's old life over: p0:20..25 (forwarded to n1, unconfirmed) become orphans,
// kept in n3's replica of s0 and sent as F.Orphan to n1's backup n2 (blocked). Then autoheal dropped the old
// life's frames (reliable-channel.ts dropUnacked), which answered p0 at once (25.5 s), though no other node
// held the messages yet. n3 loses power at 27 s: the six acknowledged messages died with it (no-acked-loss,
// s0 resumes on n3 with session present 0 at 60.2 s). Fixed (core/cluster/failover.ts, `restarted`): the
// publishers of a restarted peer's dropped frames wait, as those of a lost peer's do, until the running peers
// confirmed what was made of them (here until n3 fails n2 over at 31 s): p0 gets no PUBACK from n3, publishes
// p0:20..25 again on n1 (acknowledged at 30.4 s), and s0 gets them after the heal.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'restart-oneway-sender-lost',
  description:
    "forwards to a restarted node's old life, orphaned to a backup cut off one way: not acknowledged before a copy is confirmed",
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 2, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 100 },
        { at: 18501, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 5001 },
        { at: 24173, kind: 'partition', oneWay: true, a: ['n3', 'n5'], b: ['n1', 'n2', 'n4'] },
        { at: 26000, kind: 'crash', node: 'n3', mode: 'power', restartAfter: 3000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
