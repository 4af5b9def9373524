// What happens to persistent sessions, as the parts that keep a copy of them need to hear it: the
// disk store (core/session-store.ts) and, clustered, the session replicator that streams each
// session to the other nodes (core/cluster/session-replication.ts). The broker tells every journal
// at one call site; a journal that keeps no copy of some part (the disk keeps no wills) ignores it.

import type { Delivery, Inflight, Qos2Step, Session } from './session.ts';

export interface SessionJournal {
  /** Subscriptions, expiry, connect time, owner or inbound QoS 2 ids changed (also: the client connected). */
  stateChanged(s: Session): void;
  /** The client went offline; the session stays for its expiry. */
  wentOffline(s: Session): void;
  /** The session took responsibility for a message (queued or in flight). */
  accepted(s: Session, d: Delivery): void;
  /** A message it had accepted is done: acknowledged, sent at QoS 0, or dropped. */
  done(s: Session, d: Delivery): void;
  /** Its will was set, cleared or published. `gone`: published, or discarded by a clean DISCONNECT (not moved). */
  willChanged(s: Session, gone?: boolean): void;
  /** A message in flight under `pid` was sent, released (PUBREC) or completed: see SessionSink.outbound. */
  outbound(s: Session, pid: number, step: Qos2Step, f?: Inflight): void;
  /** The session ended here. `persistent`: it had a Session Expiry above 0 until then. */
  ended(clientId: string, persistent: boolean): void;
}

/** Tells each journal in turn, in the order they were added. */
export class Journals implements SessionJournal {
  private list: SessionJournal[] = [];

  /** `first`: told before the others (the replicator goes before the disk, as peers' copies are the faster). */
  add(j: SessionJournal, first = false): void {
    if (first) this.list.unshift(j);
    else this.list.push(j);
  }

  stateChanged(s: Session): void {
    for (const j of this.list) j.stateChanged(s);
  }
  wentOffline(s: Session): void {
    for (const j of this.list) j.wentOffline(s);
  }
  accepted(s: Session, d: Delivery): void {
    for (const j of this.list) j.accepted(s, d);
  }
  done(s: Session, d: Delivery): void {
    for (const j of this.list) j.done(s, d);
  }
  willChanged(s: Session, gone?: boolean): void {
    for (const j of this.list) j.willChanged(s, gone);
  }
  outbound(s: Session, pid: number, step: Qos2Step, f?: Inflight): void {
    for (const j of this.list) j.outbound(s, pid, step, f);
  }
  ended(clientId: string, persistent: boolean): void {
    for (const j of this.list) j.ended(clientId, persistent);
  }
}
