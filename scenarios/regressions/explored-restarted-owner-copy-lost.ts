// Found by test:faults SEED=3303 (after 332 schedules): acknowledged messages lost (no-acked-loss, `no-session`).
// s0's node n3 loses power and restarts empty at once; its backup n1 fails s0 over and takes p0:30-31 into that
// copy. n2's link to n3 broke in the restart, so n2 had not heard that n3 restarted: its replica of s0 still
// followed n3, and the copy-keeper kept n1's copy beside it. Then n2 hears n3 is back empty (the replica is of
// n3's previous life) and n1 loses power too: the keeper handed n1's copy to the replica's owner n3, which has
// no such session and dropped it as `no-session`; s0 later resumes on n1 with session present 0.
// Fix (core/cluster/copy-keeper.ts): when the replica's owner restarted since (`old`), the lost holder's copy
// was the session: the replica follows the holder, with what was kept, and fails over with its sessions.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restarted-owner-copy-lost',
  description: "a copy kept beside the replica of an owner that restarted empty is lost with the copy's node",
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
        { at: 28501, kind: 'crash', node: 'n3', mode: 'power', restartAfter: 1000 },
        { at: 30501, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
