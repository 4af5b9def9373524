// Found by test:faults SEED=2101 (after 172): a QoS 1 publish parked on a restarted node (its route table
// not synced yet) before the only member of a share group subscribed there (a new session, the old one failed
// over to the peer) was routed again at the heal with the group picked round robin: a pick of this node was
// skipped as already served, so every other message reached no member (acknowledged loss).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-parked-share-late-member',
  description:
    'parked publishes routed again at the heal serve share groups not served at publish by a peer member',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g1' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 0, kind: 'partition', oneWay: false, a: ['n2'], b: ['n1', 'n3', 'n4', 'n5'] },
        { at: 0, kind: 'clog', a: 'n1', b: 'n2', releaseAfter: 100 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
