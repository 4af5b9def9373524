// Found by `npm run test:faults` (SEED=1202, shrunk). The named availability case `copy-late-order`
// (docs/guarantees.md, Order): n1 loses power, n2 fails s0's session over; n1 restarts, links, and 500 ms later
// the n1-n2 link is clogged for 10 s. s0 notices its dead connection only then and resumes on n1 from n3's
// replica (n2 is unreachable from n1 by now, so it is not waited for); n1 delivers new messages at once, and
// n2's copy with the older ones arrives at the unclog: s0 gets p1:11 after p1:21. Holding the resumed session
// for a backup cut off would stop it for the whole cut; none is lost, and the checker counts the copy's
// messages (`handoff.msgs`: the copy of n2, which failed over the session's node) instead of failing.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-resume-before-backup-handback',
  description:
    'a session resumed while its failed-over copy is behind a clog gets its older messages after newer ones: copy-late-order',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [{ at: 0, topic: 0 }],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 9001 },
        { at: 9501, kind: 'clog', a: 'n1', b: 'n5', releaseAfter: 10001 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
