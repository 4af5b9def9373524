// Found by `npm run test:faults` (shrunk): n1 fails over from n2 while a one-way cut stops n1's and the
// clients' traffic to n2; s0, on n2, gets QoS 2 messages whose PUBRECs never arrive, is cut off, reconnects
// to n1 (session present) and gets them again under new packet ids; at the heal n2 hands its copy over and
// its kept forwards reach n1 first, sent under new ids too: delivered twice. Fixed: outbound QoS 2 state
// follows the session (Delivery.sentAs, replicated with ROut, carried by handoffs), and a link-up sends
// claims before routes, so the handoff (with the packet ids the client holds) goes before kept forwards.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-qos2-oneway-handoff',
  description: 'QoS 2 to a session moved by a one-way cut keeps its packet ids (exactly once)',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 2, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 1, version: 5, qos: 2 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 46932, kind: 'partition', oneWay: true, a: ['n5'], b: ['n1', 'n2', 'n3', 'n4'] },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
