// Found by `npm run test:faults` (SEED=3707 RUNS=400, after 148 schedules, on i13-will2 merged with main
// a71bbb5; fails the same on main). From the history: w1 (will delay 0) is killed on n2, which publishes its will
// (right). n2 is paused 7.5-12.5 s; w1 connects again at 8.0 s, to n1 (present 1), which sends the new connection's
// will to n2, whose inbox holds it; n1 is paused at 8.5 s and loses its process at 13.0 s, still paused. n2 wakes
// at 12.5 s: its overdue heartbeat tick runs before the backlog is read and cut the link to n1 as silent, so n2
// never read that will, and its failover of n1 found none to publish. willAlone owes it: n2's pause ended 0.5 s
// before the crash and n1 never took n2 for lost. Fixed (core/cluster/heartbeat.ts): the tick that finds the process
// frozen picks the links silent past the timeout (by what it had read before the freeze, as before) and cuts them
// once the backlog is read (a zero-delay timer: after the sockets already readable, as in Node's event loop); n2
// reads the will, takes n1 for lost and publishes it (n1's process is gone 0.5 s later). A first fix (the tick cuts no link, once: 34c579c, reverted)
// let the woken node route its backlog by a stale view for a tick (explored-thaw-*.ts).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-paused-both-will-unheard',
  description:
    'a will sent to a paused peer is published when the node, paused in turn, loses its process after that peer woke',
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
        { at: 6001, kind: 'pause', node: 'n2', resumeAfter: 4501 },
        { at: 7001, kind: 'pause', node: 'n1', resumeAfter: 4001 },
        { at: 11501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
