// Found by test:faults SEED=2303 (after 241). OPEN: n1 took n3 for lost during a clog between them (n2 reached
// both) and moved the forwards n3 had not confirmed into its failed-over copy of n3's session, then acknowledged
// them: no other running node held them (n2's replica follows the live owner n3). n1 crashed 0.6 ms after the
// link to n3 came back, before handing the copy back: the acknowledged messages were lost. The fix: orphans put
// into a failed-over copy are confirmed by another replica holder before the acknowledgement, which keeps them
// beside the live owner's state and hands them to the owner if the copy's node dies.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-copy-holder-crash',
  description: 'the messages of a failed-over copy survive the crash of the node that made it',
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
        { at: 1001, kind: 'clog', a: 'n3', b: 'n1', releaseAfter: 5001 },
        { at: 7501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
