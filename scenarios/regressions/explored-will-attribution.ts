// Found by `npm run test:faults` (survey seed 7 after the delay0-will-moved fix, shrunk). Not a broker bug: w0 (v3.1.1, will) sends DISCONNECT as n4 pauses for 8.3 s and resumes its session on n1; n1, n4's backup, takes n4 for dead and publishes the old connection's will (split-will: the pause held the DISCONNECT). Later n1 loses power with w0 connected and n2 publishes that connection's will. The checker gave every will to the connection whose CONNACK preceded it, so both fell on the second one (will-once). Fixed: a will belongs to the client's last connection on the node it was for (cluster.will's `from`, else the publishing node).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-will-attribution',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 1, version: 4, clean: true, expiry: 86400, qos: 0, group: 'g2' }],
        pubs: [{ node: 2, version: 5, qos: 0 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 3,
            version: 4,
            clean: false,
            delay: 10,
            expiry: 86400,
            at: 8764,
            end: 'disconnect',
            backAfter: 1000,
          },
        ],
      },
      [
        { at: 8770, kind: 'pause', node: 'n4', resumeAfter: 8277 },
        { at: 50544, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 31141 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
