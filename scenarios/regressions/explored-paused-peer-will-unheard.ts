// Found by `npm run test:faults` (SEED=3707 RUNS=400, after 148 schedules, once the willAlone correction
// of explored-pause-crash-nowill let that shrink pass; fails the same on main). From the history: w1 (will delay
// 0) is killed on n2, which publishes its will (right). n1 is paused 7.0-8.0 s, n2 7.5-14.0 s. w1 connects again
// at 8.0 s, to n1 (present 1, from n1's replica while n2 is paused); n1 sends the new connection's will to n2,
// whose inbox holds it. At 14.0 s n2 wakes: its overdue heartbeat tick runs before the backlog is read and cuts
// the link to n1 as silent, so n2 never reads that will; n1 takes n2 for lost in the same instant (its own
// timeout) and crashes at 14.5 s, before its redial (1 s) reaches n2. No node publishes the will of the
// connection lost with n1. Not owed (willAlone as corrected on main, 19a0c7a): n2 was out of reach throughout,
// paused from before the CONNACK to 14.0 s, then down in n1's view until the crash. A broker improvement would
// still publish it: a node waking from a freeze reads its backlog before it judges peers by silence
// (heartbeat.ts: no timeout cut on the tick FreezeWatch finds overdue; branch i13-will2-thaw).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-paused-peer-will-unheard',
  description:
    'a will sent to a paused peer that drops the link unread on waking is lost when the node crashes before a link is back: not owed',
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
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 5501,
            end: 'kill',
            backAfter: 1000,
          },
        ],
      },
      [
        { at: 0, kind: 'heal' },
        { at: 5501, kind: 'pause', node: 'n1', resumeAfter: 501 },
        { at: 6001, kind: 'pause', node: 'n2', resumeAfter: 6001 },
        { at: 13001, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
