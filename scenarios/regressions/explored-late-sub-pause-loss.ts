// Found by a random-seed test:faults sweep (after 293) on i13-backup merged with main 15099f5; it failed the same
// (p0:77) on main 0fad2bb. 3 nodes; s1 lives on n2; n2 is paused 44003..50003 with s1's SUBSCRIBE u/# on its way,
// answered at the wake (50003); n3 took n2 for lost at 50000 (failing its sessions over) and linked to it again at
// 51005. p0:77 on u/p0, published on n3 at 51003 and acknowledged at 51010, went to n2 as a forward (s0's old u/#
// route) queued while n2 was unreachable, stamped with the subscription epoch n3 had heard before the pause: n2
// gave it to no subscription made since, so s1 never got it. Fixed (core/cluster/forwarding.ts forwardTo): a
// forward to a node we do not hear is unstamped, as what is kept for it is (holdForStale): its subscriptions made
// meanwhile could not reach us, and are owed it.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-late-sub-pause-loss',
  description: 'a late subscription made while a node sleeps gets what was acknowledged after it',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 2, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [
          { at: 42501, sub: 3 },
          { at: 0, sub: 0 },
        ],
        retained: [],
        wills: [],
      },
      [
        { at: 1, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 42501, kind: 'pause', node: 'n2', resumeAfter: 5501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
