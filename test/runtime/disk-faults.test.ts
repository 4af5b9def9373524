// A data dir whose LevelDB writes fail with ENOSPC or EIO (injected through DiskStore.writeBatch, the
// seam to LevelDB): the store keeps the batch and retries it, its acknowledgements held; the broker
// refuses new persistent work with the codes the simulator's disk faults give (core/disk-fault.ts),
// and takes it again once a write succeeds. Nothing acknowledged is lost.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { DiskStore, classifyWriteError } from '../../runtime/disk-store.ts';
import { createRuntime, waitUntil, sleep, uniqueId } from '../helpers/runtime.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-fault-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The errors classic-level gives for a full disk and a failed write or fsync. */
const levelError = (msg: string) => Object.assign(new Error(msg), { code: 'LEVEL_IO_ERROR' });
const ENOSPC = () => levelError('IO error: /data/000005.log: No space left on device');
const EIO = () => levelError('IO error: /data/000005.log: Input/output error');

/** Makes `store`'s writes fail with `err()` while `on.failing` is set. */
function inject(store: DiskStore, err: () => Error): { failing: boolean } {
  const on = { failing: true };
  const write = store.writeBatch;
  store.writeBatch = (ops) => (on.failing ? Promise.reject(err()) : write(ops));
  return on;
}

const b = (s: string) => new TextEncoder().encode(s);

describe('DiskStore under ENOSPC and EIO', () => {
  it('classifies LevelDB errors: no space is "full", other I/O errors "io", anything else is fatal', () => {
    expect(classifyWriteError(ENOSPC())).toBe('full');
    expect(classifyWriteError(Object.assign(new Error('write failed'), { code: 'ENOSPC' }))).toBe('full');
    expect(classifyWriteError(new Error('ENOSPC: no space left on device, write'))).toBe('full');
    expect(classifyWriteError(EIO())).toBe('io');
    expect(
      classifyWriteError(Object.assign(new Error('Corruption: bad block'), { code: 'LEVEL_CORRUPTION' })),
    ).toBe(null);
  });

  for (const [name, err, fault] of [
    ['ENOSPC', ENOSPC, 'full'],
    ['EIO (LevelDB reopened before the retry)', EIO, 'io'],
  ] as const) {
    it(`${name}: the batch is kept and retried, its callbacks held until it is on disk; later writes follow it`, async () => {
      const dir = tmp();
      const s = await DiskStore.open(dir);
      const seen: (string | null)[] = [];
      s.onFault = (f) => seen.push(f);
      const on = inject(s, err);
      s.put('a', b('1'));
      s.sync();
      let durable = false;
      s.whenDurable(() => (durable = true));
      await waitUntil(() => s.fault() === fault, 2000, 'the fault');
      s.put('b', b('2'));
      s.delete('a');
      s.sync();
      let later = false;
      s.whenDurable(() => (later = true));
      await sleep(1300); // one retry, still failing
      expect(s.failedBatches).toBeGreaterThanOrEqual(2);
      expect([durable, later]).toEqual([false, false]);
      on.failing = false;
      await waitUntil(() => later, 3000, 'the retried batches');
      expect(durable).toBe(true);
      expect(s.fault()).toBe(null);
      expect(seen).toEqual([fault, null]);
      await s.close();
      const again = await DiskStore.open(dir);
      expect(again.keys()).toEqual(['b']);
      await again.close();
    });
  }
});

describe('a node whose data dir fails', () => {
  const rt = createRuntime();
  afterAll(() => rt.cleanup());

  for (const [name, err, rc] of [
    ['no space left (ENOSPC)', ENOSPC, 0x97],
    ['a failed write (EIO)', EIO, 0x80],
  ] as const) {
    it(`${name}: QoS 1 PUBACK 0x${rc.toString(16)} and CONNACK 0x${rc.toString(16)} for a new persistent session while it lasts; the held ack and new work go once writes succeed; acknowledged messages survive a restart`, async () => {
      const dir = tmp();
      const srv = await rt.server({ dataDir: dir });
      const subId = uniqueId('sub');
      const subOpts = {
        protocolVersion: 5 as const,
        clientId: subId,
        clean: false,
        properties: { sessionExpiryInterval: 3600 },
      };
      const sub = await rt.client(srv, subOpts);
      await sub.subscribeAsync('f/#', { qos: 1 });
      await sub.endAsync();
      const pub = await rt.client(srv, { protocolVersion: 5 });
      await pub.publishAsync('f/0', 'before', { qos: 1 });

      const on = inject(srv.store!, err);
      // The publish whose write meets the fault: held, not acknowledged.
      let heldAcked = false;
      void pub.publishAsync('f/1', 'held', { qos: 1 }).then(() => (heldAcked = true));
      await waitUntil(() => srv.store!.fault() !== null, 3000, 'the fault');
      const other = await rt.client(srv, { protocolVersion: 5 });
      const refused = await other.publishAsync('f/2', 'refused', { qos: 1 }).then(
        () => null,
        (e: Error & { code?: number }) => e.code,
      );
      expect(refused).toBe(rc);
      const np = await rt.tryConnect(srv, {
        protocolVersion: 5,
        clean: false,
        properties: { sessionExpiryInterval: 60 },
      });
      expect('code' in np && np.code).toBe(rc);
      expect(heldAcked).toBe(false);

      on.failing = false;
      await waitUntil(() => heldAcked, 3000, 'the held PUBACK');
      await other.publishAsync('f/3', 'after', { qos: 1 }); // accepted again
      const np2 = await rt.client(srv, {
        protocolVersion: 5,
        clean: false,
        properties: { sessionExpiryInterval: 60 },
      });
      expect(np2.connack.reasonCode ?? 0).toBe(0);

      await rt.cleanup(); // stops the server: its store closes
      const srv2 = await rt.server({ dataDir: dir });
      const back = await rt.client(srv2, { ...subOpts, clean: false });
      expect(back.connack.sessionPresent).toBe(true);
      await back.inbox.waitFor(3, 5000);
      await sleep(100);
      expect(back.inbox.payloads()).toEqual(['before', 'held', 'after']);
    });
  }
});
