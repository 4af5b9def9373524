// Found by `npm run test:faults` (SEED=1909, shrunk), against the first version of the fresh-claim will rule.
// n1 is paused, n2 fails w0's session over with its will; at the link-up n1 claims w0 (connected all along,
// and told session present 0 when it first connected) and n2 published the will on that fresh claim, though
// the claim was of the very connection its copy came from. The rule now applies only to a claim connected
// after the session it ends.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-fresh-same-claim',
  description: 'a fresh claim of the same connection a failed-over copy came from does not publish the will',
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
            delay: 10,
            expiry: 86400,
            at: 6001,
            end: 'kill',
            backAfter: null,
          },
        ],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 4501 },
        { at: 0, kind: 'partition', oneWay: false, a: ['n5', 'n2'], b: ['n1', 'n3', 'n4'] },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
