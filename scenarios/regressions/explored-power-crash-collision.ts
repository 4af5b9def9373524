// Found by `npm run test:faults` (RUNS=200 after 96515fb, shrunk): c0 holds a persistent session on n1; n1 loses power (no RST) as c0 connects again on n1 and n2; c0-2 gets its session on n2 while c0-0 still holds its dead connection to n1 until its keep alive runs out (9 s). The single-connection checker counted that half-open connection as live: it now ends a connection at its node's crash (no server holds it; nothing can close it).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-power-crash-collision',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [{ at: 0, existing: true, nodes: [0, 1], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [{ at: 0, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 1000 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
