// Found by `npm run test:faults` (SEED=2202 RUNS=400, after 70 schedules; failed the same on the code before
// this branch). w0 (will delay 3 s) is connected on n1; n1 is paused 13 s. n2 fails n1 over and restores w0,
// then crashes before the will is due and restarts empty; n3 fails n1 over, but its copy of w0's session has no
// will (from the history and will-replication.ts: n3 held that connection's will under n2 once n2 took it
// over, not under n1). n1 wakes, reads w0's close, arms the will and hands the session to n3 with the time left
// on it (willIn); the handoff did not carry the will itself, so no node published it. Fixed: a handoff with
// willIn carries the will, and a receiving copy that has none takes it and arms it for the time left.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-pause-backup-crash-will',
  description: 'a will taken over by a backup that crashed, then handed over by its woken node, is published',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [{ at: 0, topic: 0 }],
        wills: [
          { node: 0, version: 5, clean: false, delay: 3, expiry: 86400, at: 0, end: 'kill', backAfter: 1000 },
        ],
      },
      [
        { at: 0, kind: 'clog', a: 'n1', b: 'n4', releaseAfter: 100 },
        { at: 501, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1501 },
        { at: 37501, kind: 'pause', node: 'n1', resumeAfter: 13001 },
        { at: 43001, kind: 'crash', node: 'n5', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
