// Found by `npm run test:faults` (SEED=1707, shrunk). n1 is paused 20 s with r0's
// retained PUBLISH r0:1 in its inbox. r0 gives up on n1 (keep alive), connects to n2 and publishes r0:1 again
// and then r0:2, both acknowledged. n1 wakes and reads the stale r0:1 (by design: what a client sent while the
// node was frozen is still read, connection.ts); it versioned it by its clock (newer than r0:2) and every node
// ended with r0:1. A duplicate of an older retained publish overwrote a newer one. Fixed: the heartbeat tick
// tells a node it is catching up after a freeze (core/cluster/freeze-watch.ts), and a retained write read
// then is versioned from the last tick that ran on time, so r0:2 wins everywhere.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-paused-stale-retained',
  description:
    'a retained publish a paused node reads late does not overwrite the newer value published elsewhere',
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
        retained: [
          { at: 28501, topic: 0 },
          { at: 18501, topic: 0 },
        ],
        wills: [],
      },
      [
        { at: 0, kind: 'heal' },
        { at: 9001, kind: 'pause', node: 'n1', resumeAfter: 19501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
