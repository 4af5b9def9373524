// Found by `npm run test:faults` (SEED=4111 after 339, the sweep's shrink once
// explored-restart-oneway-orphans-lost was fixed), the same on main before today's merges (8389404):
// acknowledged loss, a broker bug. 5 nodes; s0 (persistent) on n5, s1 on n1, p0 publishing on n3. n5 loses
// power (21 s) and restarts empty (24.5 s): n1, its backup, fails s0 over. From 25.5 s a one-way partition
// blocks n3,n5 (and s0, p0) -> n1,n2,n4. n3 had not heard n1's claim of s0 (its replica of s0 is still
// n5's): p0:26 and p0:27 (26 s, 27 s) go into that replica as orphans of n5's past life (orphanForRestarted)
// and as F.Orphan to n5's backup n1, which cannot get them. n1 loses power at 26 s and restarts at 27 s; n2
// fails n1's sessions over (s0, s1) and replicates its copy of s0 to n3 (n2 -> n3 flows): that copy REPLACES
// n3's replica of s0, and the two orphans in it are gone. n3 takes n2 for lost (31 s) and adopts s0 from n2's
// copy; at 32 s it takes n1 for lost: the F.Orphan frame (owner n5) is redirected to n5's next backup, n3
// itself, so nowhere. s0 resumes on n3 at 92.8 s and gets every message but p0:26 and p0:27.
// Fixed (core/cluster/replica.ts takenOver): n3's replica of s0, replaced at 27 s by n2's copy of the same
// claim, keeps the plain orphans it was given, and n3 restores s0 from it with them at 31 s.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-restart-oneway-two-owners-loss',
  description: 'forwards to a restarted node holding a failed-over session, behind a one-way cut: delivered',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 5,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 4, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 2, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'pause', node: 'n4', resumeAfter: 100 },
        { at: 19501, kind: 'crash', node: 'n5', mode: 'power', restartAfter: 3001 },
        { at: 24173, kind: 'partition', oneWay: true, a: ['n3', 'n5'], b: ['n1', 'n2', 'n4'] },
        { at: 24501, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
