// Found by `npm run test:faults` (RUNS=200 after bce31c4, shrunk): a 5.5 s clog makes n2 take n1 for dead and publish w0's will though w0 is still connected on n1 (split-will, reaches the watcher at 8 s). After the heal n1 does not replicate w0's will again, so when a partition later isolates n1 and n1 crashes with w0 killed (24 s), no node holds the will: it is never published for the real loss. Fixed: the link-up resync sends the wills of connected clients again.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-will-rearm',
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
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 22501,
            end: 'kill',
            backAfter: null,
          },
        ],
      },
      [
        { at: 0, kind: 'clog', a: 'n1', b: 'n2', releaseAfter: 5501 },
        { at: 7001, kind: 'partition', oneWay: false, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
        { at: 22501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
