// DiskStore: the core's synchronous Storage over LevelDB. Reads from memory,
// writes batched per sync() and group-committed, durability callbacks in
// order, everything back after reopening, the lock against a second opener.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { DiskStore, DataDirLockedError } from '../../runtime/disk-store.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-store-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const b = (s: string) => new TextEncoder().encode(s);
const str = (v: Uint8Array | undefined) => (v ? new TextDecoder().decode(v) : undefined);

describe('DiskStore', () => {
  it('serves reads from memory at once, persists synced puts and deletes, and reads them back after reopening', async () => {
    const dir = tmp();
    const s = await DiskStore.open(dir);
    s.put('q/a\u00000001', b('1'));
    s.put('q/a\u00000002', b('2'));
    s.put('r/x', b('x'));
    expect(str(s.get('q/a\u00000001'))).toBe('1'); // before any sync
    s.sync();
    s.delete('q/a\u00000001');
    s.put('r/x', b('x2'));
    s.sync();
    await s.flushed();
    expect(s.keys('q/')).toEqual(['q/a\u00000002']);
    await s.close();

    const again = await DiskStore.open(dir);
    expect(again.keys()).toEqual(['q/a\u00000002', 'r/x']);
    expect(str(again.get('r/x'))).toBe('x2');
    await again.close();
  });

  it('groups syncs issued while a batch is being written into the next batch, and calls back in order once each is durable', async () => {
    const s = await DiskStore.open(tmp());
    const order: number[] = [];
    for (let i = 0; i < 100; i++) {
      s.put(`k${i}`, b(String(i)));
      s.sync();
      s.whenDurable(() => order.push(i));
    }
    expect(order).toEqual([]); // nothing is durable synchronously
    await s.flushed();
    expect(order).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(s.batches).toBeLessThan(100);
    expect(s.batches).toBeGreaterThanOrEqual(2); // the first went alone, the rest waited for it
    expect(s.opsWritten).toBe(100);
    // Nothing pending: a callback runs at once.
    let now = false;
    s.whenDurable(() => (now = true));
    expect(now).toBe(true);
    await s.close();
  });

  it('writes only the last value of a key changed several times between syncs; close() flushes unsynced writes', async () => {
    const dir = tmp();
    const s = await DiskStore.open(dir);
    s.put('a', b('1'));
    s.put('a', b('2'));
    s.put('gone', b('g'));
    s.delete('gone');
    s.sync();
    await s.flushed();
    expect(s.opsWritten).toBe(2);
    s.put('late', b('l')); // never synced explicitly
    await s.close();
    const again = await DiskStore.open(dir);
    expect(again.keys()).toEqual(['a', 'late']);
    expect(str(again.get('a'))).toBe('2');
    await again.close();
  });

  it('refuses a second opener of the same directory with DataDirLockedError; the lock goes with close()', async () => {
    const dir = tmp();
    const s = await DiskStore.open(dir);
    await expect(DiskStore.open(dir)).rejects.toThrow(DataDirLockedError);
    await expect(DiskStore.open(dir)).rejects.toThrow(/is in use by another process/);
    await s.close();
    const again = await DiskStore.open(dir);
    await again.close();
  });
});
