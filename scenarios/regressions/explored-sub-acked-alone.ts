// Found by `npm run test:faults` (SEED=1101, shrunk). Checker correction: n1 is paused 5 s while s0 (on n1)
// subscribes to u/#; n1 wakes taking n2 for lost, acknowledges the subscription alone (n2 has meanwhile
// failed s0 over with the replica it had, without u/#) and crashes 500 ms later, before the link is back. s0
// resumes on n2 without u/#: the subscription was lost with the only node that held it, as a publish
// acknowledged alone in ack mode replicated is (ackedAlone); it is not owed what is published afterwards.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-sub-acked-alone',
  description:
    'a subscription acknowledged by a node alone (every peer taken for lost) is lost with that node when it crashes before linking again',
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
        lateSubs: [{ at: 501, sub: 0 }],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 4501 },
        { at: 0, kind: 'clog', a: 'n5', b: 'n1', releaseAfter: 100 },
        { at: 5001, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
