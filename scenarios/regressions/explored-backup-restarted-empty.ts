// Found by `npm run test:faults` (SEED=101, shrunk): n1 (owner of s0's session) loses power and n2 (its
// backup) crashes at the same moment; both are back 1 s later, empty. n3, holding the only replica, saw n2
// come back just before it noticed n1's restart, so it named n2 the backup and left the session a replica:
// what p0 published meanwhile reached no session, acknowledged. Fixed: a peer whose current life began after
// we last heard the owner is passed over as its backup (Membership.backupOf; Member.upSince, lastHeard).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-backup-restarted-empty',
  description:
    'an owner and its backup restart empty together: the node holding the replica takes the session over',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'crash', node: 'n5', mode: 'process', restartAfter: 1000 },
        { at: 0, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
