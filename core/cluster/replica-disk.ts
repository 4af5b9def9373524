// The replicas a clustered node holds of other nodes' sessions, kept in its data dir (issue 15): without
// them, a node that restarts while a session's owner is down (a whole-cluster power loss, the owner lost
// for good) has no copy of that session, and the messages acknowledged into it are gone.
//
// Records, in the node's own store (core/session-store.ts: synced as its records are; a peer's frames are
// confirmed only once what they wrote is synced, core/cluster/durable.ts):
//   R/<clientId>                        the replica's state (owner, claim time, expiry, subscriptions, QoS 2 ids)
//   M/<clientId>\0<seq, 13 hex digits>  one message it is owed (QoS 2 sent: with its packet id)
// The replica map and each replica's message map write through (set, delete, clear); the fields the
// replica frames change in place are rewritten after each RState/ROut frame (frames.ts).
//
// A replica read back from the disk may be stale: its owner may have ended the session, handed it on, or
// completed messages while this node was down (those frames died with its last life). So until the owner
// speaks again it is of the owner's previous life (`old`), and when the owner's link comes up:
//   - the owner's claims (sent first at each link-up) name every session it still holds: at its full route
//     table (sent after them) a restored replica it did not claim is dropped, if it claimed any (one that
//     claims none may have come back without its data: its replicas here may be the last copies, kept);
//   - its first state frame for a claimed one starts the replica afresh: the full snapshot follows it (the
//     replica's messages are those the snapshot sends, not the disk's).
// If the owner never comes back, the replica serves as any replica does: a client connecting here resumes
// from it, and the owner's backup fails it over when it notices the owner down.

import { decodeOwed, encodeOwed } from '../persist-codec.ts';
import type { Message, QoS } from '../message.ts';
import type { Logger } from '../env.ts';
import type { Replica } from './replica.ts';
import type { LocalNode } from './local-node.ts';
import { RecentSet } from '../recent-set.ts';

type Entry = { msg: Message; qos: QoS; sentAs?: number };
type Store = Required<Pick<NonNullable<LocalNode['store']>, 'record' | 'records'>>;
type StateRecord = Omit<Replica, 'clientId' | 'msgs' | 'done' | 'rel' | 'old'> & { rel: number[] };

const SEQ_DIGITS = 13;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** The replica map of a node: on disk when it has a data dir of its own, in memory otherwise. */
export function replicaMap(b: LocalNode): Map<string, Replica> {
  const st = b.store;
  // An external store (Redis) is shared by every node and keeps the sessions itself (thin replicas).
  if (!st?.record || !st.records || b.loads) return new Map();
  return new DiskReplicas({ record: st.record.bind(st), records: st.records.bind(st) }, b, b.env.log);
}

/** The disk side of `replicas`, if they are kept on disk. */
export function replicaDisk(replicas: Map<string, Replica>): DiskReplicas | null {
  return replicas instanceof DiskReplicas ? replicas : null;
}

export class DiskReplicas extends Map<string, Replica> {
  private seq = 0;
  /** Restored from the disk, their owner's claims not all in yet: client id -> claimed again by it. */
  private restored = new Map<string, boolean>();
  /** Restored from the disk, their messages not replaced by their owner's snapshot yet. */
  private stale = new Set<string>();
  /** How many replicas the last start read back. */
  loaded = 0;

  constructor(
    private readonly store: Store,
    b: LocalNode,
    log?: Logger,
  ) {
    super();
    this.load(b, log);
  }

  override set(clientId: string, r: Replica): this {
    const had = super.get(clientId);
    if (had && had !== r) this.drop(clientId, had);
    if (had !== r) this.forgetRestored(clientId);
    super.set(clientId, r);
    if (!(r.msgs instanceof DiskMsgs)) {
      const msgs = new DiskMsgs(this, clientId);
      for (const [mid, e] of r.msgs) msgs.set(mid, e);
      r.msgs = msgs;
    }
    this.writeState(r);
    return this;
  }

  override delete(clientId: string): boolean {
    const r = super.get(clientId);
    if (!r) return false;
    this.drop(clientId, r);
    this.forgetRestored(clientId);
    return super.delete(clientId);
  }

  override clear(): void {
    for (const id of [...this.keys()]) this.delete(id);
  }

  // ---- after a replica frame (frames.ts) ------------------------------------------------------

  /** The replica's state changed in place (RState, ROut): rewritten, with the message `mid` names (its packet id). */
  touched(clientId: string, mid?: string): void {
    const r = super.get(clientId);
    if (!r) return;
    this.writeState(r);
    const e = mid === undefined ? undefined : r.msgs.get(mid);
    if (e && r.msgs instanceof DiskMsgs) r.msgs.write(mid!, e);
  }

  /**
   * An RState from `from` is about to be handled: a restored replica it owns and claimed again (it holds the
   * session) starts afresh: its snapshot follows. One it did not claim keeps its messages (merged, as in memory).
   */
  beforeState(from: string, clientId: string): void {
    const r = super.get(clientId);
    if (!r || r.owner !== from || !this.stale.has(clientId) || this.restored.get(clientId) === false) return;
    this.forgetRestored(clientId);
    r.msgs.clear();
  }

  private forgetRestored(clientId: string): void {
    this.restored.delete(clientId);
    this.stale.delete(clientId);
  }

  /**
   * `node` claims `clientId` at `at` (its link-up claims): a restored replica of that session it owns is still
   * its, unless the claim is of a new session started after the one the replica copies (`fresh`, session present
   * 0): that one does not hold what the replica holds.
   */
  claimed(node: string, clientId: string, at: number, fresh: boolean): void {
    const r = this.restored.has(clientId) ? super.get(clientId) : undefined;
    if (r?.owner === node && !(fresh && at > r.at)) this.restored.set(clientId, true);
  }

  /**
   * `peer`'s own full route table is in, after its claims. If it claimed some of the sessions restored here
   * as its, it came back with its data: one it did not claim ended or moved while this node was down, and
   * its replica goes. If it claimed none, it may have come back empty (its disk lost): they stay, as old
   * replicas (the last copies, perhaps), as in-memory replicas do when their owner restarts.
   */
  healed(peer: string): void {
    const mine = [...this.restored].filter(([id]) => super.get(id)?.owner === peer);
    const any = mine.some(([, claimed]) => claimed);
    for (const [id, claimed] of mine) {
      this.restored.delete(id);
      if (claimed) continue; // its snapshot follows (beforeState)
      if (any) this.delete(id);
      else this.stale.delete(id);
    }
  }

  // ---- records ---------------------------------------------------------------------------------

  nextPk(): number {
    return ++this.seq;
  }

  put(key: string, value: Uint8Array | null): void {
    this.store.record(key, value);
  }

  private writeState(r: Replica): void {
    const st: StateRecord = {
      owner: r.owner,
      at: r.at,
      expiry: r.expiry,
      subs: r.subs,
      in2: r.in2,
      rel: [...r.rel],
      lastSent: r.lastSent,
      user: r.user,
    };
    this.put('R/' + r.clientId, enc.encode(JSON.stringify(st)));
  }

  private drop(clientId: string, r: Replica): void {
    if (r.msgs instanceof DiskMsgs) r.msgs.forget();
    this.put('R/' + clientId, null);
  }

  /** Reads the replicas back (a replica of a session this node holds itself is dropped: it resumed here). */
  private load(b: LocalNode, log?: Logger): void {
    const byId = new Map<string, Replica>();
    for (const [key, v] of this.store.records('R/')) {
      const clientId = key.slice(2);
      try {
        const st = JSON.parse(dec.decode(v)) as StateRecord;
        if (b.sessions.has(clientId)) throw new Error('the session is held here');
        const msgs = new DiskMsgs(this, clientId);
        const r: Replica = {
          ...st,
          clientId,
          msgs,
          done: new RecentSet(8192),
          rel: new Set(st.rel),
          old: true,
        };
        byId.set(clientId, r);
      } catch (e) {
        log?.info(`store: discarding replica ${JSON.stringify(clientId)}: ${(e as Error).message}`);
        this.put(key, null);
      }
    }
    for (const [key, v] of this.store.records('M/')) {
      const cut = key.lastIndexOf('\0');
      const pk = parseInt(key.slice(cut + 1), 16);
      if (pk > this.seq) this.seq = pk;
      const r = byId.get(key.slice(2, cut));
      const o = r ? decodeSafe(v) : undefined;
      if (!r || !o || o.msg.mid === undefined) {
        this.put(key, null);
        continue;
      }
      (r.msgs as DiskMsgs).adopt(o.msg.mid, { msg: o.msg, qos: o.qos, sentAs: o.pid }, pk);
    }
    for (const r of byId.values()) {
      super.set(r.clientId, r);
      this.restored.set(r.clientId, false);
      this.stale.add(r.clientId);
    }
    this.loaded = byId.size;
  }
}

function decodeSafe(v: Uint8Array): ReturnType<typeof decodeOwed> | undefined {
  try {
    return decodeOwed(v);
  } catch {
    return undefined;
  }
}

/** A replica's owed messages, in order; each set or delete writes its record. */
class DiskMsgs extends Map<string, Entry> {
  private pks = new Map<string, number>();

  constructor(
    private readonly d: DiskReplicas,
    private readonly clientId: string,
  ) {
    super();
  }

  /** Read back from the disk under `pk`: nothing is written. */
  adopt(mid: string, e: Entry, pk: number): void {
    super.set(mid, e);
    this.pks.set(mid, pk);
  }

  override set(mid: string, e: Entry): this {
    super.set(mid, e);
    this.write(mid, e);
    return this;
  }

  override delete(mid: string): boolean {
    const pk = this.pks.get(mid);
    if (pk !== undefined) {
      this.pks.delete(mid);
      this.d.put(key(this.clientId, pk), null);
    }
    return super.delete(mid);
  }

  override clear(): void {
    this.forget();
    super.clear();
  }

  /** (Re)writes the record of `mid`, under its key if it has one. */
  write(mid: string, e: Entry): void {
    let pk = this.pks.get(mid);
    if (pk === undefined) this.pks.set(mid, (pk = this.d.nextPk()));
    this.d.put(key(this.clientId, pk), encodeOwed({ msg: e.msg, qos: e.qos, retain: false, pid: e.sentAs }));
  }

  /** Deletes every record (the replica went). */
  forget(): void {
    for (const pk of this.pks.values()) this.d.put(key(this.clientId, pk), null);
    this.pks.clear();
  }
}

function key(clientId: string, pk: number): string {
  return 'M/' + clientId + '\0' + pk.toString(16).padStart(SEQ_DIGITS, '0');
}
