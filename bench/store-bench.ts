// Data dir benchmark: QoS 1 publishes into an offline persistent session
// (every message is one store record, and its PUBACK waits for the fsync)
// with and without --data-dir, and the restart recovery time of what they
// left behind. Run: npm run bench:store [-- --quick]

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startServer } from '../runtime/server.ts';

const quick = process.argv.includes('--quick');
const N = quick ? 5_000 : 50_000;
const WINDOW = 100; // publishes in flight
const silent = { info() {}, warn() {} };

async function run(dataDir: string): Promise<{ perSec: number; batches: number }> {
  const s = await startServer(
    {
      listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
      sysInterval: 0,
      dataDir,
      limits: { maxQueuedMessages: N + 10 },
    },
    silent,
  );
  const url = `mqtt://127.0.0.1:${s.tcpPort}`;
  const sub = await mqtt.connectAsync(url, {
    clientId: 'bench-sub',
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 0,
  });
  await sub.subscribeAsync('b/#', { qos: 1 });
  await sub.endAsync();
  const pub = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0 });
  const payload = Buffer.alloc(64, 'x');
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < N) {
        const i = next++;
        await pub.publishAsync(`b/${i % 16}`, payload, { qos: 1 });
      }
    }),
  );
  const ms = performance.now() - t0;
  await pub.endAsync();
  const batches = s.store?.batches ?? 0;
  await s.stop();
  return { perSec: Math.round(N / (ms / 1000)), batches };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-bench-'));
try {
  const mem = await run('');
  const disk = await run(dir);
  const t0 = performance.now();
  const again = await startServer(
    {
      listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
      sysInterval: 0,
      dataDir: dir,
      limits: { maxQueuedMessages: N + 10 },
    },
    silent,
  );
  const startMs = Math.round(performance.now() - t0);
  const r = again.restored!;
  await again.stop();
  console.log(
    `QoS 1 publishes to an offline persistent session, ${N} x 64 B, ${WINDOW} in flight, one publisher`,
  );
  console.log(`  memory only             ${mem.perSec} msg/s`);
  console.log(
    `  --data-dir (fsync/ack)  ${disk.perSec} msg/s, ${disk.batches} fsynced batches (${(N / Math.max(1, disk.batches)).toFixed(1)} messages per fsync)`,
  );
  console.log(`restart with ${r.messages} queued messages: restore ${r.ms} ms, whole start ${startMs} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
