// An F.Orphan frame carries what a lost owner never confirmed to that owner's backup, for the sessions the
// backup fails over. When the backup is lost in turn before it confirmed the frame (cut off one way, say),
// those sessions live on as the backup's own (their replicas follow it): the frame's messages are orphans of
// the backup now, or they reach no copy (explored-restart-oneway-orphans-lost).

import { F, type WireMessage } from './peer-protocol.ts';

/** Offset of a reliable frame's inner type (past its length, F.Seq and the sequence number). */
const INNER_TYPE = 9;

/**
 * The messages of the F.Orphan frames in a peer's unconfirmed frames. Their subscription epochs were the
 * first owner's (`known` dropped: the sessions' subscriptions are matched as they are now).
 */
export function unconfirmedOrphans(unacked: readonly { frame: Buffer; msg?: unknown }[]): WireMessage[] {
  const out: WireMessage[] = [];
  for (const u of unacked) {
    if (u.msg || u.frame.length <= INNER_TYPE + 1 || u.frame[INNER_TYPE] !== F.Orphan) continue;
    let body: { msgs?: WireMessage[] } | undefined;
    try {
      body = JSON.parse(u.frame.subarray(INNER_TYPE + 1).toString()) as { msgs?: WireMessage[] };
    } catch {
      continue; // we encoded it: cannot happen, and a bad frame is no reason to fail over less
    }
    for (const w of Array.isArray(body?.msgs) ? body.msgs : []) {
      const { known: _known, ...rest } = w;
      out.push(rest);
    }
  }
  return out;
}
