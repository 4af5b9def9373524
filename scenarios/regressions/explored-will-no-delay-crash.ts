// Found by `npm run test:faults`: a client with a delay-0 will is killed as its node loses power and resumes on the other node before the failover; the will was never published. will: w0 killed at 1003.2 ms: its will never reached the watcher
// Replay: npx sim run <this file> --seed 1
import { defineScenario, playSwarm } from 'mqttlab/sim';

export default defineScenario({
  name: 'explored-will-no-delay-crash',
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
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: 1000 },
        ],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 1000 },
        { at: 0, kind: 'clog', a: 'n3', b: 'n1', releaseAfter: 100 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
