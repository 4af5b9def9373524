// Found by `npm run test:faults` (SEED=303, shrunk). Not a broker bug: n1 and n3 are clogged 2.5 s; s0 on n1
// subscribes to u/# meanwhile (SUBACK from n1 at once: routes travel asynchronously), and p0's u/p0 published
// on n3 before the link flows again went nowhere. A stalled link is a split no node detects: the swarm now
// judges a subscription made during a clog as one made during a split, owed from the unclog
// (docs/guarantees.md).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-clog-late-subscribe',
  description:
    'a subscription made while a link is clogged is owed what the other side publishes once it flows',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [{ at: 0, sub: 0 }],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'clog', a: 'n3', b: 'n1', releaseAfter: 2001 },
        { at: 0, kind: 'skew', node: 'n1', ms: 0 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
