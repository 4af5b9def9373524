// Found by `npm run test:faults` (SEED=202, shrunk): n1 dies; n2, its backup, fails w0's session over and
// publishes its delay-0 will; n2 dies too. n3 still held n1's copy of the will (n2's clear named n2), and
// taking over n1's leftovers as the next backup it published the will again. Fixed: a will from a node for
// the same connection (client id and connect time) replaces another node's copy of it
// (core/cluster/will-replication.ts onWill).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-backup-will-moved',
  description: 'a will published by the backup is not published again when the backup dies too',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
        ],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 1, kind: 'crash', node: 'n5', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
