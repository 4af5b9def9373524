// The core's Storage over an external store shared by several nodes (Redis: runtime/redis-link.ts;
// the simulator's Redis host): the records of core/session-store.ts, written through to the store,
// and a persistent session's records loaded when its client connects (core/session-load.ts).
// No I/O here: requests go out through a StoreLink, results come back as calls on StoreResults.
//
// Writes: put/delete collect; sync() hands them to the link as one batch (applied atomically, in
// order: one batch in flight at a time, later syncs accumulate into the next: group commit, as in
// runtime/disk-store.ts). whenDurable() calls back once the batch holding every earlier write is
// confirmed. A failed batch is sent again after RETRY_MS, before anything later, until the store
// takes it: what waits on it (a PUBACK) waits, never answered and then lost. Up to a bound: past
// `maxHeld` acknowledgements waiting (or `maxHeldBytes` written and not confirmed) the store is
// backlogged, and the broker refuses QoS 1/2 publishes (core/handlers/publish.ts) until it has
// caught up below it, rather than holding without end.
//
// Reads: this node sees only what it wrote, was given at start (retained messages) or loaded.
//
// Keys of owed messages carry the writing node's name (`q/<client>\0<seq hex>.<node>`; the core sees
// `q/<client>\0<seq hex>`): two nodes writing one client's queue at once (both sides of a split, a
// failed-over copy next to the live one) would otherwise overwrite and delete each other's records,
// as their sequences overlap. A record loaded from another node keeps its key when rewritten or deleted.

import type { Clock, Storage } from './env.ts';
import { RecentSet } from './recent-set.ts';
import { GroupCommit, sortedKeys } from './group-commit.ts';

export interface StoreRecord {
  key: string;
  value: Uint8Array;
}

/** One write of a batch: `value` null deletes the key (a session key: with its owed messages). */
export interface StoreWrite {
  key: string;
  value: Uint8Array | null;
}

/** Requests to the store; each is answered by exactly one call on StoreResults with the same id. */
export interface StoreLink {
  /** Applies `ops` atomically, in order. */
  write(id: number, ops: StoreWrite[]): void;
  /** Reads the records of one session: 's/<clientId>' and its 'q/<clientId>\0…' ones. */
  loadSession(id: number, clientId: string): void;
}

export interface StoreResults {
  written(id: number): void;
  loaded(id: number, records: StoreRecord[]): void;
  failed(id: number, reason: string): void;
}

export const RETRY_MS = 500;

/** How much may wait for the store (Redis unreachable or slow) before QoS 1/2 publishes are refused. */
export interface HeldLimits {
  /** Acknowledgements (PUBACK, PUBREC, PUBCOMP, peers' confirmations) waiting for a write. */
  maxHeld: number;
  /** Bytes written and not yet confirmed (keys and values, a key rewritten counted each time). */
  maxHeldBytes: number;
}

export const DEFAULT_HELD_LIMITS: HeldLimits = { maxHeld: 10_000, maxHeldBytes: 64 * 1024 * 1024 };

/** An empty record: "a session record may be in the store", for a session this node never loaded. */
const UNKNOWN = new Uint8Array(0);

export interface ExternalStats {
  batches: number;
  opsWritten: number;
  failures: number;
  loads: number;
  loadFailures: number;
  /** The last failure's reason, '' after a success. */
  lastError: string;
  /** Acknowledgements waiting for a write now, and the most at once so far. */
  held: number;
  heldPeak: number;
  /** Bytes written and not yet confirmed now. */
  heldBytes: number;
}

export class ExternalStorage implements Storage, StoreResults {
  /** Records this node knows: retained messages given at start, sessions it wrote or loaded. */
  private readonly mem = new Map<string, Uint8Array>();
  /** Owed-message keys as the core sees them → as the store has them (with the writing node's name). */
  private readonly stored = new Map<string, string>();
  /** Session keys this node deleted (or found absent): no need to delete them again. */
  private readonly absent = new RecentSet<string>(65536);
  private readonly batches = new GroupCommit();
  private inFlight: { id: number; ops: StoreWrite[] } | null = null;
  private readonly loads = new Map<number, (r: StoreRecord[] | Error) => void>();
  private ids = 0;
  readonly stats: ExternalStats = {
    batches: 0,
    opsWritten: 0,
    failures: 0,
    loads: 0,
    loadFailures: 0,
    lastError: '',
    held: 0,
    heldPeak: 0,
    heldBytes: 0,
  };
  /** Bytes written since the last sync; synced and not yet taken; in the batch being written. */
  private bytesUnsynced = 0;
  private bytesSynced = 0;
  private bytesInFlight = 0;

  constructor(
    private readonly link: StoreLink,
    private readonly clock: Clock,
    preloaded: StoreRecord[] = [],
    /** How long a CONNECT waits for its session from the store (core/session-load.ts). */
    readonly loadTimeoutMs = 5000,
    /** This node's name, in the keys of the owed messages it writes ('': none, a single node). */
    private readonly tag = '',
    readonly limits: HeldLimits = DEFAULT_HELD_LIMITS,
  ) {
    for (const r of preloaded) this.mem.set(r.key, r.value);
  }

  get(key: string): Uint8Array | undefined {
    const v = this.mem.get(key);
    if (v !== undefined || !key.startsWith('s/') || this.absent.has(key)) return v;
    return UNKNOWN;
  }

  put(key: string, value: Uint8Array): void {
    this.mem.set(key, value);
    this.absent.delete(key);
    this.batches.write(this.storedKey(key), value);
    this.wrote(key.length + value.length);
  }

  delete(key: string): void {
    this.mem.delete(key);
    if (key.startsWith('s/')) this.absent.add(key);
    const k = this.storedKey(key);
    this.stored.delete(key);
    this.batches.write(k, null);
    this.wrote(key.length);
  }

  private wrote(bytes: number): void {
    this.bytesUnsynced += bytes;
    this.stats.heldBytes += bytes;
  }

  /** Past its bound of held acknowledgements or bytes: QoS 1/2 publishes are refused until it catches up. */
  get backlogged(): boolean {
    return this.stats.held >= this.limits.maxHeld || this.stats.heldBytes >= this.limits.maxHeldBytes;
  }

  /** The key in the store of core key `key` (an owed message's: with the node that wrote it first). */
  private storedKey(key: string): string {
    if (!this.tag || !key.startsWith('q/')) return key;
    let k = this.stored.get(key);
    if (k === undefined) this.stored.set(key, (k = key + '.' + this.tag));
    return k;
  }

  keys(prefix = ''): string[] {
    return sortedKeys(this.mem, prefix);
  }

  sync(): void {
    this.bytesSynced += this.bytesUnsynced;
    this.bytesUnsynced = 0;
    if (this.batches.sync()) this.pump();
  }

  whenDurable(fn: () => void): void {
    const st = this.stats;
    if (++st.held > st.heldPeak) st.heldPeak = st.held;
    this.batches.whenDurable(() => {
      st.held--;
      fn();
    });
  }

  /** Writes confirmed yet to come (a backlog while the store is unreachable). */
  get unconfirmed(): number {
    return (this.inFlight?.ops.length ?? 0) + this.batches.queued;
  }

  /** Asks the store for the records of `clientId`'s session; `done` gets them, or the failure. */
  loadSession(clientId: string, done: (r: StoreRecord[] | Error) => void): void {
    const id = ++this.ids;
    this.loads.set(id, done);
    this.stats.loads++;
    this.link.loadSession(id, clientId);
  }

  /** Records of a session loaded and restored here: this node now knows them. */
  adopt(records: StoreRecord[]): void {
    for (const r of records) {
      const dot = r.key.startsWith('q/') ? r.key.indexOf('.', r.key.lastIndexOf('\0')) : -1;
      const key = dot < 0 ? r.key : r.key.slice(0, dot);
      if (r.key.startsWith('q/')) this.stored.set(key, r.key);
      this.mem.set(key, r.value);
    }
  }

  /** A session was loaded and found absent from the store. */
  knownAbsent(clientId: string): void {
    this.absent.add('s/' + clientId);
  }

  private pump(): void {
    const batch = this.batches.take();
    if (!batch) return;
    const ops: StoreWrite[] = [];
    for (const [key, value] of batch) ops.push({ key, value });
    this.bytesInFlight = this.bytesSynced;
    this.bytesSynced = 0;
    this.send({ id: 0, ops });
  }

  private send(b: { id: number; ops: StoreWrite[] }): void {
    b.id = ++this.ids;
    this.inFlight = b;
    this.link.write(b.id, b.ops);
  }

  written(id: number): void {
    const b = this.inFlight;
    if (!b || b.id !== id) return;
    this.inFlight = null;
    this.stats.batches++;
    this.stats.opsWritten += b.ops.length;
    this.stats.lastError = '';
    this.stats.heldBytes -= this.bytesInFlight;
    this.bytesInFlight = 0;
    this.batches.written();
    this.pump();
  }

  loaded(id: number, records: StoreRecord[]): void {
    const done = this.loads.get(id);
    if (!done) return;
    this.loads.delete(id);
    this.stats.lastError = '';
    done(records);
  }

  failed(id: number, reason: string): void {
    this.stats.lastError = reason;
    const done = this.loads.get(id);
    if (done) {
      this.loads.delete(id);
      this.stats.loadFailures++;
      done(new Error(reason));
      return;
    }
    const b = this.inFlight;
    if (!b || b.id !== id) return;
    this.stats.failures++;
    b.id = -1; // a late answer to the failed request is ignored
    // The same batch again, under a new id, before anything later.
    this.clock.setTimer(RETRY_MS, () => {
      if (this.inFlight === b) this.send(b);
    });
  }
}
