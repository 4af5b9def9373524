// The core's synchronous Storage over LevelDB (classic-level). LevelDB's API
// is asynchronous, so the whole store is read into memory when it opens
// (before the broker starts) and reads are served from memory; writes
// update memory at once and are collected; sync() hands them to LevelDB
// as one batch written with { sync: true } (fsync). While a batch is being
// written, later syncs accumulate and go out as the next batch (group
// commit): one fsync covers every acknowledgement waiting at that moment.
// whenDurable() calls back once the batch holding every earlier write is
// on disk. LevelDB's LOCK file keeps a second process out of the data dir.

import { mkdirSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import type { Storage } from '../core/env.ts';

type Op = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

export class DiskStore implements Storage {
  private readonly mem = new Map<string, Uint8Array>();
  /** Writes since the last sync(), last write per key wins. */
  private pending = new Map<string, Uint8Array | null>();
  /** Synced but not yet handed to LevelDB (a batch is in flight). */
  private next: Map<string, Uint8Array | null> | null = null;
  private nextWaiters: (() => void)[] = [];
  private writing = false;
  private waiters: (() => void)[] = [];
  private closed = false;
  private failed: Error | null = null;
  /** Called when a write fails: durability is lost; the process should stop. */
  onError: (e: Error) => void = () => {};
  /** Observer: a batch of `ops` puts/deletes is on disk, `ms` after it was handed to LevelDB (write + fsync). */
  onBatch: ((ms: number, ops: number) => void) | null = null;
  batches = 0;
  opsWritten = 0;

  private constructor(
    readonly dir: string,
    private readonly db: ClassicLevel<string, Uint8Array>,
  ) {}

  /** Opens (creating) the store in `dir` and loads it. */
  static async open(dir: string): Promise<DiskStore> {
    mkdirSync(dir, { recursive: true });
    const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (e) {
      const err = e as Error & { code?: string; cause?: Error & { code?: string } };
      if (err.cause?.code === 'LEVEL_LOCKED' || /lock/i.test(String(err.cause?.message ?? err.message))) {
        throw new DataDirLockedError(
          `data dir ${dir} is in use by another process (LevelDB lock held): stop that broker or choose another --data-dir`,
        );
      }
      throw new Error(`cannot open data dir ${dir}: ${err.cause?.message ?? err.message}`);
    }
    const store = new DiskStore(dir, db);
    for await (const [k, v] of db.iterator()) store.mem.set(k, v);
    return store;
  }

  get size(): number {
    return this.mem.size;
  }

  get(key: string): Uint8Array | undefined {
    return this.mem.get(key);
  }

  put(key: string, value: Uint8Array): void {
    this.mem.set(key, value);
    this.pending.set(key, value);
  }

  delete(key: string): void {
    this.mem.delete(key);
    this.pending.set(key, null);
  }

  keys(prefix = ''): string[] {
    const out: string[] = [];
    for (const k of this.mem.keys()) if (k.startsWith(prefix)) out.push(k);
    return out.sort();
  }

  sync(): void {
    if (this.pending.size === 0) return;
    const p = this.pending;
    this.pending = new Map();
    if (this.next) for (const [k, v] of p) this.next.set(k, v);
    else this.next = p;
    this.pump();
  }

  whenDurable(fn: () => void): void {
    if (this.failed) return; // never acknowledged: the process is going down
    if (this.next) this.nextWaiters.push(fn);
    else if (this.writing) this.waiters.push(fn);
    else fn();
  }

  /** Resolves once everything synced so far is on disk. */
  flushed(): Promise<void> {
    return new Promise((r) => this.whenDurable(r));
  }

  private pump(): void {
    if (this.writing || !this.next || this.closed) return;
    const batch = this.next;
    this.waiters = this.nextWaiters;
    this.next = null;
    this.nextWaiters = [];
    this.writing = true;
    const t0 = performance.now();
    const ops: Op[] = [];
    for (const [key, value] of batch) ops.push(value ? { type: 'put', key, value } : { type: 'del', key });
    this.db.batch(ops, { sync: true }).then(
      () => {
        this.writing = false;
        this.batches++;
        this.opsWritten += ops.length;
        this.onBatch?.(performance.now() - t0, ops.length);
        const w = this.waiters;
        this.waiters = [];
        for (const fn of w) fn();
        this.pump();
      },
      (e: Error) => {
        this.writing = false;
        this.failed = e;
        this.onError(e);
      },
    );
  }

  /** Syncs what is pending, waits for it, closes LevelDB (releasing the lock). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.sync();
    if (!this.failed) await this.flushed();
    this.closed = true;
    await this.db.close();
  }
}
