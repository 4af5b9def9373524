// Found by test:faults SEED=3404 (after 305 schedules) on i13-backup; it failed the same, same history hash, on main
// (8389404). 2 nodes, n1 paused 1006..7006; w0 (delay 0) reconnects through the balancer at 2006 to n1 and is
// answered when n1 wakes (CONNACK 7007, its session resumed from n1's replica). Both nodes took each other for lost
// (n2 at 7000, n1 at its wake) and their link is not back when n1 loses its process at 7506: the will's RWill waited
// in n1's reliable channel and died with it; n2 never heard of that connection. Nothing could publish it: a will
// set on a node that could reach no peer until it died (docs/guarantees.md, Wills). A checker gap, corrected: the
// swarm's willAlone counted only faults, not a peer down in the node's own view (its link not back after a pause).
// The 3-node shrink of the same stop: explored-heal-unlinked-will.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-wake-unlinked-will',
  description:
    'open: the will of a connection made on a node woken from a pause, lost with it before it linked again (open)',
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
        wills: [
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: 1000 },
        ],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 5501 },
        { at: 6001, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
