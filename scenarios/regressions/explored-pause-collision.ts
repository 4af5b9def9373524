// Found by npm run test:faults (swarm survey, fast-check seed 7, schedule 62, shrunk): n1 is paused 17.4 s; c0 connects on n2, then on n1, whose CONNECT is accepted when n1 resumes and has just declared its peers down (its links died during the pause): two connections for 1003 ms, until n1 has dialed again and the takeover closes the one on n2. Not a broker bug: the split-connect trade-off (docs/guarantees.md: no node can hear the other's claim); single-connection.ts counted only partitions and clogs as a separation, now also a node's own peer-down window.
// Replay: npx sim run <this file> --seed 407753
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-pause-collision',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: true, expiry: 0, qos: 1, group: 'g2' }],
        pubs: [{ node: 4, version: 5, qos: 1 }],
        collisions: [{ at: 12103, existing: true, nodes: [4, 0], gapMs: 4, version: 4, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 0, kind: 'pause', node: 'n1', resumeAfter: 17430 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
