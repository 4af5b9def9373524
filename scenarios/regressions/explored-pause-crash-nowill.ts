// Found by `npm run test:faults` (SEED=3707 RUNS=400, after 148 schedules once explored-pause-will-twice was
// fixed; failed the same on main). Checker correction (swarm, willAlone): w1 (will delay 0) reconnects through
// the balancer to n1 while n1 is paused; n1 wakes taking n2 for lost, resumes w1's session from its replica
// (present 1) and crashes 0.5 s later, before its redial reached n2. The new connection's will was set on a
// node that had a link to no peer from the CONNACK until the crash: no peer heard of it, so it was lost with
// n1, the documented bound (docs/guarantees.md, Wills; explored-will-alone.ts). willAlone judged "no peer" by
// fault windows only (a cut, a paused or crashed peer) and demanded it; corrected: a peer down in the node's own
// view counts as out of reach too (main 19a0c7a made the same correction independently, more generally: faults
// and down-in-view intervals one after the other; test/sim/swarm-will-alone.test.ts, swarm-excuses.test.ts).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-pause-crash-nowill',
  description:
    'a will set on a node just woken from a pause, which linked to no peer before it crashed, is lost with it (not demanded)',
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
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: 1000 },
        ],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 5501 },
        { at: 0, kind: 'heal' },
        { at: 6001, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
