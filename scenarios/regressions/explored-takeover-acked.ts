// Found by `sim explore` (explore(10, 3) on main 196c6ee, shrunk): n2 is paused 20 s, so n1 fails the persistent session of c0 over and hands it back when n2 resumes; then c0 connects to n2 and, 3 ms later, to n1. n2 delivers the session's queue and c0 acknowledges it; n1 had resumed from its replica, which missed those acknowledgements (batched), and sent the whole queue again as new after newer messages (order). Fixed: the takeover's handoff carries what the client acknowledged (seen), and the held queue drops those (Session.knownDone).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-takeover-acked',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 2, group: 'g1' }],
        pubs: [{ node: 1, version: 5, qos: 1 }],
        collisions: [{ at: 23207, existing: true, nodes: [1, 0], gapMs: 3, version: 4, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 8, kind: 'pause', node: 'n4', resumeAfter: 19999 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
