// Found by test:faults SEED=3404 (after 206 schedules). Checker correction (swarm, ackedAlone): n1 is cut off
// from its only peer n2 in the instant s0 (on n1) subscribes to u/#; n1 acknowledges the SUBSCRIBE (a SUBACK does
// not wait for peers: docs/guarantees.md, Availability) before it has noticed the cut, and crashes 500 ms later,
// in the instant the cut heals. The session state with u/# reached no peer, so n2's failover of s0 restores it
// without u/#: the subscription was lost with the only node that held it, the bound the swarm already excused
// for a node that had taken every peer for lost (explored-sub-acked-alone) and for a will (willAlone). ackedAlone
// now also counts a peer the node still took for linked when a cut from it held from the SUBSCRIBE to the crash.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-cut-sub-acked-alone',
  description:
    'a subscription acknowledged by a node cut off from every peer (not noticed yet) is lost with that node when it crashes before the cut ends',
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
        lateSubs: [{ at: 1, sub: 0 }],
        retained: [],
        wills: [],
      },
      [
        { at: 8, kind: 'partition', oneWay: false, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
        { at: 501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 501, kind: 'heal' },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
