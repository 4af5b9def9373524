// New from the i13-backup merge of 2026-12-03. Found by `npm run test:faults` (SEED=3909 after 160) on this branch merged with
// main a71bbb5; it fails the same on main a71bbb5 and from the i13-backup merge (30b6d16) on, and passes on
// 0fad2bb and 8389404. A will class (i13-backup's handoff-will.ts): will-once, w0's will
// published twice for one connection. 2 nodes; w0 (v5, persistent, will delay 10 s) on n2, the watcher on n1.
// n1 pauses from 1 s to 10 s; w0 is killed at 1 s. n2 takes n1 for lost at 7 s; n1, woken at 10 s, takes n2 for
// lost and fails w0's session over, arming its will (due about 20 s). n2 publishes the will at 11.0 s (delay
// over: right). At the heal (11.0 s) n1 hands w0's copy back to n2 with the will it took over (a handoff
// carries a failed-over will since 30b6d16), and n2 arms it again though it had published that connection's
// will 4 ms before: n2 published it a second time at 20.0 s (`cluster.will` from n2). Fixed (handoff-will.ts
// willIn): a node takes no failed-over will from a handoff whose sender took it over from this node: that
// connection's will was this node's to decide, and it did.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-pause-handback-will-twice',
  description:
    "a will published on the client's node is not published again when a woken peer hands the copy back",
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 3,
            version: 5,
            clean: false,
            delay: 10,
            expiry: 86400,
            at: 0,
            end: 'kill',
            backAfter: null,
          },
        ],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 8501 },
        { at: 0, kind: 'skew', node: 'n1', ms: 0 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
