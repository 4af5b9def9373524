// Found by `npm run test:faults` (RUNS=200 after the takeover and share-group fixes, shrunk): both nodes crash at once and restart 1 s later while w0 (v5, persistent, will without delay) is connected. Cluster nodes keep no disk, so the whole-cluster outage takes w0's session and will with it: no node is left to publish it. The swarm treats a wipe as the end of what the cluster holds (no-loss, its own will verdicts); the will-iff checker's missing will for a connection the wipe ended, not yet due and noticed before it, is now judged the same (docs/guarantees.md).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-cluster-wipe-will',
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
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
        ],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 0, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
