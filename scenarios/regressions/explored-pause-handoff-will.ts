// Found by `npm run test:faults` (shrunk): n2 is paused 6 s; w0 (will delay 3 s) is killed on n1, which
// publishes the will once n2 is taken for dead. n2 wakes, takes n1 for dead, fails its sessions over and
// arms w0's will again; at the heal n1 hands w0's session to n2, which published the will a second time.
// Fixed: a handoff says when the sender's session holds no will (noWill), and the receiver drops the will
// it took over from that sender (core/cluster/registry.ts onHandoff).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-pause-handoff-will',
  description:
    'a will published by its node while a paused peer took it for dead is not published again after the heal',
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
        wills: [
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 3,
            expiry: 86400,
            at: 2501,
            end: 'kill',
            backAfter: null,
          },
        ],
      },
      [{ at: 0, kind: 'pause', node: 'n4', resumeAfter: 5501 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
