// Found by test:faults SEED=3505 (after 398) on branch i13-share2; the same on main (15099f5: same history
// hash). Not a broker bug: the documented limit of a forward that waited out a pause (docs/guarantees.md,
// "A shared subscription's message goes to one member of the group"), in the order the checker did not
// know. 2 nodes; share group g2 with members s0 (QoS 0) and s1 (QoS 1) and a plain subscriber s2, all on
// n1; p0 publishes QoS 1 on n2. n1 is paused 13 s with forwards p0:27-33 in its inbox; n2 takes it for dead
// at 33 s and gives the groups of those unconfirmed forwards to one failed-over member (s0's copy). s0's
// client reconnects to n2 first (40.37 s, session present 1) and gets them; n1 resumes at 40.50 s and
// serves its inbox to s1 (p0:28, 30, 32) within 1 ms. The checker excused such a copy only when the
// paused node's delivery came first (`shared-late-forward`); it now also does when it comes second, within
// 1 s of the end of a fault on its node that was on at the first delivery (sim/checkers/shared-once.ts).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-pause-shared-late-second',
  description:
    'a paused node serves its inbox to a share group after the group had the messages through a failed-over member',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 0, group: 'g2' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g2' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 1, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 100 },
        { at: 25501, kind: 'pause', node: 'n1', resumeAfter: 13001 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
