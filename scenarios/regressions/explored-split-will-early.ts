// Found by `npm run test:faults` (SEED=1808, shrunk; SEED=1909 found the same after a pause). A clog makes n2
// take n1 for lost while w0 is connected there; n2 fails w0's session over and arms its will (delay 10 s) at
// once. w0 is killed 0.5 s later, so n1 arms the real will then. At the heal n1 handed the session to n2 (same
// claim, n2's name wins) and dropped its timer; n2 kept its own, armed 0.5 s too early: the will went 9.5 s
// after the connection ended. A handoff from the node the connection was lost on now carries the time left on
// its will timer (`willIn`), and the receiver's copy of that will follows it.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-will-early',
  description:
    'a will armed by a split failover follows the will timer of the node the connection was lost on',
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
            at: 8001,
            end: 'kill',
            backAfter: null,
          },
        ],
      },
      [
        { at: 0, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
        { at: 2501, kind: 'clog', a: 'n4', b: 'n1', releaseAfter: 4501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
