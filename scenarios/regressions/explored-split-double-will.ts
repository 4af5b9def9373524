// Found by `npm run test:faults` (survey: fast-check seed 5, 400 schedules; shrunk). Not a broker bug: n1 and n3 are clogged apart when n2, holding w0 (v3.1.1, will), loses power. Each takes n2 for dead and itself for its backup, fails its sessions over and publishes w0's will: two wills, neither node able to know of the other's (availability during a split; docs/guarantees.md, split-will). The checker failed it as will-once; it now counts a second will from a node cut off from the first will's node as split-will.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-split-double-will',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 4, clean: true, expiry: 20, qos: 0, group: 'g2' }],
        pubs: [{ node: 3, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 4,
            version: 4,
            clean: true,
            delay: 3,
            expiry: 86400,
            at: 37068,
            end: 'disconnect',
            backAfter: 8000,
          },
        ],
      },
      [
        { at: 782, kind: 'clog', a: 'n4', b: 'n3', releaseAfter: 14227 },
        { at: 3279, kind: 'crash', node: 'n2', mode: 'power', restartAfter: 9766 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
