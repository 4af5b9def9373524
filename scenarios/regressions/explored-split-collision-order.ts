// Found by npm run test:faults (swarm survey, fast-check seed 7, schedule 149, shrunk): a fresh persistent id connects on both sides of a 45 s split; at the heal n2 releases what it kept for n1 (published during the split) to n1's copy of the session, and the takeover hands that copy's queue to the surviving connection on n2, after the newer messages it got itself. Not a broker bug: each connection had its own copy of the session (split-connect, docs/guarantees.md); the order checker now also counts the other copy's messages handed over at the takeover (within settleMs of it) as split-connect-order.
// Replay: npx sim run <this file> --seed 409423
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-collision-order',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 4, version: 4, clean: false, expiry: 20, qos: 1, group: 'g2' }],
        pubs: [{ node: 3, version: 4, qos: 2 }],
        collisions: [{ at: 34192, existing: false, nodes: [0, 2], gapMs: 2, version: 4, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'partition', oneWay: false, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
        { at: 44884, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
