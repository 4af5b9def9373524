// SIGTERM on a clustered node, with real processes: /health turns 503 while
// it drains, v5 clients get DISCONNECT 0x8B, the process exits 0, and a
// persistent session that lived there resumes on the other node with the
// messages queued for it before and after the stop.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import {
  createRuntime,
  isolated,
  waitUntil,
  sleep,
  uniqueId,
  type RunningServer,
} from '../helpers/runtime.ts';
import { spawnRuntime, getJson, type Proc, killAll } from '../helpers/processes.ts';
import { freePorts } from '../helpers/ports.ts';

const SECRET = 'graceful-secret';

describe('graceful stop (SIGTERM) of a cluster node', () => {
  const rt = createRuntime();
  const procs: Proc[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-term-'));
  const srv = (p: Proc) => ({ tcpPort: p.mqttPort }) as RunningServer;

  afterAll(async () => {
    await rt.cleanup();
    await killAll(procs);
    rmSync(dir, { recursive: true, force: true });
  });

  it('n1 drains (health 503), disconnects with 0x8B, exits 0; the persistent session resumes on n2 with every queued message, in order', async () => {
    const ports = await freePorts(2);
    const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`).join(',');
    const cfg = path.join(dir, 'n1.yaml');
    writeFileSync(
      cfg,
      'shutdown:\n  drainMs: 600\n  handoffTimeoutMs: 5000\ncluster:\n  heartbeatIntervalMs: 200\n  heartbeatTimeoutMs: 2000\n',
    );
    const env = { ...process.env, MQTTLAB_CLUSTER_SECRET: SECRET, MQTTLAB_ADMIN_TOKEN: '' };
    for (let i = 0; i < 2; i++) {
      procs.push(
        spawnRuntime(
          `n${i + 1}`,
          [
            '--config',
            cfg,
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
            '--admin-port',
            '0',
          ],
          env,
        ),
      );
    }
    const [n1, n2] = procs;
    await waitUntil(
      () => procs.every((p) => p.mqttPort > 0 && p.adminPort > 0),
      15_000,
      `listening (${n1.out} | ${n2.out})`,
    );
    await waitUntil(
      () =>
        n1.out.includes('[n1] cluster peer.up peer=n2') && n2.out.includes('[n2] cluster peer.up peer=n1'),
      10_000,
      'cluster up',
    );

    const clientId = uniqueId('term');
    const opts = {
      protocolVersion: 5 as const,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    };
    const sub = await rt.client(srv(n1), opts);
    await sub.subscribeAsync('job/#', { qos: 1 });
    const watcher = await rt.client(srv(n1), { protocolVersion: 5 }); // sees the server's DISCONNECT
    const pub = await rt.client(srv(n2), { protocolVersion: 5 });
    for (
      let end = Date.now() + 3000;
      (await getJson(n2.adminPort, '/api/routes')).body.routes.every((r: any) => r.topic !== 'job/#');
      await sleep(20)
    ) {
      if (Date.now() > end) throw new Error('route to reach n2');
    }
    await pub.publishAsync('job/1', 'live', { qos: 1 });
    await sub.inbox.waitFor(1);
    await sub.endAsync();
    // Queued on n1 (and replicated to n2) while the subscriber is away.
    for (let i = 0; i < 5; i++) await pub.publishAsync('job/1', `before${i}`, { qos: 1 });
    for (let end = Date.now() + 3000; ; await sleep(20)) {
      const c = (await getJson(n1.adminPort, '/api/clients')).body.clients.find(
        (x: any) => x.clientId === clientId,
      );
      if (c?.queued === 5) break;
      if (Date.now() > end) throw new Error(`5 queued on n1 (got ${JSON.stringify(c)})`);
    }

    n1.child.kill('SIGTERM');
    await waitUntil(() => n1.out.includes('SIGTERM'), 3000, 'the signal to arrive');
    expect((await getJson(n1.adminPort, '/health')).status).toBe(503); // draining: still serving, not healthy
    expect(watcher.isClosed()).toBe(false);
    expect(await Promise.race([n1.exited, sleep(10_000).then(() => 'still running')])).toBe(0);
    expect(watcher.disconnects.map((d) => d.reasonCode)).toEqual([0x8b]);

    await waitUntil(
      () => n2.out.includes('[n2] cluster failover from=n1'),
      5000,
      `n2 to take over (${n2.out})`,
    );
    for (let i = 0; i < 2; i++) await pub.publishAsync('job/1', `after${i}`, { qos: 1 });
    const again = await rt.client(srv(n2), opts);
    expect(again.connack.sessionPresent).toBe(true);
    const got = await again.inbox.waitFor(7, 5000);
    expect(got.map((m) => m.payload.toString())).toEqual([
      'before0',
      'before1',
      'before2',
      'before3',
      'before4',
      'after0',
      'after1',
    ]);
    await sleep(200);
    expect(again.inbox.length).toBe(7);
  }, 60_000); // two processes and a drain; slow on a loaded machine
});

describe('graceful stop of a standalone node', () => {
  it(
    'with shutdown.serverReference, v5 clients get DISCONNECT 0x9C (use another server) with the reference; 3.1.1 clients are disconnected; health is 503 meanwhile',
    isolated(async (rt) => {
      const s = await rt.server({
        admin: { enabled: true, port: 0 },
        shutdown: { drainMs: 300, serverReference: 'mqtt-b.example.com:1883' },
      });
      const v5 = await rt.client(s, { protocolVersion: 5 });
      const v4 = await rt.client(s, { protocolVersion: 4 });
      expect((await getJson(s.adminPort!, '/health')).status).toBe(200);
      const stopping = s.gracefulStop();
      expect((await getJson(s.adminPort!, '/health')).status).toBe(503);
      expect(v5.isClosed()).toBe(false); // still served while draining
      await stopping;
      await Promise.all([v5.whenClosed, v4.whenClosed]);
      expect(v5.disconnects.map((d) => [d.reasonCode, d.properties?.serverReference])).toEqual([
        [0x9c, 'mqtt-b.example.com:1883'],
      ]);
      expect(v4.disconnects).toEqual([]);
      expect(s.broker.stats.closedByReason).toEqual({ '0x9c': 2 });
    }),
  );
});
