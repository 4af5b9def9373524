// Found by `npm run test:faults` (SEED=1001, shrunk). Not a broker bug: both nodes crash (a whole-cluster
// outage), restart behind a one-way cut that keeps them from ever linking; s0's new session on n2 subscribes,
// then n2 crashes again before any peer could hold a replica, and s0 comes back to n1 with session present 0.
// What p0 published on n1 meanwhile (parked, acknowledged at the heal) had no session left to reach. Without a
// data dir that session's loss is a whole-cluster outage for it: the swarm now judges it so (lostAlone).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-lost-alone',
  description:
    'a session lost with the only node that held it (no link ever) is judged as in a whole-cluster outage',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n4', mode: 'process', restartAfter: 1000 },
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 0, kind: 'skew', node: 'n1', ms: 0 },
        { at: 14, kind: 'partition', oneWay: true, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
        { at: 2001, kind: 'crash', node: 'n4', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
