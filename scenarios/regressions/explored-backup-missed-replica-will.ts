// Found by test:faults SEED=3404 (after 206 schedules; shrunk again once explored-cut-sub-acked-alone was
// excused and the SEED=3303 fixes were in). A will never published: n1 is paused 7 s and wakes taking n2 and n3 for
// lost; w1 (delay 0) reconnects through the balancer to n3 at 9009 (its session handed from n2), while n1 still has
// no link to n3; n3 loses power at 9505 and restarts 1 s later, empty. n2, the only peer holding w1's replica,
// notices only the restart (peer.restarted at 10507) and leaves the failover to n3's backup by name order, n1
// (running in n2's view, up since before n3 was last heard), which never got that replica: its link to n3 was down
// from its wake to n3's restart. Nobody restored w1's session or published its will: the backup choice
// (membership.ts backupOf) cannot tell which peer holds a replica. Same family as explored-restart-hides-backup.
// Fixed (held-replicas.ts): a node that fails an owner over without being its backup hands the backup the replicas
// and wills it holds of that owner (F.Held, once per loss); the backup takes those of a claim newer than anything
// it holds of the client (here n1's own offline copy of w1 from n2, of the older claim, gives way and merges in),
// once that life of the owner is over in its own view too, and restores them as a failover does: n1 restores w1
// and publishes its will at 10508. Only the backup restores: one node per session, as before.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-backup-missed-replica-will',
  description:
    "a backup by name order that was cut off from the owner gets the replica from its holder: the owner's will goes",
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 0,
            end: 'kill',
            backAfter: null,
          },
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 0,
            end: 'kill',
            backAfter: 8000,
          },
        ],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 7001 },
        { at: 0, kind: 'heal' },
        { at: 8001, kind: 'crash', node: 'n3', mode: 'power', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
