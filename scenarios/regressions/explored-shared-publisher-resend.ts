// Found by npm run test:faults (swarm survey, fast-check seed 8, schedule 110, shrunk): n1 loses power, so the QoS 2 PUBRECs of p0 (a clean v5 publisher on n5) wait for it; n5 then crashes before it acknowledges p0:14..16, already given to members of g2; p0 reconnects elsewhere and sends them again, to a server with no state of them, which gives them to other members. Not a broker bug: a publisher starting clean keeps no packet ids (docs/guarantees.md, QoS 2); shared-once.ts counts such a copy as publisher-resend.
// Replay: npx sim run <this file> --seed 395890
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-shared-publisher-resend',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 5,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 4, clean: false, expiry: 20, qos: 1, group: null },
          { node: 4, version: 4, clean: true, expiry: 86400, qos: 2, group: 'g2' },
          { node: 4, version: 4, clean: false, expiry: 86400, qos: 2, group: 'g2' },
          { node: 4, version: 5, clean: true, expiry: 0, qos: 2, group: 'g2' },
        ],
        pubs: [{ node: 1, version: 5, qos: 2 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 12679, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 2624 },
        { at: 15613, kind: 'crash', node: 'n5', mode: 'process', restartAfter: 0 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
