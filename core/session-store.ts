// What a node keeps on disk so persistent sessions and retained messages
// survive a restart (clustered nodes too: docs/durability.md): one record
// per persistent session, one per message such a session owes its client,
// one per retained message.
//
// Keys (sorted order is restore order):
//   s/<clientId>                      session state (subscriptions, expiry, QoS 2 ids)
//   q/<clientId>\0<seq, 13 hex digits> one owed message (queued, or in flight with its packet id; QoS 2 after
//                                     PUBREC: its PUBREL; clustered, after PUBCOMP: a marker of its message id)
//   r/<topic>                         one retained message
//   R/, M/                            clustered: the replicas held of other nodes' sessions (core/cluster/replica-disk.ts)
//
// Sync policy: every write goes to the store at once; sync() is called
//  - before the PUBACK/PUBREC of a QoS 1/2 publish that wrote anything
//    (commit(); the acknowledgement waits for the store's durability
//    callback when the store is asynchronous), so an acknowledged message
//    is on disk; stores group concurrent syncs into one fsync;
//  - clustered, before confirming a peer's frames (core/cluster/durable.ts);
//  - before a QoS 2 PUBLISH or PUBREL goes to a persistent session's client (core/qos2-guard.ts);
//  - otherwise at most SYNC_DELAY_MS after the first unsynced write
//    (subscription changes, completed deliveries, QoS 0, retained via QoS 0);
//  - while a synchronous store's sync fails (a simulated disk fault), every
//    FAULT_RETRY_MS, the durability callbacks held until one succeeds.
// A power loss can therefore forget a completed delivery (sent again:
// at least once) or a subscription change of the last SYNC_DELAY_MS,
// never an acknowledged QoS 1/2 message.

import type { Clock, Logger, Storage, StorageFault, Timer } from './env.ts';
import { FAULT_RETRY_MS } from './disk-fault.ts';
import type { Session, Delivery, Inflight, Qos2Step } from './session.ts';
import type { Message } from './message.ts';
import { specsOf } from './subscription.ts';
import type { SessionJournal } from './journal.ts';
import {
  encodeSession,
  decodeSession,
  encodeOwed,
  decodeOwed,
  encodeRetained,
  decodeRetained,
  type SessionRecord,
  type OwedRecord,
} from './persist-codec.ts';

export const SYNC_DELAY_MS = 50;
/** Completed QoS 2 message ids remembered on disk per session (clustered nodes). */
const KEEP_COMPLETED = 64;

const SEQ_DIGITS = 13;

export interface StoredSession {
  clientId: string;
  record: SessionRecord;
  owed: (OwedRecord & { pk: number })[];
}

export interface LoadedState {
  sessions: StoredSession[];
  retained: Message[];
  /** Records that could not be decoded, or owed messages without a session: deleted. */
  discarded: number;
}

export class SessionStore implements SessionJournal {
  private seq = 0;
  private unsynced = false;
  private timer: Timer | null = null;
  writes = 0;
  syncs = 0;
  /** Set while restoring: rebuilding sessions and retained messages from their records rewrites nothing. */
  restoring = false;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly log?: Logger,
  ) {}

  /** Message keys from here on are above `pk` (one loaded from a store shared with other nodes). */
  seqAtLeast(pk: number): void {
    if (pk > this.seq) this.seq = pk;
  }

  // ---- writes ---------------------------------------------------------------

  /** Subscriptions, expiry, connection times or inbound QoS 2 ids of `s` changed. */
  saveSession(s: Session): void {
    if (this.restoring) return;
    const key = 's/' + s.clientId;
    if (s.expiryInterval === 0) {
      // Not (or no longer) persistent: an older record must not bring it back.
      if (this.storage.get(key) !== undefined) this.del(key);
      return;
    }
    const held = this.held2.get(s);
    this.put(
      key,
      encodeSession({
        expiry: s.expiryInterval,
        connectedAt: s.connectedAt,
        disconnectedAt: s.conn ? 0 : s.disconnectedAt,
        protocolVersion: s.protocolVersion,
        subs: specsOf(s),
        in2: held ? [...s.inboundQos2].filter((p) => !held.has(p)) : [...s.inboundQos2],
        in2held: held ? heldMids(held) : undefined,
      }),
    );
  }

  /**
   * Inbound QoS 2 ids whose PUBREC waits for peers (clustered, ack mode 'replicated'): kept off the disk
   * until they confirmed. Only then do the peers hold the message durably; an id on disk before that
   * would, after a power loss of every node, make the publisher's resend look like a duplicate of a
   * message no node kept. Until then the id is on disk only with its message id (synced before the
   * message is routed), so a resend after a restart is routed as the same message and its copies drop it.
   */
  private held2 = new WeakMap<Session, Map<number, Message>>();
  /** Restored: held ids of the last life, by client id: the publisher's resend goes out as the same message. */
  private resent = new Map<string, Map<number, string>>();

  /** Clustered (the message has its id), the id and message id go to disk now, to be synced before it is routed. */
  holdInbound2(s: Session, pid: number, msg: Message): void {
    let h = this.held2.get(s);
    if (!h) this.held2.set(s, (h = new Map()));
    h.set(pid, msg);
    if (msg.mid !== undefined) this.saveSession(s);
  }

  /** The message id a publish with `pid` had before the restart, if its PUBREC was never sent (taken once). */
  resentMid(clientId: string, pid: number): string | undefined {
    const m = this.resent.get(clientId);
    const mid = m?.get(pid);
    if (mid !== undefined) m!.delete(pid);
    return mid;
  }

  /** Restore: the held ids of a session's last life. */
  restoreHeld(clientId: string, held: { pid: number; mid: string }[]): void {
    if (held.length) this.resent.set(clientId, new Map(held.map((h) => [h.pid, h.mid])));
  }

  /** The peers confirmed: the id goes to disk. Returns true when the PUBREC must wait for whenDurable(). */
  releaseInbound2(s: Session, pid: number): boolean {
    const h = this.held2.get(s);
    if (!h?.delete(pid)) return false;
    if (h.size === 0) this.held2.delete(s);
    this.saveSession(s);
    return this.commit();
  }

  /** A persistent session took responsibility for a message. */
  accepted(s: Session, d: Delivery): void {
    if (s.expiryInterval === 0 || d.pk !== undefined) return;
    d.pk = ++this.seq;
    this.put(owedKey(s.clientId, d.pk), encodeOwed(d));
  }

  /** The message is done (acknowledged, sent at QoS 0) or dropped. */
  done(s: Session, d: Delivery): void {
    if (d.pk === undefined) return;
    this.del(owedKey(s.clientId, d.pk));
    d.pk = undefined;
  }

  /**
   * A persistent session's message in flight: its packet id (and, QoS 2, its PUBREL state) is kept with
   * it, so after a restart the client gets it again under the same id (no second QoS 2 delivery) and its
   * PUBREL (the id is not reused while the client holds it). `completed`: PUBCOMP, the record goes.
   */
  outbound(s: Session, pid: number, step: Qos2Step, f?: Inflight): void {
    if (this.restoring || s.expiryInterval === 0 || !f) return; // no f: a PUBREL owed elsewhere, not on disk
    const completed = step === 'completed';
    if (completed) return this.completed(s.clientId, f);
    if (f.state === 'pubrel') {
      // At PUBREC, done() deleted the message's record: a new one keeps the packet id until PUBCOMP.
      if (f.pk !== undefined) this.del(owedKey(s.clientId, f.pk));
      f.pk = ++this.seq;
    }
    if (f.pk === undefined) return; // not stored (QoS 0, or not persistent when accepted)
    const o = {
      msg: f.msg,
      qos: f.qos,
      retain: f.retain,
      subIds: f.subIds,
      pid,
      released: f.state === 'pubrel',
    };
    // QoS 2 is synced before the PUBLISH goes (lost, the client could get it again under another packet
    // id) and before the PUBREL (lost, the PUBLISH would be resent to a client that completed it): the
    // packet waits for it (core/qos2-guard.ts).
    this.put(owedKey(s.clientId, f.pk), encodeOwed(o));
  }

  /**
   * PUBCOMP. Clustered (the message has an id), the record stays as a marker of the id, the newest
   * KEEP_COMPLETED per session: after a power loss of every node a publisher may resend what it never had
   * acknowledged, routed again as the same message; the restored session drops it (Session.seen).
   */
  private completed(clientId: string, f: Inflight): void {
    const pk = f.pk;
    f.pk = undefined;
    if (pk === undefined) return;
    if (f.msg.mid === undefined) return this.del(owedKey(clientId, pk));
    this.put(owedKey(clientId, pk), encodeOwed({ msg: f.msg, qos: 2, retain: f.retain, completed: true }));
    this.noteCompleted(clientId, pk);
  }

  /** Remembers a completion marker's key; the oldest beyond KEEP_COMPLETED go. */
  noteCompleted(clientId: string, pk: number): void {
    let l = this.completedKeys.get(clientId);
    if (!l) this.completedKeys.set(clientId, (l = []));
    l.push(pk);
    if (l.length > KEEP_COMPLETED) this.del(owedKey(clientId, l.shift()!));
  }

  private completedKeys = new Map<string, number[]>();

  /** SessionJournal: the disk keeps the session's record (subscriptions, times, QoS 2 ids), not its will. */
  stateChanged(s: Session): void {
    this.saveSession(s);
  }

  wentOffline(s: Session): void {
    this.saveSession(s);
  }

  willChanged(): void {}

  /** The session ended; its owed messages are deleted as they are discarded. */
  ended(clientId: string): void {
    this.del('s/' + clientId);
    for (const pk of this.completedKeys.get(clientId) ?? []) this.del(owedKey(clientId, pk));
    this.completedKeys.delete(clientId);
  }

  /** A retained message was set or (empty payload) cleared. */
  retained(msg: Message): void {
    if (this.restoring || msg.topic.startsWith('$SYS/')) return; // $SYS: this node's statistics, published afresh after a restart
    const key = 'r/' + msg.topic;
    if (msg.payload.length === 0) this.del(key);
    else this.put(key, encodeRetained(msg));
  }

  /**
   * Syncs what is unsynced. Returns true when the caller must wait for
   * whenDurable() before promising the client anything (asynchronous store).
   */
  commit(): boolean {
    if (!this.unsynced) return false;
    this.sync();
    return this.storage.whenDurable !== undefined || this.failing;
  }

  whenDurable(fn: () => void): void {
    if (this.storage.whenDurable) this.storage.whenDurable(fn);
    else if (this.failing) this.heldDurable.push(fn);
    else fn();
  }

  /** The fault the store's last write met (core/disk-fault.ts); null when none, or it cannot fail. */
  fault(): StorageFault | null {
    return this.storage.fault?.() ?? null;
  }

  /** A synchronous store's last sync failed: what it held stays unsynced and is retried. */
  private failing = false;
  private heldDurable: (() => void)[] = [];

  private put(key: string, value: Uint8Array): void {
    this.storage.put(key, value);
    this.wrote();
  }

  private del(key: string): void {
    this.storage.delete(key);
    this.wrote();
  }

  private wrote(): void {
    this.writes++;
    this.unsynced = true;
    this.timer ??= this.clock.setTimer(SYNC_DELAY_MS, this.sync);
  }

  /** Syncs now (also used on shutdown). */
  sync = (): void => {
    this.timer?.cancel();
    this.timer = null;
    if (!this.unsynced) return;
    this.unsynced = false;
    this.syncs++;
    this.storage.sync();
    // An asynchronous store retries and holds its callbacks itself (runtime/disk-store.ts).
    if (!this.storage.whenDurable && this.storage.fault?.()) {
      this.failing = this.unsynced = true;
      this.timer = this.clock.setTimer(FAULT_RETRY_MS, this.sync);
    } else if (this.failing) {
      this.failing = false;
      const held = this.heldDurable;
      this.heldDurable = [];
      for (const fn of held) fn();
    }
  };

  // ---- records other parts keep in the same store ---------------------------

  /** Writes (`null`: deletes) a record under a prefix of its own (core/cluster/replica-disk.ts); synced as these are. */
  record(key: string, value: Uint8Array | null): void {
    if (value) this.put(key, value);
    else this.del(key);
  }

  /** Every record under `prefix`, in key order. */
  records(prefix: string): [string, Uint8Array][] {
    return this.storage.keys(prefix).map((k) => [k, this.storage.get(k)!]);
  }

  // ---- restore --------------------------------------------------------------

  /** Everything on disk, decoded; damaged and orphaned records are deleted (and counted). */
  load(): LoadedState {
    const out: LoadedState = { sessions: [], retained: [], discarded: 0 };
    const byId = new Map<string, StoredSession>();
    const drop = (key: string, why: string): void => {
      this.log?.warn(`store: discarding ${JSON.stringify(key)}: ${why}`);
      this.del(key);
      out.discarded++;
    };
    for (const key of this.storage.keys('s/')) {
      try {
        const s: StoredSession = {
          clientId: key.slice(2),
          record: decodeSession(this.storage.get(key)!),
          owed: [],
        };
        byId.set(s.clientId, s);
        out.sessions.push(s);
      } catch (e) {
        drop(key, (e as Error).message);
      }
    }
    for (const key of this.storage.keys('q/')) {
      const cut = key.lastIndexOf('\0');
      const pk = parseInt(key.slice(cut + 1), 16);
      if (pk > this.seq) this.seq = pk;
      const s = cut > 2 ? byId.get(key.slice(2, cut)) : undefined;
      if (!s) {
        drop(key, 'no session');
        continue;
      }
      try {
        s.owed.push({ ...decodeOwed(this.storage.get(key)!), pk });
      } catch (e) {
        drop(key, (e as Error).message);
      }
    }
    for (const key of this.storage.keys('r/')) {
      try {
        out.retained.push(decodeRetained(this.storage.get(key)!));
      } catch (e) {
        drop(key, (e as Error).message);
      }
    }
    return out;
  }

  /** Deletes a retained record that expired while the node was down. */
  forgetRetained(topic: string): void {
    this.del('r/' + topic);
  }

  /** Deletes an owed record that will not be restored (expired while the node was down). */
  forget(clientId: string, pk: number): void {
    this.del(owedKey(clientId, pk));
  }
}

function owedKey(clientId: string, pk: number): string {
  return 'q/' + clientId + '\0' + pk.toString(16).padStart(SEQ_DIGITS, '0');
}

function heldMids(held: Map<number, Message>): { pid: number; mid: string }[] {
  const out: { pid: number; mid: string }[] = [];
  for (const [pid, m] of held) if (m.mid !== undefined) out.push({ pid, mid: m.mid });
  return out;
}
