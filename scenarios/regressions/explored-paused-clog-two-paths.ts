// Found by `npm run test:faults` (SEED=2202 RUNS=400, after 194 schedules). The named availability case
// `moved-late-order` (docs/guarantees.md, Order): s0 on n1, publisher on n4; the n4-n1 link is clogged 6 s while
// n2 is paused 5 s. n2 wakes taking n1 for lost and fails s0 over; n4 takes n1 for lost at 7000. p0:7 reaches
// s0 by way of n2's copy, passed on to n1 at once (`moved.msgs`), p0:1-5 wait on the clogged n4-n1 link and
// arrive at its link-up a second later: s0 gets p0:1-5 after p0:7. Two paths of one origin released
// independently around a cut; none is lost, and the checker counts the pair as `moved-late-order`.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-paused-clog-two-paths',
  description:
    'forwards held on a clogged link arrive after a newer one a woken node passed on: moved-late-order, none lost',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 3, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'pause', node: 'n2', resumeAfter: 4501 },
        { at: 0, kind: 'clog', a: 'n4', b: 'n1', releaseAfter: 5501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
