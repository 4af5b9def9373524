// Found by `npm run test:faults` (SEED=1808, shrunk). n1 crashes with w0's connection (will delay 10 s); n2
// fails the session over and arms the will. n1 restarts empty; a clog makes each take the other for lost,
// so n1 fails over n2's replica of the session (no will) and hands it back at the heal saying it holds no
// will. n2 took that for the word of the node the connection was on and discarded the will: never published.
// A will taken over from a node that has restarted since no longer goes on the no-will word of its new life.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-past-life-nowill',
  description:
    'a handoff from the new life of a restarted node does not discard the will taken over from its old life',
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
            node: 0,
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
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 2501, kind: 'clog', a: 'n4', b: 'n1', releaseAfter: 4501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
