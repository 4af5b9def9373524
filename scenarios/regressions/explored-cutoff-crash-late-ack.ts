// Found by npm run test:faults (swarm survey, fast-check seed 8, schedule 111, shrunk): n2, cut off one way, takes its peers for dead and acknowledges p0's QoS 2 messages alone (the documented availability window), then crashes; the PUBCOMPs it sent just before the crash reach the publisher after it. Not a broker bug: the swarm's window excused only acknowledgements recorded before the crash (sim/swarm.ts, ackedCutOffThenCrashed).
// Replay: npx sim run <this file> --seed 402150
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-cutoff-crash-late-ack',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 4, version: 4, clean: false, expiry: 20, qos: 2, group: 'g2' }],
        pubs: [{ node: 1, version: 5, qos: 2 }],
        collisions: [],
        lateSubs: [{ at: 1518, sub: 0 }],
        retained: [],
        wills: [],
      },
      [
        { at: 26160, kind: 'partition', oneWay: true, a: ['n5'], b: ['n1', 'n2', 'n3', 'n4'] },
        { at: 31653, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 0 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
