// A clustered node with a data dir (core/session-store.ts keeps its own persistent sessions, their
// owed messages and QoS 2 ids, and the retained messages). Two rules make it durable in a cluster:
//
// - A peer's confirmation of reliable frames (which answers a publisher in ack mode 'replicated')
//   goes only once what those frames wrote here is on disk: an acknowledged message survives the
//   power loss of every node at once, not only the loss of one.
// - On restart, the sessions restored from disk (core/restore.ts, before the cluster starts) claim
//   their client ids, offline, at their last connect, and drop by message id a copy that reaches them
//   twice. At the link-ups that follow, the claims meet the peers' and the rules of a split's heal
//   decide (registry.ts: a live session wins, then the newer connect, then the higher node name); the
//   loser hands its session over and the winner merges it, message ids dropping what it has already.
//   What the node missed while down comes the same way: a peer that took its sessions over (failover)
//   holds what was published meanwhile. See docs/durability.md.

import { RecentSet } from '../recent-set.ts';
import type { Session } from '../session.ts';
import type { LocalNode } from './local-node.ts';

/** The reliable channel's hook (ChannelHooks.durable): sync, then confirm. None without a store. */
export function confirmWhenDurable(store: LocalNode['store']): ((then: () => void) => void) | undefined {
  if (!store) return undefined;
  return (then) => {
    store.commit();
    // Also what an earlier sync (the store's timer) handed to the disk and is not there yet.
    store.whenDurable(then);
  };
}

/** Sessions restored from disk, as the cluster starts: ready to merge, and claimed. */
export function rejoinRestored(sessions: Iterable<Session>, claim: (s: Session) => void): void {
  for (const s of sessions) {
    s.seen ??= new RecentSet(8192);
    // What it owes, and what its client has and still owes a PUBCOMP for (not in pending()).
    for (const d of [...s.pending(), ...s.inflight.values()])
      if (d.msg.mid !== undefined) s.seen.add(d.msg.mid);
    claim(s);
  }
}
