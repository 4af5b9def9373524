// Found by `npm run test:faults` (SEED=60613 RUNS=300, after 276 schedules) on i13-th at 0dc8176 (the backlog read
// before the silent links are cut); passes on main. w0 (will delay 0) is killed on n2, which publishes its will
// (right). n1 is paused 4.5-9.5 s; w0 connects to n1 at 9.0 s. n1 wakes, reads the CONNECT, claims the session and
// replicates the new connection's will to n2 on the link it had picked as silent, then cuts that link: n2, hearing
// the close right after the will, took n1 for lost and published it before n1's CONNACK (will-once against the
// killed connection). Fixed (core/cluster/heartbeat.ts, peer-link.ts): a link picked as silent on waking is
// written to no more until it is cut; what the reliable channel sent meanwhile goes over the next link.
// Replay: npx sim run <this file> --seed 606911 (the sweep's seed for this schedule)
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-606911',
  description:
    'a node woken from a pause says nothing on the links it is about to cut: no will of a connection it just took',
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
          { node: 3, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: 8000 },
        ],
      },
      [
        { at: 0, kind: 'heal' },
        { at: 3001, kind: 'pause', node: 'n1', resumeAfter: 4501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
