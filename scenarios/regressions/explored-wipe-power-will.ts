// Found by `npm run test:faults` (survey seed 7, shrunk). Not a broker bug: both nodes are down at once (n2 from 35.1 s to 42.8 s, n1 loses power at 42.6 s with w0 connected), so the session and its will go (docs/guarantees.md, whole-cluster outage). The swarm excused such a will only for a connection the client closed before the outage; w0's client noticed the power loss only at 51.5 s. Fixed in willLostInWipe: a connection ends when its node crashed.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-wipe-power-will',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 4, version: 4, clean: true, expiry: 20, qos: 1, group: 'g1' }],
        pubs: [{ node: 2, version: 4, qos: 0 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 4, version: 5, clean: false, delay: 3, expiry: 5, at: 50249, end: 'kill', backAfter: 1000 },
        ],
      },
      [
        { at: 33603, kind: 'crash', node: 'n2', mode: 'power', restartAfter: 7732 },
        { at: 41108, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 34052 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
