// Found by `npm run test:faults` (SEED=4010 after 67), the same on main before today's merges (8389404).
// Not a broker bug: a swarm checker gap. 3 nodes behind a balancer; w0 (v5, persistent, will delay 0) on n2
// sends a clean DISCONNECT at 1 s. n2 is then cut off both ways (1.5 s) and n1 one way (4.5 s: n1 cannot send
// to n2 and n3; the schedule's `n4`/`n5` are n1/n2 in a 3-node run). n3 fails w0's session over (no will: the
// DISCONNECT had reached it) and w0 comes back on n3 at 9 s, session present, with a will in its CONNECT,
// which n3 replicates to n1 (n3 -> n1 still flows). At 10 s n1 takes n3 for lost and publishes the will of
// w0's live connection on n3 (`cluster.will` from n3): a split-will, counted by checkWills
// (docs/verdicts.md, Wills). The swarm judged every will within 1 s of the return as the first connection's
// and failed it as a will after a clean DISCONNECT. Fix (sim/swarm.ts willVerdicts): a will a peer publishes
// for the return connection's node after the return ends that window.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-will-after-return',
  description:
    "a split-will of a client's return connection is not taken for the will of its clean DISCONNECT",
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
        ],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 0,
            end: 'disconnect',
            backAfter: 8000,
          },
        ],
      },
      [
        { at: 1, kind: 'partition', oneWay: false, a: ['n5'], b: ['n1', 'n2', 'n3', 'n4'] },
        { at: 3389, kind: 'partition', oneWay: true, a: ['n4'], b: ['n1', 'n2', 'n3', 'n5'] },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
