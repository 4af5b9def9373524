// Writes of an asynchronous store between syncs, handed to it one batch at a time (group commit):
// while a batch is being written, later syncs accumulate into the next one, so one write (an fsync,
// a Redis transaction) covers every acknowledgement waiting at that moment. Used by the runtime's
// LevelDB store and by core/external-storage.ts; the store does the writing.

/** Key → value, or null for a delete; the last write per key wins. */
export type Batch = Map<string, Uint8Array | null>;

export class GroupCommit {
  /** Writes since the last sync(). */
  private pending: Batch = new Map();
  /** Synced but not yet taken (a batch is being written). */
  private next: Batch | null = null;
  private nextWaiters: (() => void)[] = [];
  private waiters: (() => void)[] = [];
  /** Whether a taken batch is being written. */
  busy = false;

  write(key: string, value: Uint8Array | null): void {
    this.pending.set(key, value);
  }

  /** Closes the pending writes into the next batch; true when there is one to take. */
  sync(): boolean {
    if (this.pending.size > 0) {
      const p = this.pending;
      this.pending = new Map();
      if (this.next) for (const [k, v] of p) this.next.set(k, v);
      else this.next = p;
    }
    return this.next !== null && !this.busy;
  }

  /** The next batch to write, if none is being written. */
  take(): Batch | null {
    if (this.busy || !this.next) return null;
    const b = this.next;
    this.waiters = this.nextWaiters;
    this.next = null;
    this.nextWaiters = [];
    this.busy = true;
    return b;
  }

  /** The batch taken last is durable: those waiting on it are called. */
  written(): void {
    this.busy = false;
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /**
   * The batch taken last could not be written (a full disk, a failed fsync): it goes back in front of
   * the next one (whose newer values win), its waiters still waiting, to be taken again.
   */
  failed(b: Batch): void {
    this.busy = false;
    if (this.next) for (const [k, v] of this.next) b.set(k, v);
    this.next = b;
    this.nextWaiters = [...this.waiters, ...this.nextWaiters];
    this.waiters = [];
  }

  /** Calls `fn` once everything synced so far is durable. */
  whenDurable(fn: () => void): void {
    if (this.next) this.nextWaiters.push(fn);
    else if (this.busy) this.waiters.push(fn);
    else fn();
  }

  /** Writes not yet durable (synced or not), batch being written excluded. */
  get queued(): number {
    return (this.next?.size ?? 0) + this.pending.size;
  }
}

/** The keys of `m` starting with `prefix`, sorted (Storage.keys of a store mirrored in memory). */
export function sortedKeys(m: Map<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const k of m.keys()) if (k.startsWith(prefix)) out.push(k);
  return out.sort();
}
