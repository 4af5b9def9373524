// Found by test:faults SEED=2505 (after 375). Not a broker bug: n1, the owner of s0, loses power; n2 fails the
// session over (its only copy now), n1 comes back empty behind a one-way cut that keeps n2 from linking to it, and
// n2 crashes before its copy reached any node. Every copy is gone one after the other, as in
// explored-every-copy-lost with the crashes in the other order; s0 comes back with session present 0 and is owed
// only what is published after it subscribed again (the swarm: lostAlone, copiesLost).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-copies-lost-after-owner',
  description:
    'every copy lost in turn, the owner first, is judged as a whole-cluster outage for the session',
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
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 7501 },
        { at: 7807, kind: 'partition', oneWay: true, a: ['n2'], b: ['n1', 'n3', 'n4', 'n5'] },
        { at: 8001, kind: 'crash', node: 'n4', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
