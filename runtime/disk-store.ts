// The core's synchronous Storage over LevelDB (classic-level). LevelDB's API
// is asynchronous, so the whole store is read into memory when it opens
// (before the broker starts) and reads are served from memory; writes
// update memory at once and are collected; sync() hands them to LevelDB
// as one batch written with { sync: true } (fsync). While a batch is being
// written, later syncs accumulate and go out as the next batch (group
// commit): one fsync covers every acknowledgement waiting at that moment.
// whenDurable() calls back once the batch holding every earlier write is
// on disk. LevelDB's LOCK file keeps a second process out of the data dir.
// A batch that fails for lack of space (ENOSPC) or an I/O error (EIO) is
// kept, its acknowledgements held, and written again every FAULT_RETRY_MS;
// meanwhile fault() reports it and the broker refuses new persistent work
// (core/disk-fault.ts). After a failed fsync LevelDB fails every later
// write until it is reopened: the retry reopens it first. Other errors stop
// the process (onError).

import { mkdirSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import type { Storage, StorageFault } from '../core/env.ts';
import { GroupCommit, sortedKeys, type Batch } from '../core/group-commit.ts';
import { FAULT_RETRY_MS } from '../core/disk-fault.ts';

type Op = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

/** A failed LevelDB write as a fault the store survives ('full': ENOSPC, 'io': EIO), or null: fatal. */
export function classifyWriteError(e: Error & { code?: string; cause?: unknown }): StorageFault | null {
  const text = `${e.message} ${(e.cause as Error | undefined)?.message ?? ''}`;
  const codes = [e.code, (e.cause as { code?: string } | undefined)?.code];
  if (codes.includes('ENOSPC') || /ENOSPC|No space left on device|EDQUOT|quota exceeded/i.test(text))
    return 'full';
  if (codes.includes('LEVEL_IO_ERROR') || codes.includes('EIO') || /\bEIO\b|I\/O error|IO error/i.test(text))
    return 'io';
  return null;
}

export class DiskStore implements Storage {
  private readonly mem = new Map<string, Uint8Array>();
  private readonly commit = new GroupCommit();
  private closed = false;
  private failed: Error | null = null;
  private met: StorageFault | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Observer: a write met a fault (`e`) or, null, one succeeded again after it. */
  onFault: ((fault: StorageFault | null, e?: Error) => void) | null = null;
  /** Batches that failed with a fault and were kept for a retry. */
  failedBatches = 0;
  /** Called when a write fails: durability is lost; the process should stop. */
  onError: (e: Error) => void = () => {};
  /** Observer: a batch of `ops` puts/deletes is on disk, `ms` after it was handed to LevelDB (write + fsync). */
  onBatch: ((ms: number, ops: number) => void) | null = null;
  batches = 0;
  opsWritten = 0;

  private constructor(
    readonly dir: string,
    private db: ClassicLevel<string, Uint8Array>,
  ) {}

  /** Writes one batch with fsync (the seam a test replaces to inject ENOSPC or EIO). */
  writeBatch = (ops: Op[]): Promise<void> => this.db.batch(ops, { sync: true });

  fault(): StorageFault | null {
    return this.met;
  }

  /** Opens (creating) the store in `dir` and loads it. */
  static async open(dir: string): Promise<DiskStore> {
    mkdirSync(dir, { recursive: true });
    const db = level(dir);
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
    this.writeBatch(ops).then(
      () => {
        if (this.met) {
          this.met = null;
          this.onFault?.(null);
        }
        this.batches++;
        this.opsWritten += ops.length;
        this.onBatch?.(performance.now() - t0, ops.length);
        this.commit.written();
        this.pump();
      },
      (e: Error) => {
        const fault = this.closed ? null : classifyWriteError(e);
        if (!fault) {
          this.failed = e;
          return this.onError(e);
        }
        this.failedBatches++;
        if (this.met !== fault) this.onFault?.(fault, e);
        this.met = fault;
        // Still busy: nothing else is written until this batch is, in order.
        this.retryTimer = setTimeout(() => void this.retry(batch), FAULT_RETRY_MS);
        this.retryTimer.unref?.();
      },
    );
  }

  private async retry(batch: Batch): Promise<void> {
    this.retryTimer = null;
    if (this.closed) return;
    if (this.met === 'io') {
      try {
        await this.db.close();
        this.db = level(this.dir);
        await this.db.open();
      } catch {
        this.retryTimer = setTimeout(() => void this.retry(batch), FAULT_RETRY_MS);
        this.retryTimer.unref?.();
        return;
      }
    }
    this.commit.failed(batch);
    this.pump();
  }

  /** Syncs what is pending, waits for it, closes LevelDB (releasing the lock). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.sync();
    // A disk still failing: what its last batches held was never acknowledged; it is given up.
    if (!this.failed && !this.met) await this.flushed();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.closed = true;
    await this.db.close();
  }
}

function level(dir: string): ClassicLevel<string, Uint8Array> {
  return new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' });
}
