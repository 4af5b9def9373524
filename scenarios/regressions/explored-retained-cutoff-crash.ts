// Found by `npm run test:faults` (RUNS=200 after 33c4304, shrunk): n1 is paused 15.5 s, so n2 takes it for down; r0 sets retained r/0 again through n2, which acknowledges it (n1 cut off: the documented availability window) and crashes 50 ms later; the write is gone with it and both nodes serve the older value. The swarm excused acknowledged messages lost this way but not the retained-reads verdict on such a write: now it does, as its own read-back check did.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-retained-cutoff-crash',
  description: 'a generated workload and fault schedule, shrunk',
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
        retained: [
          { at: 19501, topic: 0 },
          { at: 0, topic: 0 },
        ],
        wills: [],
      },
      [
        { at: 0, kind: 'partition', oneWay: false, a: ['n1', 'n2'], b: ['n3', 'n4', 'n5'] },
        { at: 3501, kind: 'pause', node: 'n1', resumeAfter: 15501 },
        { at: 20001, kind: 'crash', node: 'n4', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
    ctx.report('split loss', r.splitLoss);
  },
});
