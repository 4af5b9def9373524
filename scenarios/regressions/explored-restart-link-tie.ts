// Found by test:faults SEED=3303 (after 332 schedules; shrunk a third time once explored-restart-hides-backup was
// fixed): acknowledged messages lost. n1 loses power and restarts 1 s later; its new life dials n3 before n3 has
// noticed that its link to n1's old life is dead. n3 kept one link per pair by "the lower dialer wins": both links
// were dialed by n1, so it kept the dead one and closed the new; n1 took n3 for lost before it got n3's sessions
// (nothing to fail over) and had not linked again when n3 lost power 500 ms later. n2 chose n1 as n3's backup (up
// since before n3 was last heard): nobody restored s0, whose messages went to no one (session present 0 after).
// Fix (core/cluster/autoheal.ts): a node dials again only when it takes its link for dead, and a new life has no
// other link: the newer link from the same dialer, or from another incarnation, replaces the old one.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restart-link-tie',
  description: "a restarted node's new link replaces the one to its old life the peer has not noticed dead",
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 2, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 19501, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 1000 },
        { at: 21001, kind: 'crash', node: 'n3', mode: 'power', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
