// Found by `npm run test:faults` (SEED=1404, shrunk). c0 connects twice at the same instant while n3 and n4 are
// cut off from n1 and n2; one process lands on each side (split-connect). At the heal n1 takes the session
// over and the n3/n4 copy is handed to it; its older messages reached the survivor between the loser's
// DISCONNECT 0x8E (Session taken over) and its close. The split-connect order rule counted only what came after
// the close; it now starts at the takeover (the first 0x8E of the overlap), as it says.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-handed-before-close',
  description: 'explored-split-handed-before-close',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
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
        collisions: [{ at: 5501, existing: false, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
        ],
      },
      [
        { at: 0, kind: 'partition', oneWay: false, a: ['n4', 'n3'], b: ['n1', 'n2', 'n5'] },
        { at: 11001, kind: 'partition', oneWay: false, a: ['n3'], b: ['n1', 'n2', 'n4', 'n5'] },
        { at: 16501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
