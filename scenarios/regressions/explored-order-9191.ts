// Found by `npm run test:faults` SEED=9191 (after 179) on 931b7ac; it fails the same on b7245c5 (the code before that
// stop's merges). OPEN (it.fails), not analysed: c0 got p1:33-35 after p1:41 on t/p1 (order).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';
export default defineScenario({
  name: 'explored-order-9191',
  description: 'open: order broken for c0 on t/p1 (open)',
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
        ],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [{ at: 36501, existing: true, nodes: [0, 0], gapMs: 1, version: 5, clean: false }],
        lateSubs: [],
        retained: [{ at: 0, topic: 0 }],
        wills: [],
      },
      [
        { at: 31501, kind: 'clog', a: 'n2', b: 'n4', releaseAfter: 8002 },
        { at: 36852, kind: 'partition', oneWay: true, a: ['n2', 'n4', 'n5'], b: ['n1', 'n3'] },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
