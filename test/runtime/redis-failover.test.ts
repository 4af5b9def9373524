// The Redis store's promise with real processes: two clustered nodes on --session-store; a persistent
// session on n1 with 30 QoS 1 messages published on n2 and acknowledged (forwarded to n1, written to
// Redis before n1 confirms the forward); both nodes kill -9'd; a brand-new node with no data and no
// peers on the same Redis resumes the session with Session Present and all 30 messages.
// Skips when redis-server (Debian package redis-server) is missing.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { createRuntime, sleep, uniqueId, waitUntil, type RunningServer } from '../helpers/runtime.ts';
import { spawnRuntime, killAll, type Proc } from '../helpers/processes.ts';
import { freePorts } from '../helpers/ports.ts';
import { RedisServer, redisTool } from '../helpers/redis.ts';

const d = redisTool.path ? describe : describe.skip;
if (!redisTool.path) console.log(redisTool.reason);
const N = 30;

d('kill -9 of every clustered node on a Redis session store', () => {
  const rt = createRuntime();
  const procs: Proc[] = [];
  let redis: RedisServer | undefined;
  let tmp = '';
  afterAll(async () => {
    await rt.cleanup();
    await killAll(procs);
    await redis?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });
  const srv = (p: Proc) => ({ tcpPort: p.mqttPort }) as RunningServer;

  it(`a fresh node with no peers resumes the session with all ${N} queued QoS 1 messages`, async () => {
    redis = await RedisServer.start();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-redis-cluster-'));
    const cfg = path.join(tmp, 'node.yaml');
    fs.writeFileSync(
      cfg,
      'sysInterval: 0\ncluster:\n  heartbeatIntervalMs: 200\n  heartbeatTimeoutMs: 2000\n',
    );
    const ports = await freePorts(2);
    const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`).join(',');
    const env = { ...process.env, MQTTLAB_CLUSTER_SECRET: 'redis-failover-secret' };
    const common = [
      '--config',
      cfg,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--no-ws',
      '--session-store',
      redis.url,
    ];
    const clustered = (i: number) => {
      const p = spawnRuntime(
        `n${i + 1}`,
        [...common, '--cluster-host', '127.0.0.1', '--cluster-port', String(ports[i]), '--seeds', seeds],
        env,
      );
      procs.push(p);
      return p;
    };
    const [p1, p2] = [clustered(0), clustered(1)];
    await waitUntil(() => p1.mqttPort > 0 && p2.mqttPort > 0, 15_000, `listening (${p1.out} | ${p2.out})`);
    await waitUntil(
      () => p1.out.includes('cluster peer.up peer=n2') && p2.out.includes('cluster peer.up peer=n1'),
      10_000,
      `cluster up (${p1.out} | ${p2.out})`,
    );

    const clientId = uniqueId('redis-dev');
    const opts = {
      protocolVersion: 5 as const,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    };
    const sub = await rt.client(srv(p1), opts);
    await sub.subscribeAsync({ 'fleet/#': { qos: 1 } });
    await sub.endAsync();

    // Published on n2: the route to n1 arrives shortly after the SUBACK; probe until one gets through.
    const pub = await rt.client(srv(p2), { protocolVersion: 5 });
    const probe = await rt.client(srv(p1), { protocolVersion: 5 });
    await probe.subscribeAsync('fleet/probe', { qos: 1 });
    for (let i = 0; probe.inbox.length === 0 && i < 50; i++) {
      await pub.publishAsync('fleet/probe', `p${i}`, { qos: 1 });
      await sleep(100);
    }
    expect(probe.inbox.length).toBeGreaterThan(0);
    const probes = probe.inbox.length;
    await Promise.all(
      Array.from({ length: N }, (_, i) => pub.publishAsync(`fleet/${i}`, `m${i}`, { qos: 1 })),
    );

    // Every acknowledgement is in: kill both nodes at once, no graceful anything.
    p1.child.kill('SIGKILL');
    p2.child.kill('SIGKILL');
    await Promise.all([p1.exited, p2.exited]);

    const fresh = spawnRuntime('n3', common, env); // no --cluster-*: no peers, no data
    procs.push(fresh);
    await waitUntil(() => fresh.mqttPort > 0, 15_000, `n3 listening (${fresh.out})`);
    const back = await rt.client(srv(fresh), opts);
    expect(back.connack!.sessionPresent).toBe(true);
    await waitUntil(
      () => back.inbox.length >= probes + N,
      10_000,
      `${probes + N} messages (got ${back.inbox.length})`,
    );
    const got = back.inbox.messages.map((m) => m.payload.toString()).filter((p) => p.startsWith('m'));
    expect(got).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
  });
});
