// Found by `npm run test:faults` (SEED=1808 on the final code). Checker correction: a clog makes n2 take n1 for
// lost; 10 s later n2 publishes w0's will (a split-will) in the same instant that the clog ends and w0 is killed;
// w0 resumes within its delay. The swarm took that will for the kill's: a will published at or before the end of
// the connection by a peer cut off from it is the split-will, counted by checkWills.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-will-same-instant',
  description: 'a split-will published in the same instant the connection ends is not the will of that loss',
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
            delay: 10,
            expiry: 86400,
            at: 16501,
            end: 'kill',
            backAfter: 1000,
          },
        ],
      },
      [
        { at: 0, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
        { at: 1001, kind: 'clog', a: 'n4', b: 'n1', releaseAfter: 15001 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
