// What exactly-once QoS 2 across a node's loss costs (docs/durability.md, "QoS 2 across a restart or a
// failover"): QoS 2 from a persistent publisher on one node to a connected persistent QoS 2 subscriber on
// the other, 2 clustered nodes, memory only and with data dirs. Each PUBLISH and PUBREL to the subscriber
// waits for the peer's confirmation of its step (and the fsync); the inflight window keeps many in the air.
// Run: npx tsx bench/qos2-bench.ts [--quick]

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { group } from './cluster-group.ts';

const N = process.argv.includes('--quick') ? 2_000 : 10_000;
const WINDOW = 100; // publishes in flight (the broker's default maxInflight to the subscriber is the other bound)

/** msg/s from the first publish until the subscriber has all N (mqtt.js delivers QoS 2 at the PUBREL). */
async function run(dataDir: string): Promise<{ perSec: number; p50: number; p99: number }> {
  const [b1, b2] = await group(dataDir, 2, 'replicated', N + 10);
  try {
    const persistent = {
      clean: false,
      protocolVersion: 5 as const,
      properties: { sessionExpiryInterval: 3600 },
    };
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${b2.tcpPort}`, {
      ...persistent,
      clientId: 'q2-sub',
    });
    await sub.subscribeAsync('q/#', { qos: 2 });
    await new Promise((r) => setTimeout(r, 300)); // the route reaches the publisher's node
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${b1.tcpPort}`, {
      ...persistent,
      clientId: 'q2-pub',
    });
    const sentAt = new Float64Array(N);
    const lat: number[] = [];
    let got = 0;
    const all = new Promise<void>((resolve) =>
      sub.on('message', (_t, payload) => {
        lat.push(performance.now() - sentAt[payload.readUInt32BE(0)]);
        if (++got === N) resolve();
      }),
    );
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: WINDOW }, async () => {
        while (next < N) {
          const i = next++;
          const payload = Buffer.alloc(64);
          payload.writeUInt32BE(i, 0);
          sentAt[i] = performance.now();
          await pub.publishAsync(`q/${i % 16}`, payload, { qos: 2 });
        }
      }),
    );
    await all;
    const ms = performance.now() - t0;
    await pub.endAsync();
    await sub.endAsync();
    lat.sort((a, b) => a - b);
    const at = (q: number): number => Math.round(lat[Math.floor(q * (lat.length - 1))]);
    return { perSec: Math.round(N / (ms / 1000)), p50: at(0.5), p99: at(0.99) };
  } finally {
    await b1.stop();
    await b2.stop();
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-qos2-bench-'));
try {
  const mem = await run('');
  const disk = await run(dir);
  console.log(
    `QoS 2, ${N} x 64 B, ${WINDOW} in flight, persistent publisher on b1 to a persistent subscriber on b2`,
  );
  for (const [name, r] of [
    ['memory only', mem],
    ['--data-dir ', disk],
  ] as const)
    console.log(`  ${name}  ${r.perSec} msg/s, publish to delivery p50 ${r.p50} ms, p99 ${r.p99} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
