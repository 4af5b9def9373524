// Found by `npm run test:faults` (SEED=1707 RUNS=400, after 167 schedules on this branch; fails the same on the
// code before it): 2 nodes; n2 crashes at 1.5 s (s0's replica
// goes with it, no disk) and restarts empty at 9.5 s cut off from n1 and the clients; n1 crashes at 10 s and
// restarts a second later, so no node holds s0's session any more; s0 comes back at 41 s with session present 0.
// The swarm reported as lost QoS 1 messages on u/p0 (s0's late subscription), such as p0:17, published at 11.0 s
// after n1's crash took the last copy. A checker gap: the swarm's every-copy-lost rule (lostAlone) covered the
// subscriptions made at connect but not a late one, which went with the session and is not made again.
// Checker correction (swarm): a late subscription lost with every copy of its session is owed nothing after.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-two-crashes-session-lost',
  description: 'a late subscription lost with every copy of its session in two crashes is owed nothing after',
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
        lateSubs: [{ at: 0, sub: 0 }],
        retained: [],
        wills: [],
      },
      [
        { at: 1, kind: 'crash', node: 'n4', mode: 'process', restartAfter: 7501 },
        { at: 8467, kind: 'partition', oneWay: false, a: ['n3'], b: ['n1', 'n2', 'n4', 'n5'] },
        { at: 8501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
