// Found by test:faults SEED=2303 (after 241). FIXED: n1 took n3 for lost during a clog between them (n2 reached
// both) and moved the forwards n3 had not confirmed into its failed-over copy of n3's session, then acknowledged
// them (and what it published into the copy after): no other running node held them, for n2 dropped the copy's
// replication (its replica follows the live owner n3). n1 crashed 0.6 ms after the link to n3 came back, before
// handing the copy back: the acknowledged messages were lost. Now n2 keeps what a copy it does not follow
// replicates (core/cluster/copy-keeper.ts, until the owner replicates or completes each message) and, when n1 is
// lost, hands it to n3's session (a handoff via n1); and n1 answers the publishers of the forwards it took over
// only once its running peers confirmed what it made of them (failover.ts), not at the failover.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-copy-holder-crash',
  description: 'the messages of a failed-over copy survive the crash of the node that made it',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [
          { node: 2, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 1001, kind: 'clog', a: 'n3', b: 'n1', releaseAfter: 5001 },
        { at: 7501, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
