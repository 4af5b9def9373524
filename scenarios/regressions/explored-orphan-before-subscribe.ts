// Found by `npm run test:faults` (SEED=1404, shrunk). A one-way cut keeps n1 from
// n2 while p0:7 and p0:8 wait on n1 for n2's confirmation; c0, a fresh id, then connects to both and lands on
// n2. When n1 takes n2 for lost it turns those unconfirmed forwards into orphans for its replicas of n2's
// sessions, c0's among them, though c0 subscribed after they were published; handed back at the heal, they
// reached c0 after p0:9..13. Fixed: replicas carry each subscription's epoch at its owner, and an orphan
// (with the epoch stamp of its forward) reaches only the subscriptions its sender knew of.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-orphan-before-subscribe',
  description: 'an orphan does not reach a replica subscription made after the message was forwarded',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [{ at: 7001, existing: false, nodes: [0, 0], gapMs: 0, version: 5, clean: false }],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 3, expiry: 86400, at: 0, end: 'kill', backAfter: 1000 },
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
        ],
      },
      [
        { at: 5798, kind: 'partition', oneWay: true, a: ['n5'], b: ['n1', 'n2', 'n3', 'n4'] },
        { at: 11501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
