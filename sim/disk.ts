// A simulated disk with fsync semantics: writes land in a volatile cache;
// sync() makes them durable; a crash throws the cache away. Faults
// (world.diskFull, world.fsyncFails): while one lasts every sync fails and
// leaves the cache as it was (the writes stay volatile), and fault() says
// what the last sync met, as ENOSPC or EIO from a real store would.

import type { Storage, StorageFault } from '../core/env.ts';

export class SimDisk implements Storage {
  private durable = new Map<string, Uint8Array | null>();
  private cache = new Map<string, Uint8Array | null>();
  syncs = 0;
  failedSyncs = 0;
  /** Injected: no space left (ENOSPC). */
  full = false;
  /** Injected: fsync fails (EIO). */
  fsyncFails = false;
  private met: StorageFault | null = null;

  get(key: string): Uint8Array | undefined {
    const c = this.cache.get(key);
    if (c !== undefined) return c ?? undefined;
    return this.durable.get(key) ?? undefined;
  }

  put(key: string, value: Uint8Array): void {
    this.cache.set(key, value);
  }

  delete(key: string): void {
    this.cache.set(key, null);
  }

  keys(prefix = ''): string[] {
    const out = new Set<string>();
    for (const [k, v] of this.durable) if (v && k.startsWith(prefix)) out.add(k);
    for (const [k, v] of this.cache) {
      if (!k.startsWith(prefix)) continue;
      if (v) out.add(k);
      else out.delete(k);
    }
    return [...out].sort();
  }

  sync(): void {
    this.syncs++;
    this.met = this.full ? 'full' : this.fsyncFails ? 'io' : null;
    if (this.met) {
      this.failedSyncs++;
      return;
    }
    for (const [k, v] of this.cache) {
      if (v) this.durable.set(k, v);
      else this.durable.delete(k);
    }
    this.cache.clear();
  }

  fault(): StorageFault | null {
    return this.met;
  }

  /** The process using the disk died: the next one learns of a fault from its own first sync. */
  processGone(): void {
    this.met = null;
  }

  /** Power loss: unsynced writes are gone. */
  crash(): void {
    this.cache.clear();
  }

  get unsynced(): number {
    return this.cache.size;
  }
}
