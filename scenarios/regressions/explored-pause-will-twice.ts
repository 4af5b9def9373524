// Found by `npm run test:faults` (SEED=3707 RUNS=400, after 58 schedules; failed the same on main before
// this branch). w0 (will delay 10 s, session expiry 5 s) is killed on n2; n1, its backup, is paused 5 s
// meanwhile; n2's session expires and n2 publishes the will (its `gone` clear waits for n1). w0 comes back on
// n3 with a new session (present 0). n1 wakes taking everyone for lost and fails n2's sessions over, w0's with
// its will; its link to n3 comes up first, and n3's fresh claim made n1 publish that will at once (the
// fresh-claim rule of explored-fresh-claim-will): n2, the node that knew its fate, was not heard again yet
// (0.4 ms later), so the rule of explored-paused-fresh-claim-will did not apply. Fixed: such a will waits for
// its node a down detection (core/cluster/unheard-owner-will.ts): heard again in the same life, that node
// decides; not heard, or back as a new life, the will goes from the node that failed it over.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-pause-will-twice',
  description:
    'a will published by its node while the backup was paused is not published again on a fresh claim that reaches the backup before that node does',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
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
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 10,
            expiry: 5,
            at: 15501,
            end: 'kill',
            backAfter: 8000,
          },
          { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: 1000 },
        ],
      },
      [{ at: 20001, kind: 'pause', node: 'n1', resumeAfter: 4501 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
