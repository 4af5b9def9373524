// Found by test:faults SEED=3404 (after 305 schedules) on i13-backup's final code, the 3-node shrink of the stop
// explored-wake-unlinked-will came from; it failed the same on main (8389404). w1 (delay 0) connects at 20509 to
// n2, cut off by a partition since 19352 (not noticed yet); the heal comes at 38501 and n2 loses its process at
// 39001, before any of its links is back. The will's replication frame never left n2: a will set on a node that
// could reach no peer until it died (docs/guarantees.md, Wills). A checker gap, corrected: the swarm's willAlone
// counts a peer out of reach through a fault or down in the node's own view, one after the other.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-heal-unlinked-will',
  description: 'a will set on a node cut off, lost with it before its links were back after the heal',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 18001,
            end: 'kill',
            backAfter: 1000,
          },
        ],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 17501 },
        { at: 19352, kind: 'partition', oneWay: false, a: ['n2'], b: ['n1', 'n3', 'n4', 'n5'] },
        { at: 38501, kind: 'heal' },
        { at: 39001, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
