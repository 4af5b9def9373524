// Issue 13, bug 7 over real TCP: mqtt.js connects one new persistent client id
// (3.1.1, clean session false) to two `runtime start` nodes at the same
// instant, for 200 ids; each must end with exactly one live connection (the
// other one closed by the takeover), as the clients see it.
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { waitUntil, sleep } from '../helpers/runtime.ts';
import { freePorts } from '../helpers/ports.ts';
import { spawnRuntime, type Proc, killAll } from '../helpers/processes.ts';

const IDS = 200;
const BATCH = 20;

function open(port: number, clientId: string): MqttClient {
  return mqtt.connect({
    host: '127.0.0.1',
    port,
    clientId,
    protocolVersion: 4,
    clean: false,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
}

/** Resolves once the client got its CONNACK or gave up. */
const settled = (c: MqttClient) =>
  new Promise<void>((r) => (c.connected ? r() : (c.once('connect', () => r()), c.once('close', () => r()))));

describe('a fresh client id raced onto two real nodes', () => {
  const procs: Proc[] = [];
  let tmp = '';

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-race-'));
    const cfgFile = path.join(tmp, 'cluster.yaml');
    fs.writeFileSync(
      cfgFile,
      'sysInterval: 0\ncluster:\n  heartbeatIntervalMs: 200\n  heartbeatTimeoutMs: 2000\n',
    );
    const ports = await freePorts(2);
    const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`).join(',');
    const env = { ...process.env, MQTTLAB_CLUSTER_SECRET: 'race-secret' };
    for (let i = 0; i < 2; i++) {
      procs.push(
        spawnRuntime(
          `n${i + 1}`,
          [
            '--config',
            cfgFile,
            '--host',
            '127.0.0.1',
            '--port',
            '0',
            '--no-ws',
            '--cluster-host',
            '127.0.0.1',
            '--cluster-port',
            String(ports[i]),
            '--seeds',
            seeds,
          ],
          env,
        ),
      );
    }
    await waitUntil(
      () => procs.every((p) => p.mqttPort > 0),
      45_000,
      `both processes to listen (output: ${procs.map((p) => p.out).join(' | ')})`,
    );
    const [a, b] = procs;
    await waitUntil(
      () => a.out.includes('[n1] cluster peer.up peer=n2') && b.out.includes('[n2] cluster peer.up peer=n1'),
      30_000,
      'the two nodes to see each other',
    );
  }, 90_000);

  afterAll(async () => {
    await killAll(procs);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it(
    `${IDS} ids, each connected to n1 and n2 at once, end with exactly one live connection`,
    { timeout: 180_000 },
    async () => {
      const bad: string[] = [];
      for (let b = 0; b < IDS; b += BATCH) {
        const pairs = Array.from({ length: BATCH }, (_, i) => {
          const id = `race-${process.pid}-${b + i}`;
          return { id, clients: [open(procs[0].mqttPort, id), open(procs[1].mqttPort, id)] };
        });
        await Promise.all(pairs.flatMap((p) => p.clients.map(settled)));
        // The loser is closed by the takeover within a few frames; give it a moment, then count.
        const oneEach = () => pairs.every((p) => p.clients.filter((c) => c.connected).length === 1);
        const deadline = Date.now() + 5000;
        while (!oneEach() && Date.now() < deadline) await sleep(50);
        await sleep(200);
        for (const p of pairs) {
          const live = p.clients.filter((c) => c.connected).length;
          if (live !== 1) bad.push(`${p.id}: ${live} live connections`);
        }
        await Promise.all(pairs.flatMap((p) => p.clients.map((c) => c.endAsync(true))));
      }
      expect(bad).toEqual([]);
    },
  );
});
