// The lost owners a session was failed over from, as a replica here saw it move. A peer that routed a message to
// a lost owner gives it as an orphan to that owner's backup (or, that backup lost too, to the next one), named by
// the owner. The session may have moved on meanwhile: the backup failed it over and was lost in turn, and the
// next backup took it over from the backup, not from the owner; the owner's orphans found no session of the owner
// there (scenarios/regressions/explored-restart-loss-3606.ts). A replica that starts to follow the node that failed
// it over (the same claim, its owner lost) keeps the lost owner's subscriptions here, so the owner's orphans
// still reach the session, or the replica, that came from it by way of a node lost in turn: a session adopted
// here from a lost node (failed over, or resumed while that node was down), a replica whose owner is lost or of
// a past life. Not by way of a running node: that one got them itself, as the owner's backup.
// For as long as forwards follow a moved session (5 minutes): the orphans of a loss are passed on when the loss
// of the backup that got them is noticed, which may come after the owner is back (a new life). Plain
// subscriptions only: a share group's orphan goes to one member where its owner's backup gave it
// (orphan-rules.ts GivenGroups), not again here.

import type { Message, QoS } from '../message.ts';
import type { SubSpec } from '../subscription.ts';
import { knownSubs, orphanQos } from './orphan-rules.ts';
import type { Replica } from './replica.ts';

const NO_GROUPS: ReadonlySet<string> = new Set();
/** How long a lost owner's orphans follow a session that moved on from it (as forwards follow a moved session). */
export const LINEAGE_MS = 5 * 60_000;

export class OrphanLineage {
  /** Client id -> each lost owner its replica here followed on from -> its subscriptions then, and when. */
  private from = new Map<string, Map<string, { subs: SubSpec[]; at: number }>>();

  /**
   * Our replica `r` is replaced by `to`'s state of claim `at`: the same claim as `r`'s, its owner lost (not
   * `running`) or of a past life, means `to` failed the session over from it. A new claim (the client
   * connected again) starts afresh: a session resumed fetches its orphans itself, a new one is owed none.
   */
  followed(r: Replica | undefined, to: string, at: number, running: boolean, now: number): void {
    if (r && r.at !== at) this.from.delete(r.clientId);
    if (!r || r.owner === to || r.at !== at || (running && !r.old)) return;
    let m = this.from.get(r.clientId);
    if (!m) this.from.set(r.clientId, (m = new Map()));
    m.set(r.owner, { subs: r.subs, at: now });
  }

  /** The session ended (F.REnd): no orphan of an owner it came from is owed any more. */
  ended(clientId: string): void {
    this.from.delete(clientId);
  }

  /** Orphans of `owner` owed to sessions that came from it and moved on: `give` gets each with its QoS. */
  orphans(
    owner: string,
    all: { msg: Message; w: { known?: number } }[],
    now: number,
    give: (clientId: string, msg: Message, qos: QoS) => void,
  ): void {
    for (const [clientId, m] of this.from) {
      const e = m.get(owner);
      if (!e) continue;
      if (now - e.at > LINEAGE_MS) {
        if (m.delete(owner) && m.size === 0) this.from.delete(clientId);
        continue;
      }
      for (const { msg, w } of all) {
        const q = msg.mid === undefined ? null : orphanQos(knownSubs(e.subs, w.known), msg, NO_GROUPS);
        if (q !== null) give(clientId, msg, q.qos);
      }
    }
  }
}
