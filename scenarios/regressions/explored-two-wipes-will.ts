// Found by `npm run test:faults` (shrunk). Not a broker bug: both nodes crash at 1.0 s as w0 is killed, so its
// delay-0 will goes with the whole cluster (docs/guarantees.md, whole-cluster outage); a second whole-cluster
// outage at 21.0 s replaced the first in the swarm's record, and the will lost in the first was reported
// missing. Fixed in the swarm: every whole-cluster outage excuses the wills it took (FaultPlayer.wipes).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-two-wipes-will',
  description: 'two whole-cluster outages: a will lost in the first is excused by it',
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
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
        ],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 0, kind: 'crash', node: 'n4', mode: 'process', restartAfter: 19501 },
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 100 },
        { at: 19501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
