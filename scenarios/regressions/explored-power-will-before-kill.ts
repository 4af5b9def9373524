// Found by `npm run test:faults` (SEED=707, shrunk). Not a broker bug: w0's node n5 loses power; its backup
// n1 publishes w0's delay-0 will at the failover (2.0 s); w0, whose connection stayed half open, is killed by
// the workload only at 2.5 s, and the swarm looked for the will after the kill. Fixed in the swarm: a
// connection whose node crashed under it ended at the crash (willVerdicts).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-power-will-before-kill',
  description: 'a will published at failover before the client dropped its half-open connection is counted',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 5,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 4,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 1001,
            end: 'kill',
            backAfter: null,
          },
        ],
      },
      [{ at: 0, kind: 'crash', node: 'n5', mode: 'power', restartAfter: 1000 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
