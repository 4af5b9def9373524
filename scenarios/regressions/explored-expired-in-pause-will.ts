// Found by `npm run test:faults` (SEED=1101: 400 passed at 73409e9; on the final code of 2026-12-03 it stopped
// after 35 schedules and shrank to this, which fails on every commit checked back to 1353ebd: an older bug the
// sweep now reaches). w0 (will delay 3 s, session expiry 5 s) dies on n1; n1 is
// paused 5 s, its session expires meanwhile, and at the unpause n1 publishes the will. n2 took n1 for lost at
// that moment, failed the session over and published the will again 3 s later: n1's clear reached n2 at the
// link-up but only dropped the held copy, not the will of the session n2 restored (dropping it on any clear
// would break the handoff path, whose clear looks the same). Fixed: a clear says `gone` when the will was
// published or discarded, not moved, and a peer holding that connection's will in a failed-over session drops it.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-expired-in-pause-will',
  description:
    'a will published at the unpause of its node is not published again by the peer that failed the session over',
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
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 3, expiry: 5, at: 0, end: 'kill', backAfter: null },
        ],
      },
      [
        { at: 0, kind: 'partition', oneWay: false, a: ['n2', 'n5'], b: ['n1', 'n3', 'n4'] },
        { at: 1, kind: 'pause', node: 'n1', resumeAfter: 4501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
