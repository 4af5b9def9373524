// Found by `npm run test:faults` (SEED=1303, shrunk). The named availability case `copy-late-order`
// (docs/guarantees.md, Order): the publisher's node n4 is paused 12.5 s with p0:14 in its inbox; it wakes
// taking n3 for lost, while the n3-n4 link is clogged, and fails s2's session over (s2 is live on n3): p0:14
// goes to that copy. Newer messages reach s2 on n3 by other paths; at the unclog n4 hands its copy back and s2
// gets p0:14 after p0:27. The live session cannot hold for a copy it has not heard of; none is lost, and the
// checker counts the copy's messages (`handoff.msgs`) instead of failing.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-paused-failover-copy-order',
  description:
    'a failed-over copy made by a paused node behind a clog is handed back after newer messages: copy-late-order, none lost',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 5,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 7501 },
        { at: 6001, kind: 'clog', a: 'n3', b: 'n5', releaseAfter: 14001 },
        { at: 12501, kind: 'pause', node: 'n4', resumeAfter: 12001 },
        { at: 25001, kind: 'clog', a: 'n3', b: 'n4', releaseAfter: 1001 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
