// Found by `npm run test:faults` (SEED=3909 after 266), the same on main before today's merges (8389404).
// Not a broker bug: a checker gap. 2 nodes; r0 sets a retained message on n1 (replicated to n2). n2 crashes
// (process, 4.5 s) and comes back empty at 35.5 s behind a partition from n1 (the schedule's `n5` is n1 in
// a 2-node run), so it cannot get the store again; n1 then crashes (36 s) and comes back empty too. Every
// copy of the retained message is gone one after the other, and both readers read nothing after the heal.
// Without data dirs that is a whole-cluster restart for the retained store (docs/guarantees.md, "Without data
// dirs"), which the swarm excused only when every node was down at once (FaultPlayer.wipes). Corrected on
// main by retainedCopiesLost (512bb13, explored-retained-both-crash; this branch's own correction was dropped
// at the merge): a retained write every copy of which was lost in turn leaves the older value as the last held.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-retained-every-copy-lost',
  description:
    'a retained message whose every copy is lost one node after the other is not owed after the heal',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [{ at: 0, topic: 0 }],
        wills: [],
      },
      [
        { at: 0, kind: 'skew', node: 'n1', ms: 0 },
        { at: 29001, kind: 'crash', node: 'n4', mode: 'process', restartAfter: 4501 },
        { at: 34025, kind: 'partition', oneWay: false, a: ['n5'], b: ['n1', 'n2', 'n3', 'n4'] },
        { at: 34501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
