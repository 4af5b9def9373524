// Found by `npm run test:faults` (SEED=1101 RUNS=150, after the `gone` will clear fixed
// explored-expired-in-pause-will: the same sweep then stopped after 36 schedules, shrunk to this). w0 (will
// delay 3 s, session expiry 5 s) is killed on n4 while n3 is paused; n4 publishes the will 3 s later and its
// session expires. n3 wakes taking everyone for lost and fails n4's sessions over, w0's with its will; w0
// connects again on n5 with a new session (present 0). n5's fresh claim reached n3 before n4's `gone` clear,
// and n3 published the will a second time (the fresh-claim rule of explored-fresh-claim-will). Fixed: a will
// n3 failed over from a node it hears again (in the same life) is that node's to publish; the fresh claim
// reaches that node too.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-paused-fresh-claim-will',
  description:
    'a will published by its node is not published again by a node woken from a pause on the fresh claim of the id',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 5,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [
          { node: 0, version: 5, qos: 1 },
          { node: 0, version: 5, qos: 1 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [{ at: 0, topic: 0 }],
        wills: [
          { node: 0, version: 5, clean: false, delay: 3, expiry: 5, at: 11001, end: 'kill', backAfter: 8000 },
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 1, end: 'kill', backAfter: null },
        ],
      },
      [
        { at: 1, kind: 'pause', node: 'n3', resumeAfter: 18001 },
        { at: 20001, kind: 'partition', oneWay: false, a: ['n5'], b: ['n1', 'n2', 'n3', 'n4'] },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
