// Found by `npm run test:faults` (SEED=1808, shrunk). w0's connection is lost with n2 (crash); n1 fails the
// session and its will over, n2 restarts, and after a clog n2 takes n1 for lost and fails the will over from
// n1 in turn. It was published once, but as the will of the connection lost with n1 (its earlier one, whose
// will the reconnect had cancelled), so the connection lost with n2 had none. A will taken over by failover now
// keeps the node its connection was lost with (`lost` on RWill, `origin` in the session).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-will-origin',
  description: 'a will failed over twice keeps the node its connection was lost with',
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
            backAfter: 1000,
          },
        ],
      },
      [
        { at: 1001, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
        { at: 2501, kind: 'clog', a: 'n4', b: 'n1', releaseAfter: 4501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
