// Found by `npm run test:faults` a random-seed sweep (after 125) on the final code of 2026-12-03 (88a82f2); it failed the
// same on 8389404. A checker gap, not a broker bug. With 2 nodes the faults fold onto n1/n2: w1 connects on n2 (CONNACK
// at 4 ms), its will replicated to n1. n1 crashes at 14005 ms (process) and restarts empty at 15505 ms into a partition
// from n2 that lasts until 71505 ms; n2 crashes at 16005 ms, the instant w1 is killed. Every copy of w1's session (and
// its will) was lost one after the other, as lostAlone excuses for a session (docs/guarantees.md): no node could
// publish it. The swarm failed it (will-iff, and `will: never reached the watcher`). Fixed in the checker
// (sim/swarm.ts willCopiesLost, also in willVerdicts): a will whose node crashed under the connection after each peer
// that held its replica had crashed since its last link to that node is not demanded
// (test/sim/swarm-will-alone.test.ts shows it and the near cases still judged).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-kill-will-missing',
  description:
    'a will lost with every copy of its session (its peer restarted in a cut, then its node crashed) is not demanded',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: null },
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 14501,
            end: 'kill',
            backAfter: null,
          },
        ],
      },
      [
        { at: 0, kind: 'clog', a: 'n1', b: 'n3', releaseAfter: 100 },
        { at: 12501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1001 },
        { at: 14294, kind: 'partition', oneWay: false, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
        { at: 14501, kind: 'crash', node: 'n4', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
