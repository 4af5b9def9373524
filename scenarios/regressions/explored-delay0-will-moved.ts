// Found by `npm run test:faults` (survey seed 7, shrunk): a v3.1.1 client with a will is connected on n4 when n4 loses power; it resumes its session on n3 (with a will again) before the others notice n4 is gone. The backup held wills by client id, so n3's will replaced n4's, and when n4 was found dead the old connection's will, due when it died [MQTT-3.1.2-8], was gone: never published. Fixed: peers hold wills by owner and client id; an owner's will goes only when that owner clears it or is found dead.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-delay0-will-moved',
  description: 'a generated workload and fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 3, version: 4, clean: true, expiry: 86400, qos: 2, group: null },
          { node: 4, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g2' },
          { node: 2, version: 5, clean: true, expiry: 20, qos: 0, group: 'g1' },
        ],
        pubs: [
          { node: 3, version: 4, qos: 0 },
          { node: 3, version: 4, qos: 2 },
        ],
        collisions: [],
        lateSubs: [],
        retained: [{ at: 55956, topic: 1 }],
        wills: [
          { node: 2, version: 4, clean: false, delay: 3, expiry: 0, at: 13698, end: 'kill', backAfter: 1000 },
        ],
      },
      [{ at: 11133, kind: 'crash', node: 'n4', mode: 'power', restartAfter: 45187 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
