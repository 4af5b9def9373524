// Data dir benchmark: QoS 1 publishes into an offline persistent session
// (every message is one store record, and its PUBACK waits for the fsync)
// with and without --data-dir, standalone and on a 2-node cluster, and the
// restart recovery time of what they left behind; on 3 nodes, what ack mode 'quorum' costs against
// 'replicated'. Run: npm run bench:store [-- --quick]

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startServer, type RunningServer } from '../runtime/server.ts';
import { group, type AckMode } from './cluster-group.ts';
import { MOSQUITTO, startMosquitto } from './brokers.ts';
import { existsSync } from 'node:fs';

const quick = process.argv.includes('--quick');
const N = quick ? 5_000 : 50_000;
const WINDOW = 100; // publishes in flight
const silent = { info() {}, warn() {} };

/**
 * Publishes into an offline persistent session. Clustered: the publisher on the first node, the session
 * on the last (each PUBACK waits for its confirmation, after its fsync with a data dir), or, `sameNode`,
 * on the publisher's node (each PUBACK waits for the peers its replicas went to: all in 'replicated',
 * a majority in 'quorum').
 */
async function run(
  dataDir: string,
  clustered = 0,
  ackMode: AckMode = 'replicated',
  sameNode = false,
): Promise<{ perSec: number; batches: number }> {
  const servers = clustered
    ? await group(dataDir, clustered, ackMode, N + 10)
    : [
        await startServer(
          {
            listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
            sysInterval: 0,
            dataDir,
            limits: { maxQueuedMessages: N + 10 },
          },
          silent,
        ),
      ];
  const s = sameNode ? servers[0] : servers[servers.length - 1];
  const perSec = await measure(s.tcpPort!, servers[0].tcpPort!, clustered > 0);
  const batches = s.store?.batches ?? 0;
  for (const x of servers) await x.stop();
  return { perSec, batches };
}

/** N QoS 1 publishes on `pubPort` into an offline persistent session made on `subPort`: msg/s. */
async function measure(subPort: number, pubPort: number, clustered: boolean): Promise<number> {
  const url = `mqtt://127.0.0.1:${subPort}`;
  const sub = await mqtt.connectAsync(url, {
    clientId: 'bench-sub',
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 0,
  });
  await sub.subscribeAsync('b/#', { qos: 1 });
  await sub.endAsync();
  if (clustered) await new Promise((r) => setTimeout(r, 200)); // the route reaches the publisher's node
  const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${pubPort}`, {
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
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
  return Math.round(N / (ms / 1000));
}

/** Mosquitto with `persistence true` and `autosave` settings, the same workload (null: not installed). */
async function mosquitto(autosave: string[]): Promise<number | null> {
  if (!existsSync(MOSQUITTO)) return null;
  const m = await startMosquitto(autosave);
  try {
    return await measure(m.port, m.port, false);
  } finally {
    await m.stop();
  }
}

// Mosquitto writes its whole in-memory database to mosquitto.db at each autosave (never fsyncs per
// message): the default saves every 1800 s (a kill -9 loses what came since); on changes, after that
// many changes.
const MOSQ_DEFAULT = ['autosave_interval 1800'];
const MOSQ_ON_CHANGES = ['autosave_on_changes true', 'autosave_interval 1000'];

const dir = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-bench-'));
const cdir = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-bench-cluster-'));
try {
  const mem = await run('');
  const disk = await run(dir);
  const mosqDefault = await mosquitto(MOSQ_DEFAULT);
  const mosqChanges = await mosquitto(MOSQ_ON_CHANGES);
  const cmem = await run('', 2);
  const cdisk = await run(cdir, 2);
  const modes = ['replicated', 'quorum'] as const;
  const three: string[] = [];
  for (const sameNode of [true, false])
    for (const m of modes) three.push(`${m} ${(await run('', 3, m, sameNode)).perSec}`);
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
  if (mosqDefault === null)
    console.log('  mosquitto               skipped: not installed (apt-get install mosquitto)');
  else {
    console.log(`  mosquitto, persistence true, ${MOSQ_DEFAULT.join(', ')} (default): ${mosqDefault} msg/s`);
    console.log(`  mosquitto, persistence true, ${MOSQ_ON_CHANGES.join(', ')}: ${mosqChanges} msg/s`);
  }
  console.log(
    `2 clustered nodes (ack mode replicated), publisher on one, the session on the other: memory only ${cmem.perSec} msg/s, --data-dir ${cdisk.perSec} msg/s (${(N / Math.max(1, cdisk.batches)).toFixed(1)} messages per fsync on the session's node)`,
  );
  console.log(
    `3 clustered nodes, memory only, session on the publisher's node (replicas to both peers): ${three.slice(0, 2).join(', ')} msg/s; session on another node: ${three.slice(2).join(', ')} msg/s`,
  );
  console.log(`restart with ${r.messages} queued messages: restore ${r.ms} ms, whole start ${startMs} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(cdir, { recursive: true, force: true });
}
