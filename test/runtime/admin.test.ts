// The admin HTTP API (runtime/admin.ts), `runtime ctl` (runtime/ctl.ts) and
// $SYS/brokers, on loopback: in-process servers and clusters, then three real
// `runtime start` processes operated through their admin ports, where a
// persistent session survives kill -9 of the node it lived on.

import { spawn } from 'node:child_process';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import { runtimeConfig } from '../../runtime/config.ts';
import { startAdmin } from '../../runtime/admin.ts';
import { ctl, table } from '../../runtime/ctl.ts';
import { ConfigError } from '../../core/config.ts';
import { createRuntime, waitUntil, sleep, uniqueId, silentLog } from '../helpers/runtime.ts';
import { freePorts } from '../helpers/ports.ts';
import { ROOT, spawnRuntime, type Proc, killAll } from '../helpers/processes.ts';

const SECRET = 'admin-test-secret';

const base = (s: RunningServer | number) => `http://127.0.0.1:${typeof s === 'number' ? s : s.adminPort}`;

async function api(
  s: RunningServer | number,
  p: string,
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base(s) + p, {
    method: init.method ?? 'GET',
    headers,
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, body: await res.json() };
}

/** Runs `runtime ctl` in-process; returns its exit code and output. */
async function runCtl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await ctl(args, 'runtime ctl', { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function startNode(
  name: string,
  clusterPort: number,
  seeds: string[],
  extra: { sysInterval?: number; token?: string } = {},
): Promise<RunningServer> {
  return startServer(
    {
      node: name,
      sysInterval: extra.sysInterval ?? 0,
      listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
      cluster: {
        enabled: true,
        host: '127.0.0.1',
        port: clusterPort,
        secret: SECRET,
        seeds,
        heartbeatIntervalMs: 100,
        heartbeatTimeoutMs: 1000,
      },
      admin: { enabled: true, port: 0, token: extra.token ?? '' },
    },
    silentLog,
  );
}

const running = (n: RunningServer, names: string[]) =>
  names.every((x) => n.cluster!.status().some((m) => m.node === x && m.state === 'running'));

describe('admin API configuration', () => {
  const errs = (a: unknown): string[] => {
    try {
      runtimeConfig({ admin: a });
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('has defaults, validates the section and rejects unknown keys', () => {
    expect(runtimeConfig().admin).toEqual({ enabled: false, host: '127.0.0.1', port: 18083, token: '' });
    expect(errs({ enabled: true, port: 0 })).toEqual([]);
    expect(errs({ port: 70000 })[0]).toMatch(/^admin\.port:/);
    expect(errs({ enabled: 'yes' })[0]).toMatch(/^admin\.enabled:/);
    expect(errs({ token: 5 })[0]).toMatch(/^admin\.token: must be a string/);
    expect(errs({ bogus: 1 })).toEqual(['admin.bogus: unknown key']);
  });

  it('refuses a non-loopback host without a token, at config time and in startAdmin', async () => {
    expect(errs({ enabled: true, host: '0.0.0.0' })[0]).toMatch(
      /^admin\.token: required when the admin API listens on a non-loopback host/,
    );
    expect(errs({ enabled: true, host: '0.0.0.0', token: 't' })).toEqual([]);
    expect(errs({ enabled: false, host: '0.0.0.0' })).toEqual([]); // not started: nothing to refuse
    expect(errs({ enabled: true, host: '::1' })).toEqual([]);
    await expect(
      startServer(
        {
          listeners: { tcp: { port: 0 }, ws: { enabled: false } },
          admin: { enabled: true, host: '0.0.0.0', port: 0 },
        },
        silentLog,
      ),
    ).rejects.toThrow(ConfigError);
    const rt = createRuntime();
    const srv = await rt.server();
    await expect(
      startAdmin({ broker: srv.broker, host: '0.0.0.0', port: 0, token: '', accepting: () => true }),
    ).rejects.toThrow(/without a token/);
    await rt.cleanup();
  });
});

describe('admin API on a standalone broker', () => {
  const rt = createRuntime();
  afterAll(() => rt.cleanup());

  it('GET /health: 200 while accepting clients, 503 when no listener accepts them', async () => {
    const up = await rt.server({ admin: { enabled: true, port: 0 } });
    expect(await api(up, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
    const none = await rt.server({
      listeners: { tcp: { enabled: false }, ws: { enabled: false } },
      admin: { enabled: true, port: 0 },
    });
    const r = await api(none, '/health');
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ status: 'unavailable', reason: 'not accepting clients' });
  });

  it('GET /health: 503 when the broker stops accepting (startAdmin with a probe)', async () => {
    const srv = await rt.server();
    let accepting = true;
    const a = await startAdmin({
      broker: srv.broker,
      host: '127.0.0.1',
      port: 0,
      token: '',
      accepting: () => accepting,
    });
    try {
      expect((await api(a.port, '/health')).status).toBe(200);
      accepting = false;
      expect((await api(a.port, '/health')).status).toBe(503);
    } finally {
      await a.close();
    }
  });

  it('with a token: 401 without it or with a wrong one, 200 with `Authorization: Bearer <token>`; ctl passes --token', async () => {
    const srv = await rt.server({ admin: { enabled: true, port: 0, token: 's3cret' } });
    for (const p of ['/health', '/api/stats', '/api/clients']) {
      const none = await api(srv, p);
      expect(none.status).toBe(401);
      expect(none.body.error).toMatch(/bearer token/);
      expect((await api(srv, p, { token: 'wrong' })).status).toBe(401);
      expect((await api(srv, p, { token: 's3cret' })).status).toBe(200);
    }
    const raw = await fetch(base(srv) + '/api/stats', { headers: { authorization: 's3cret' } });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const bad = await runCtl(['--admin', base(srv), 'broker', 'stats']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/HTTP 401/);
    const ok = await runCtl(['--admin', base(srv), '--token', 's3cret', 'broker', 'stats']);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^STAT\s+VALUE/);
    expect(ok.out).toMatch(/\nnode\s+mqttlab\n/);
  });

  it('stats, clients, subscriptions and local routes of an unclustered broker; cluster commands answer 409', async () => {
    const srv = await rt.server({ admin: { enabled: true, port: 0 } });
    const id = uniqueId('adm');
    const c = await rt.client(srv, {
      protocolVersion: 5,
      clientId: id,
      clean: false,
      properties: { sessionExpiryInterval: 120 },
    });
    await c.subscribeAsync('adm/+/x', { qos: 1 });
    const stats = (await api(srv, '/api/stats')).body;
    expect(stats).toMatchObject({
      node: 'mqttlab',
      sessions: 1,
      connections: 1,
      subscriptions: 1,
      routes: 1,
      connectedCount: 1,
    });
    expect(stats.cluster).toBeUndefined();
    expect((await api(srv, '/api/clients')).body.clients).toEqual([
      {
        clientId: id,
        connected: true,
        node: 'mqttlab',
        sessionExpiry: 120,
        queued: 0,
        inflight: 0,
        subscriptions: 1,
        protocolVersion: 5,
        remote: expect.any(String),
      },
    ]);
    expect((await api(srv, '/api/subscriptions')).body.subscriptions).toEqual([
      { clientId: id, topic: 'adm/+/x', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    ]);
    expect((await api(srv, '/api/routes')).body).toEqual({
      clustered: false,
      routes: [{ topic: 'adm/+/x', node: 'mqttlab' }],
    });
    expect((await api(srv, '/api/cluster')).body).toMatchObject({ clustered: false });
    expect((await api(srv, '/api/cluster/leave', { method: 'POST' })).status).toBe(409);
    expect((await api(srv, '/api/nope')).status).toBe(404);
    expect((await api(srv, '/api/stats', { method: 'POST' })).status).toBe(405);
    const subs = await runCtl(['--admin', base(srv), 'subscriptions', 'list']);
    expect(subs.out.split('\n')).toEqual([
      'CLIENT ID' + ' '.repeat(id.length - 9 + 2) + 'TOPIC    QOS',
      `${id}  adm/+/x  1`,
    ]);
    const st = await runCtl(['--admin', base(srv), 'cluster', 'status']);
    expect(st).toEqual({ code: 0, out: 'node mqttlab: not clustered', err: '' });
    expect((await runCtl(['--admin', base(srv), 'cluster', 'frobnicate'])).code).toBe(2);
    expect((await runCtl(['--admin', base(srv), 'cluster', 'force-leave'])).err).toMatch(
      /usage: runtime ctl cluster force-leave NODE/,
    );
  });

  it('table() aligns columns', () => {
    expect(
      table(
        ['A', 'BB'],
        [
          ['xxx', 1],
          ['y', ''],
        ],
      ),
    ).toBe('A    BB\nxxx  1\ny');
  });
});

describe('admin API on an in-process cluster', () => {
  const rt = createRuntime();
  let n1: RunningServer, n2: RunningServer, n3: RunningServer;

  beforeAll(async () => {
    const ports = await freePorts(3);
    const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`);
    n1 = await startNode('n1', ports[0], seeds, { sysInterval: 1 });
    n2 = await startNode('n2', ports[1], seeds, { sysInterval: 1 });
    n3 = await startNode('n3', ports[2], seeds);
    await waitUntil(
      () => [n1, n2, n3].every((n) => running(n, ['n1', 'n2', 'n3'])),
      5000,
      'three nodes running',
    );
  });

  afterAll(async () => {
    await rt.cleanup();
    await Promise.all([n1, n2, n3].filter(Boolean).map((n) => Promise.race([n.stop(), sleep(3000)])));
  });

  it('GET /health is 200 on a running cluster node; GET /api/cluster reports members and stats', async () => {
    expect(await api(n1, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
    const c = (await api(n2, '/api/cluster')).body;
    expect(c.clustered).toBe(true);
    expect(c.node).toBe('n2');
    expect(c.members).toEqual(n2.cluster!.status());
    expect(c.stats).toEqual({ ...n2.cluster!.stats });
  });

  it('`runtime ctl cluster status` prints the members table (and --json the API answer)', async () => {
    const r = await runCtl(['--admin', base(n1), 'cluster', 'status']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^NODE\s+STATE\s+ADDRESS$/);
    expect(lines.slice(1, 4)).toEqual(
      [n1, n2, n3].map((n) =>
        expect.stringMatching(
          new RegExp(`^${n.config.node}\\s+running\\s+127\\.0\\.0\\.1:${n.clusterPort}$`),
        ),
      ),
    );
    expect(r.out).toMatch(/forwarded out\/in \d+\/\d+/);
    const j = await runCtl(['--admin', base(n1), '--json', 'cluster', 'status']);
    expect(JSON.parse(j.out).members.map((m: any) => m.node)).toEqual(['n1', 'n2', 'n3']);
  });

  it('clients list and routes list show a subscriber on n2, from n2 and from n1', async () => {
    const id = uniqueId('cl');
    const topic = `adm/${uniqueId()}`;
    const c = await rt.client(n2, { protocolVersion: 5, clientId: id });
    await c.subscribeAsync(topic, { qos: 1 });
    await waitUntil(
      () => n1.cluster!.routes.dump().includes(`${topic} -> n2`),
      3000,
      'the route to reach n1',
    );
    const clients = await runCtl(['--admin', base(n2), 'clients', 'list']);
    expect(clients.out.split('\n')[0]).toMatch(
      /^CLIENT ID\s+CONNECTED\s+NODE\s+EXPIRY\s+QUEUED\s+INFLIGHT\s+REMOTE$/,
    );
    expect(clients.out).toMatch(
      new RegExp(`\\n${id}\\s+yes\\s+n2\\s+0s\\s+0\\s+0\\s+127\\.0\\.0\\.1:\\d+(\\n|$)`),
    );
    const routes = await runCtl(['--admin', base(n1), 'routes', 'list']);
    expect(routes.out).toMatch(new RegExp(`\\n${topic.replace(/[/-]/g, '\\$&')}\\s+n2(\\n|$)`));
    expect((await api(n1, '/api/routes')).body.routes).toContainEqual({ topic, node: 'n2' });
    expect((await api(n1, '/api/clients')).body.clients.map((x: any) => x.clientId)).not.toContain(id);
    const stats = (await api(n1, '/api/stats')).body;
    expect(stats.routes).toBe(n1.cluster!.routes.size);
    expect(stats.cluster).toMatchObject({ authFailures: 0 });
  });

  it('$SYS/brokers on n1 is the running nodes, retained, and stays on n1', async () => {
    const sub = await rt.client(n1, { protocolVersion: 5 });
    await sub.subscribeAsync('$SYS/brokers', { qos: 0 });
    await sub.inbox.waitFor(1, 4000, (m) => m.payload.toString() === 'n1,n2,n3');
    expect(n1.broker.retained.get('$SYS/brokers')!.payload.toString()).toBe('n1,n2,n3');
    expect(n3.broker.retained.get('$SYS/brokers')).toBeUndefined(); // n3 has $SYS off, and nothing came from n1/n2
  });

  it('POST /api/cluster/force-leave removes a dead node everywhere; unknown node 404, bad body 400', async () => {
    await n3.stop();
    await waitUntil(
      () => n1.cluster!.status().find((m) => m.node === 'n3')!.state === 'unreachable',
      4000,
      'n1 to see n3 unreachable',
    );
    expect(
      (await api(n1, '/api/cluster/force-leave', { method: 'POST', body: { node: 'nope' } })).status,
    ).toBe(404);
    expect((await api(n1, '/api/cluster/force-leave', { method: 'POST', body: '{not json' })).status).toBe(
      400,
    );
    expect((await api(n1, '/api/cluster/force-leave', { method: 'POST', body: { node: 'n1' } })).status).toBe(
      400,
    );
    expect(
      (await api(n1, '/api/cluster/join', { method: 'POST', body: { node: 'x', address: 'nope' } })).status,
    ).toBe(400);
    const r = await api(n1, '/api/cluster/force-leave', { method: 'POST', body: { node: 'n3' } });
    expect(r.status).toBe(200);
    expect(r.body.members).toContainEqual(expect.objectContaining({ node: 'n3', state: 'left' }));
    await waitUntil(
      () => n2.cluster!.status().find((m) => m.node === 'n3')?.state === 'left',
      3000,
      'n2 to drop n3',
    );
    expect(n1.cluster!.routes.nodes()).not.toContain('n3');
    // $SYS/brokers follows: only n1 and n2 are running now.
    await waitUntil(
      () => n1.broker.retained.get('$SYS/brokers')?.payload.toString() === 'n1,n2',
      4000,
      '$SYS/brokers to be n1,n2',
    );
    expect((await api(n1, '/health')).status).toBe(200);
  });
});

// ---- real processes ---------------------------------------------------------

function runCtlProcess(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/runtime.js', 'ctl', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (err += b));
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

describe('three `runtime start --admin-port` processes', () => {
  const rt = createRuntime();
  const procs: Proc[] = [];
  const srv = (p: Proc) => ({ tcpPort: p.mqttPort }) as RunningServer;

  beforeAll(async () => {
    const ports = await freePorts(3);
    const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`).join(',');
    const env = { ...process.env, MQTTLAB_CLUSTER_SECRET: SECRET, MQTTLAB_ADMIN_TOKEN: '' };
    for (let i = 0; i < 3; i++) {
      procs.push(
        spawnRuntime(
          `n${i + 1}`,
          [
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
    await waitUntil(
      () => procs.every((p) => p.mqttPort > 0 && p.adminPort > 0),
      15_000,
      `all processes to listen (output: ${procs.map((p) => p.out).join(' | ')})`,
    );
    for (const p of procs) {
      const others = procs.filter((o) => o !== p).map((o) => o.name);
      await waitUntil(
        () => others.every((o) => p.out.includes(`[${p.name}] cluster peer.up peer=${o}`)),
        10_000,
        `${p.name} to see ${others.join(', ')} (output: ${p.out})`,
      );
    }
  });

  afterAll(async () => {
    await rt.cleanup();
    await killAll(procs);
  });

  it('`node bin/runtime.js ctl cluster status` lists the three nodes running', async () => {
    const r = await runCtlProcess(['--admin', `http://127.0.0.1:${procs[1].adminPort}`, 'cluster', 'status']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(
      r.out
        .split('\n')
        .slice(1, 4)
        .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual(['n1 running', 'n2 running', 'n3 running']);
    const bad = await runCtlProcess(['--admin', 'http://127.0.0.1:1', 'broker', 'stats']);
    expect(bad.code).toBe(3); // EXIT.ERROR: the admin API cannot be reached (docs/cli.md)
    expect(bad.err).toMatch(/cannot reach the admin API/);
  });

  it('a persistent QoS 1 subscriber of n1 resumes on n2 after kill -9 of n1 and gets all 5 messages published on n3 meanwhile', async () => {
    const [p1, p2, p3] = procs;
    const clientId = uniqueId('persist');
    const topic = `persist/${uniqueId()}`;
    const opts = {
      protocolVersion: 5 as const,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    };
    const first = await rt.client(srv(p1), opts);
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();
    const clientOn = async (p: Proc) =>
      (await api(p.adminPort, '/api/clients')).body.clients.find((c: any) => c.clientId === clientId);
    for (const end = Date.now() + 3000; ; await sleep(20)) {
      const c = await clientOn(p1);
      if (c && !c.connected) break;
      if (Date.now() > end) throw new Error('session to go offline on n1');
    }
    for (const end = Date.now() + 3000; ; await sleep(20)) {
      const routes = (await api(p3.adminPort, '/api/routes')).body.routes;
      if (routes.some((r: any) => r.topic === topic && r.node === 'n1')) break;
      if (Date.now() > end) throw new Error('route to reach n3');
    }
    const pub = await rt.client(srv(p3), { protocolVersion: 5 });
    for (let i = 0; i < 5; i++) await pub.publishAsync(topic, `m${i}`, { qos: 1 });
    for (const end = Date.now() + 3000; ; await sleep(20)) {
      const c = await clientOn(p1);
      if (c?.queued === 5) break;
      if (Date.now() > end) throw new Error(`5 messages queued on n1 (got ${JSON.stringify(c)})`);
    }
    await sleep(300); // replication of the queued messages to n2 and n3 (a few frames on loopback)

    p1.child.kill('SIGKILL');
    await p1.exited;
    await waitUntil(
      () => p2.out.includes('[n2] cluster peer.down peer=n1'),
      5000,
      `n2 to notice n1 is down (output: ${p2.out})`,
    );

    const again = await rt.client(srv(p2), opts);
    expect(again.connack.sessionPresent).toBe(true);
    const got = await again.inbox.waitFor(5, 5000);
    expect(got.map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(got.every((m) => m.packet.qos === 1 && m.topic === topic)).toBe(true);
    await sleep(300);
    expect(again.inbox.length).toBe(5); // no duplicates
    const st = await runCtl(['--admin', `http://127.0.0.1:${p2.adminPort}`, '--json', 'cluster', 'status']);
    expect(JSON.parse(st.out).members.find((m: any) => m.node === 'n1').state).toBe('unreachable');
    expect((await api(p2.adminPort, '/health')).status).toBe(200);
  });
});
