// Found by `npm run test:faults` (SEED=1404, shrunk). The named availability case `moved-late-order`
// (docs/guarantees.md, Order): n1 is cut off from all, then only n3 and n4 are (n1 and n2 link again). c0
// connects on n2, is taken over on n3 at once and subscribes there. n1's publishes reach n3 by two paths that
// each wait for the heal: kept at n1 for n3 (direct), and kept at n2 for n3 after n2 passed them on to the
// session that moved from it (F.Moved). The two kept queues are released independently at the heal: c0 gets
// p2:3-8 (the n2 path) after p2:9 (direct). None is lost. The broker names forwards passed on to a live session
// around a cut (`moved.msgs` in the history); the checker sets no order between them and the direct path's when a
// fault touched the relay or the session's node (it still judges a follow without a fault).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-two-path-heal-order',
  description:
    'messages of one origin reaching a session by two paths that both waited for a heal: moved-late-order, none lost',
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
        collisions: [{ at: 1001, existing: false, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: 1000 },
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
        ],
      },
      [
        { at: 0, kind: 'partition', oneWay: false, a: ['n2', 'n4', 'n3'], b: ['n1', 'n5'] },
        { at: 1501, kind: 'partition', oneWay: false, a: ['n4', 'n3'], b: ['n1', 'n2', 'n5'] },
        { at: 7501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
