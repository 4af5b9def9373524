// Found by test:faults SEED=2606 (after 23): a subscriber cut off one way from its node by a partition (its
// PUBRECs lost) resumed on the other node, restarted empty, with session present 0; at the heal the old copy
// was handed over and its QoS 2 messages already sent went to the new session with DUP 1 and their old packet
// ids [MQTT-3.3.1-1: DUP 0 on a first send in a session]. They now go as new; the second copy of a QoS 2
// message sent on the old session is counted as qos2-subscriber-new-session (the client discarded the
// packet ids that would have dropped it).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-fresh-session-carried-dup',
  description: 'the old session messages handed to a session started afresh go as new',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 2, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 3, version: 5, qos: 2 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'skew', node: 'n1', ms: 0 },
        { at: 14501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 32001 },
        { at: 47451, kind: 'partition', oneWay: true, a: ['n1'], b: ['n2', 'n3', 'n4', 'n5'] },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
