// Found by `npm run test:faults` (survey: fast-check seed 7, 200 schedules; shrunk): a 4.6 s forward step of one node's clock (skew, like an NTP step) made it take every peer for silent, since peer silence was measured on the wall clock: it dropped its links and a peer took it for dead and published the will of a client still connected there (will-iff once the client later disconnected cleanly; will-once and will-timing in other schedules). Fixed: the failure detector measures silence on the monotonic clock (Clock.monotonic); the simulator's skew steps only the wall clock.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-skew-step-will',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 1, version: 4, clean: false, expiry: 0, qos: 2, group: 'g1' }],
        pubs: [{ node: 0, version: 4, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 0,
            version: 4,
            clean: true,
            delay: 0,
            expiry: 0,
            at: 42040,
            end: 'disconnect',
            backAfter: 8000,
          },
        ],
      },
      [{ at: 4, kind: 'skew', node: 'n5', ms: 4565 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
