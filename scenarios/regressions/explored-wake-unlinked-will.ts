// Found by test:faults SEED=3404 (after 305 schedules) on i13-backup; it fails the same, same history hash, on main
// (8389404). OPEN (it.fails), not fixed: 2 nodes, n1 paused 1006..7006; w0 (delay 0) reconnects through the balancer
// at 2006 to n1 and is answered when n1 wakes (CONNACK 7007, its session resumed from n1's replica). Both nodes took
// each other for lost (n2 at 7000, n1 at its wake) and their link is not back when n1 loses its process at 7506:
// the will's RWill waited in n1's reliable channel and died with it; n2 never heard of that connection. Nothing
// could publish it. Not the backup class (2 nodes). Either a checker case (willAlone counts only network faults,
// not a cluster link still down after a pause) or a broker one (a node with every peer down replicates nothing).
// On the branch's final code the same stop (schedule 305) shrank to a 3-node case of the class (same on main): w1
// connects to n2 alone in a partition (20509); no link is back 500 ms after the heal when n2 loses its process.
// Resolved (i13-will2) as the checker case: willAlone takes the node's own view of its peers, as ackedAlone does;
// a peer the node took for lost and did not link to again before the crash could not hear the will
// (explored-pause-crash-nowill, SEED=3707; test/sim/swarm-will-alone.test.ts).
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
