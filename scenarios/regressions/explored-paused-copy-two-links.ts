// Found by `npm run test:faults` (SEED=1606, shrunk). The named availability case `copy-late-order`
// (docs/guarantees.md, Order): n1 dies, n2 fails s0 over and is paused 15 s with the publisher p0's PUBLISHes in
// its inbox; n3 fails n2 over, s0 resumes on n4. n2 wakes and works through its inbox in arrival order: p0:34-39
// go to its copy of s0 (handed to n4 once it hears n4's claim, on the n2-n4 link, cut one way until 51 s),
// p0:40-50 to n3's route (n3 passes them on to n4 at once). s0 gets p0:40-50 before p0:34-39: n4 cannot hold
// for a copy it has not heard of. None is lost; the checker names the copy's messages (`handoff.msgs` in the
// history: a copy of a node that failed over the session's node) and counts them instead of failing.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-paused-copy-two-links',
  description:
    'a paused node copy of a session is handed back after the forwards it sent meanwhile: copy-late-order, none lost',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 24001, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 18001 },
        { at: 32501, kind: 'pause', node: 'n2', resumeAfter: 15001 },
        { at: 49302, kind: 'partition', oneWay: true, a: ['n4'], b: ['n1', 'n2', 'n3', 'n5'] },
        { at: 49501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
