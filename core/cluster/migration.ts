// The receiving end of an evacuation's session move (a Handoff with `migrate`, registry.ts): the session
// becomes an offline session here; this node claims it as a resume would (what peers forwarded to the old
// node unconfirmed is fetched, and comes here if that node is lost before passing it on) and replicates it.

import type { Resumed } from '../distribution.ts';
import type { Session } from '../session.ts';
import type { LocalNode } from './local-node.ts';
import type { HandoffBody } from './peer-protocol.ts';
import type { SessionReplicator } from './session-replication.ts';

/** What it needs of the cluster (core/cluster/cluster.ts). */
export interface MigrationCluster {
  readonly replicator: SessionReplicator;
  claim(s: Session, from?: Resumed): void;
  broadcastReliable(frame: Buffer): void;
}

export function migrationLinks(
  local: LocalNode,
  c: MigrationCluster,
): { migratedIn(h: HandoffBody): Session; migrated(s: Session, from: string): void } {
  return {
    migratedIn(h) {
      c.replicator.take(h.clientId); // our replica of it is outdated by the handoff
      const s = local.restoreSession(h.clientId, h.expiry, h.at ?? local.env.clock.now(), [], []);
      s.owner = h.user;
      return s;
    },
    migrated(s, from) {
      c.claim(s, { session: s, owner: from, done: new Set() }); // the handoff's seen ids are known already
      for (const f of c.replicator.snapshot(s)) c.broadcastReliable(f);
    },
  };
}
