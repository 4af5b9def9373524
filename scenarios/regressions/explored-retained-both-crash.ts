// Found by test:faults (a random seed, after 160 schedules) on i13-backup; it failed the same, same history hash,
// on main (8389404). 2 nodes, r0's retained r/0 acknowledged at 1009 (n2 held it); n2 is clogged from n1 and
// loses its process at 1502, restarts empty at 2502 behind the clog; n1 loses its process at 3002, the instant
// the clog ends, before it saw n2's new life. Every node that held the retained message was lost (swarm nodes keep
// no data dirs), so both readers find nothing: the documented loss of every copy one after the other
// (docs/guarantees.md), as for a session. A checker gap, corrected: sim/swarm.ts retainedCopiesLost.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-retained-both-crash',
  description: 'open: a retained message whose every holder was lost before the other resynced (open)',
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
        retained: [{ at: 0, topic: 0 }],
        wills: [],
      },
      [
        { at: 0, kind: 'skew', node: 'n1', ms: 0 },
        { at: 1, kind: 'clog', a: 'n2', b: 'n1', releaseAfter: 1001 },
        { at: 1, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
        { at: 1501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
