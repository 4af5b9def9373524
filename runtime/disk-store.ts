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
import { GroupCommit, sortedKeys } from '../core/group-commit.ts';

type Op = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

export class DiskStore implements Storage {
  private readonly mem = new Map<string, Uint8Array>();
  private readonly commit = new GroupCommit();
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
    this.commit.write(key, value);
  }

  delete(key: string): void {
    this.mem.delete(key);
    this.commit.write(key, null);
  }

  keys(prefix = ''): string[] {
    return sortedKeys(this.mem, prefix);
  }

  sync(): void {
    if (this.commit.sync()) this.pump();
  }

  whenDurable(fn: () => void): void {
    if (this.failed) return; // never acknowledged: the process is going down
    this.commit.whenDurable(fn);
  }

  /** Resolves once everything synced so far is on disk. */
  flushed(): Promise<void> {
    return new Promise((r) => this.whenDurable(r));
  }

  private pump(): void {
    if (this.closed) return;
    const batch = this.commit.take();
    if (!batch) return;
    const t0 = performance.now();
    const ops: Op[] = [];
    for (const [key, value] of batch) ops.push(value ? { type: 'put', key, value } : { type: 'del', key });
    this.db.batch(ops, { sync: true }).then(
      () => {
        this.batches++;
        this.opsWritten += ops.length;
        this.onBatch?.(performance.now() - t0, ops.length);
        this.commit.written();
        this.pump();
      },
      (e: Error) => {
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
