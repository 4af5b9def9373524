// Clustering over real TCP on loopback: in-process servers (routing,
// shared subscriptions, retained replication, takeover and session handoff
// across nodes, authentication) and real `runtime start` processes
// (forming a cluster from the command line, surviving kill -9 of a node).

import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import { runtimeConfig } from '../../runtime/config.ts';
import { ConfigError } from '../../core/config.ts';
import type { Logger } from '../../core/env.ts';
import { createRuntime, waitUntil, sleep, uniqueId, type TestClient } from '../helpers/runtime.ts';
import { freePorts } from '../helpers/ports.ts';
import { spawnRuntime, spawnCluster, type Proc, killAll } from '../helpers/processes.ts';

const SECRET = 'loopback-test-secret';

interface Node extends RunningServer {
  logs: string[];
}

async function startNode(
  name: string,
  clusterPort: number,
  seeds: string[],
  opts: { secret?: string; sysInterval?: number } = {},
): Promise<Node> {
  const logs: string[] = [];
  const log: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m) };
  const srv = await startServer(
    {
      node: name,
      sysInterval: opts.sysInterval ?? 0,
      listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
      cluster: {
        enabled: true,
        host: '127.0.0.1',
        port: clusterPort,
        secret: opts.secret ?? SECRET,
        seeds,
        heartbeatIntervalMs: 100,
        heartbeatTimeoutMs: 1500,
      },
    },
    log,
  );
  return Object.assign(srv, { logs });
}

function allRunning(nodes: RunningServer[]): boolean {
  const names = nodes.map((n) => n.config.node).sort();
  return nodes.every((n) => {
    const st = n.cluster!.status();
    return names.every((name) => st.some((m) => m.node === name && m.state === 'running'));
  });
}

/** Every node in `on` has learned that `node` routes `key`. */
function routeKnown(on: RunningServer[], key: string, node: string): boolean {
  return on.every((n) => n.cluster!.routes.dump().includes(`${key} -> ${node}`));
}

describe('cluster of three in-process servers over loopback TCP', () => {
  const rt = createRuntime();
  let n1: Node, n2: Node, n3: Node;
  let all: Node[];

  beforeAll(async () => {
    const ports = await freePorts(3);
    const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`);
    // n2 is given a seed list without itself: both forms work.
    n1 = await startNode('n1', ports[0], seeds, { sysInterval: 1 });
    n2 = await startNode(
      'n2',
      ports[1],
      seeds.filter((s) => !s.startsWith('n2@')),
      { sysInterval: 1 },
    );
    n3 = await startNode('n3', ports[2], seeds, { sysInterval: 1 });
    all = [n1, n2, n3];
  });

  afterAll(async () => {
    await rt.cleanup();
    await Promise.all((all ?? []).map((n) => Promise.race([n.stop(), sleep(3000)])));
  });

  it('forms from static seeds: every node sees all three running at their advertised addresses', async () => {
    await waitUntil(() => allRunning(all), 5000, 'all three nodes running on every node');
    for (const n of all) {
      expect(n.config.cluster.advertise).toBe(`127.0.0.1:${n.clusterPort}`);
      expect(n.cluster!.status()).toEqual(
        all.map((m) => ({ node: m.config.node, state: 'running', address: m.config.cluster.advertise })),
      );
      expect(n.cluster!.stats.authFailures).toBe(0);
      expect(n.logs.filter((l) => l.includes('cluster peer.up')).length).toBeGreaterThanOrEqual(2);
    }
  });

  it('a QoS 1 publish on n1 reaches a QoS 1 subscriber on n3, once', async () => {
    const topic = `fw/${uniqueId()}`;
    const sub = await rt.client(n3, { protocolVersion: 5 });
    await sub.subscribeAsync(topic, { qos: 1 });
    await waitUntil(() => routeKnown([n1, n2], topic, 'n3'), 3000, 'the route to reach n1');
    const pub = await rt.client(n1, { protocolVersion: 5 });
    const fwdBefore = n1.cluster!.stats.forwardedOut;
    await pub.publishAsync(topic, 'across', { qos: 1 });
    const [m] = await sub.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('across');
    expect(m.packet.qos).toBe(1);
    expect(n1.cluster!.stats.forwardedOut).toBe(fwdBefore + 1);
    await sleep(150);
    expect(sub.inbox.length).toBe(1);
  });

  it('$share/g/...: one member on n1, one on n2: each message delivered exactly once in total, alternating', async () => {
    const filter = `sh/${uniqueId()}`;
    const a = await rt.client(n1, { protocolVersion: 5 });
    const b = await rt.client(n2, { protocolVersion: 5 });
    await a.subscribeAsync(`$share/g/${filter}`, { qos: 1 });
    await b.subscribeAsync(`$share/g/${filter}`, { qos: 1 });
    await waitUntil(
      () => routeKnown([n3], `$share/g/${filter}`, 'n1') && routeKnown([n3], `$share/g/${filter}`, 'n2'),
      3000,
      'share routes to reach n3',
    );
    const pub = await rt.client(n3, { protocolVersion: 5 });
    const N = 10;
    for (let i = 0; i < N; i++) await pub.publishAsync(filter, `m${i}`, { qos: 1 });
    await waitUntil(() => a.inbox.length + b.inbox.length >= N, 3000, `${N} shared deliveries`);
    await sleep(200); // a duplicate would show up by now
    const got = [...a.inbox.payloads(), ...b.inbox.payloads()].sort(
      (x, y) => Number(x.slice(1)) - Number(y.slice(1)),
    );
    expect(got).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
    expect(a.inbox.length).toBe(N / 2);
    expect(b.inbox.length).toBe(N / 2);
    // Alternating: each member got every other message.
    const parity = (c: TestClient) => new Set(c.inbox.payloads().map((p) => Number(p.slice(1)) % 2));
    expect(parity(a).size).toBe(1);
    expect(parity(b).size).toBe(1);
    expect([...parity(a)][0]).not.toBe([...parity(b)][0]);
  });

  it('a retained message published on n1 is received by a new subscriber on n2', async () => {
    const topic = `ret/${uniqueId()}`;
    const pub = await rt.client(n1, { protocolVersion: 5 });
    await pub.publishAsync(topic, 'kept', { qos: 1, retain: true });
    await waitUntil(
      () =>
        n2.broker.retained.get(topic)?.payload.toString() === 'kept' &&
        n3.broker.retained.get(topic) !== undefined,
      3000,
      'retained replication',
    );
    const sub = await rt.client(n2, { protocolVersion: 5 });
    await sub.subscribeAsync(topic, { qos: 1 });
    const [m] = await sub.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('kept');
    expect(m.packet.retain).toBe(true);
    // Clearing it on n1 clears it everywhere.
    await pub.publishAsync(topic, '', { qos: 1, retain: true });
    await waitUntil(
      () =>
        all.every(
          (n) =>
            n.broker.retained.get(topic) === undefined || n.broker.retained.get(topic)!.payload.length === 0,
        ),
      3000,
      'retained clear to replicate',
    );
    const late = await rt.client(n3, { protocolVersion: 5 });
    await late.subscribeAsync(topic, { qos: 1 });
    await sleep(200);
    expect(late.inbox.length).toBe(0);
  });

  it('the same client id connecting on n2 takes over its connection on n1 (DISCONNECT 0x8E)', async () => {
    const clientId = uniqueId('tk');
    const first = await rt.client(n1, { protocolVersion: 5, clientId });
    expect(n1.broker.sessions.get(clientId)?.conn).toBeTruthy();
    const takeoversBefore = n1.broker.stats.takeovers;
    const second = await rt.client(n2, { protocolVersion: 5, clientId });
    await first.whenClosed;
    expect(first.disconnects.map((d) => d.reasonCode)).toEqual([0x8e]);
    expect(n1.broker.stats.takeovers).toBe(takeoversBefore + 1);
    await waitUntil(() => !n1.broker.sessions.has(clientId), 2000, 'session to leave n1');
    expect(second.isClosed()).toBe(false);
    expect(n2.broker.sessions.get(clientId)?.conn).not.toBeNull();
  });

  it('queued messages of an offline persistent session on n1 move to n2 when the client resumes there', async () => {
    const clientId = uniqueId('ho');
    const topic = `ho/${uniqueId()}`;
    const opts = {
      protocolVersion: 5 as const,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    };
    const first = await rt.client(n1, opts);
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();
    await waitUntil(() => n1.broker.sessions.get(clientId)?.conn === null, 2000, 'session offline on n1');
    await waitUntil(() => routeKnown([n3], topic, 'n1'), 3000, 'route to reach n3');

    const pub = await rt.client(n3, { protocolVersion: 5 });
    for (let i = 0; i < 3; i++) await pub.publishAsync(topic, `q${i}`, { qos: 1 });
    await waitUntil(() => n1.broker.sessions.get(clientId)?.queued === 3, 3000, '3 messages queued on n1');

    const outBefore = n1.cluster!.stats.handoffsOut;
    const again = await rt.client(n2, opts);
    const got = await again.inbox.waitFor(3);
    expect(got.map((m) => m.payload.toString())).toEqual(['q0', 'q1', 'q2']);
    expect(got.every((m) => m.packet.qos === 1)).toBe(true);
    expect(n1.cluster!.stats.handoffsOut).toBe(outBefore + 1);
    expect(n1.broker.sessions.has(clientId)).toBe(false);
    // The subscription moved too: new messages follow the client to n2.
    await waitUntil(
      () => routeKnown([n3], topic, 'n2') && !routeKnown([n3], topic, 'n1'),
      3000,
      'route to move to n2',
    );
    await pub.publishAsync(topic, 'live', { qos: 1 });
    await again.inbox.waitFor(4);
    expect(again.inbox.payloads()[3]).toBe('live');
  });

  it("keeps each node's $SYS statistics to itself", async () => {
    // n1 gets clearly more clients than n2, so its $SYS/broker/clients/connected cannot pass for n2's.
    while (n1.broker.stats.connectedCount < n2.broker.stats.connectedCount + 4)
      await rt.client(n1, { protocolVersion: 5 });
    const sub = await rt.client(n2, { protocolVersion: 5 });
    const own = n2.broker.stats.connectedCount;
    await sub.subscribeAsync('$SYS/broker/node', { qos: 0 });
    await sub.subscribeAsync('$SYS/broker/clients/connected', { qos: 0 });
    await waitUntil(
      () => routeKnown([n1, n3], '$SYS/broker/clients/connected', 'n2'),
      3000,
      'the $SYS route to reach n1 and n3',
    );
    const forwarded = () => [n1, n3].map((n) => n.cluster!.stats.forwardedOut);
    const before = forwarded();
    // Two live publishing rounds of every node (sysInterval 1 s); the retained value (older, of any age) aside.
    const live = (m: { topic: string; packet: { retain: boolean } }) =>
      m.topic.endsWith('/connected') && !m.packet.retain;
    await sub.inbox.waitFor(2, 5000, live);
    expect(forwarded()).toEqual(before);
    expect(
      new Set(sub.inbox.messages.filter((m) => m.topic.endsWith('/node')).map((m) => m.payload.toString())),
    ).toEqual(new Set(['n2']));
    expect(new Set(sub.inbox.messages.filter(live).map((m) => Number(m.payload)))).toEqual(new Set([own]));
    expect(n2.broker.retained.get('$SYS/broker/node')!.payload.toString()).toBe('n2');
  });
});

describe('cluster authentication', () => {
  let nodes: Node[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((n) => Promise.race([n.stop(), sleep(3000)])));
  });

  it('a peer with the wrong secret never joins; the others count authentication failures', async () => {
    const ports = await freePorts(3);
    const seeds = [`g1@127.0.0.1:${ports[0]}`, `g2@127.0.0.1:${ports[1]}`, `bad@127.0.0.1:${ports[2]}`];
    const g1 = await startNode('g1', ports[0], seeds);
    const g2 = await startNode('g2', ports[1], seeds);
    const bad = await startNode('bad', ports[2], seeds, { secret: 'not-the-secret' });
    nodes = [g1, g2, bad];
    let badEverRunning = false;
    const watch = () => {
      if (bad.cluster!.status().some((m) => m.node !== 'bad' && m.state === 'running')) badEverRunning = true;
      for (const g of [g1, g2])
        if (g.cluster!.status().some((m) => m.node === 'bad' && m.state === 'running')) badEverRunning = true;
      return false;
    };
    await waitUntil(
      () => (
        watch(),
        allRunning([g1, g2]) && g1.cluster!.stats.authFailures >= 2 && g2.cluster!.stats.authFailures >= 2
      ),
      5000,
      'g1/g2 up and repeated auth failures',
    );
    const end = Date.now() + 500;
    while (Date.now() < end) {
      watch();
      await sleep(10);
    }
    expect(badEverRunning).toBe(false);
    expect(
      bad
        .cluster!.status()
        .filter((m) => m.node !== 'bad')
        .map((m) => m.state),
    ).toEqual(['unreachable', 'unreachable']);
    expect(bad.cluster!.stats.authFailures).toBeGreaterThan(0);
    expect(g1.logs.some((l) => l.includes('peer bad failed authentication'))).toBe(true);
    expect(g1.cluster!.routes.nodes()).not.toContain('bad');
  });

  it('clustering without a secret is refused at start, naming the key', async () => {
    expect(() => runtimeConfig({ cluster: { enabled: true } })).toThrow(ConfigError);
    expect(() => runtimeConfig({ cluster: { enabled: true } })).toThrow(/cluster\.secret: required/);
    await expect(
      startServer({
        cluster: { enabled: true, port: 0 },
        listeners: { tcp: { port: 0 }, ws: { enabled: false } },
      }),
    ).rejects.toThrow(/cluster\.secret/);
  });

  it('validates the cluster section', () => {
    const errs = (c: unknown): string[] => {
      try {
        runtimeConfig({ cluster: c });
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(errs({ seeds: ['n1@127.0.0.1:4370', 'n2@[::1]:4371'] })).toEqual([]);
    expect(errs({ seeds: ['n1@127.0.0.1'] })[0]).toMatch(
      /^cluster\.seeds: must be a list of "name@host:port"/,
    );
    expect(errs({ seeds: 'n1@127.0.0.1:1' })[0]).toMatch(/^cluster\.seeds:/);
    expect(errs({ seeds: ['n1@a:1', 'n1@b:2'] })[0]).toMatch(/listed twice/);
    expect(errs({ advertise: 'nohost' })[0]).toMatch(/^cluster\.advertise:/);
    expect(errs({ discovery: 'gossip' })[0]).toMatch(
      /^cluster\.discovery: must be one of static, manual, dns/,
    );
    expect(errs({ enabled: true, secret: 's', discovery: 'dns' })[0]).toMatch(
      /^cluster\.dnsName: required with cluster\.discovery: dns/,
    );
    expect(
      errs({
        enabled: true,
        secret: 's',
        discovery: 'dns',
        dnsName: '_cluster._tcp.mq.default.svc.cluster.local',
      }),
    ).toEqual([]);
    expect(errs({ enabled: true, secret: 's', role: 'replicant' })[0]).toMatch(
      /^cluster\.role: a replicant needs static discovery with cluster\.seeds/,
    );
    expect(errs({ enabled: true, secret: 's', role: 'replicant', seeds: ['c1@127.0.0.1:4370'] })).toEqual([]);
    expect(errs({ role: 'edge' })[0]).toMatch(/^cluster\.role: must be core or replicant/);
    expect(errs({ port: 70000 })[0]).toMatch(/^cluster\.port:/);
    expect(errs({ heartbeatIntervalMs: 0 })[0]).toMatch(/^cluster\.heartbeatIntervalMs:/);
    expect(errs({ bogus: 1 })).toEqual(['cluster.bogus: unknown key']);
    expect(
      errs({ enabled: true, secret: 's', heartbeatIntervalMs: 2000, heartbeatTimeoutMs: 1000 })[0],
    ).toMatch(/heartbeatTimeoutMs: must be greater/);
    const d = runtimeConfig().cluster;
    expect(errs({ ackMode: 'fast' })[0]).toMatch(/^cluster\.ackMode: must be replicated, local or quorum/);
    expect(d).toEqual({
      enabled: false,
      role: 'core',
      host: '0.0.0.0',
      port: 4370,
      advertise: '',
      secret: '',
      discovery: 'static',
      seeds: [],
      heartbeatIntervalMs: 1000,
      heartbeatTimeoutMs: 5000,
      autocleanMs: 300_000,
      ackMode: 'replicated',
      allowRegisterDuringNetsplit: true,
      allowPublishDuringNetsplit: true,
      allowSubscribeDuringNetsplit: true,
      dnsName: '',
      dnsIntervalMs: 5000,
      dnsForgetMs: 60_000,
      tls: { enabled: false, cert: '', key: '', ca: '' },
      name: '',
      links: [],
      linkPort: 4380,
      linkBuffer: 10000,
    });
  });
});

describe('manual discovery', () => {
  let nodes: Node[] = [];
  afterAll(async () => {
    await Promise.all(nodes.map((n) => Promise.race([n.stop(), sleep(3000)])));
  });

  it('a node joins an existing cluster through one seed and learns the other members from it', async () => {
    const ports = await freePorts(3);
    const a = await startNode('a', ports[0], [`b@127.0.0.1:${ports[1]}`]);
    const b = await startNode('b', ports[1], [`a@127.0.0.1:${ports[0]}`]);
    nodes = [a, b];
    await waitUntil(() => allRunning([a, b]), 5000, 'a and b running');
    // c only knows a; with manual discovery it contacts a and gets b from a's member list.
    const c = await startServer(
      {
        node: 'c',
        sysInterval: 0,
        listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
        cluster: {
          enabled: true,
          host: '127.0.0.1',
          port: ports[2],
          secret: SECRET,
          discovery: 'manual',
          seeds: [`a@127.0.0.1:${ports[0]}`],
          heartbeatIntervalMs: 100,
          heartbeatTimeoutMs: 1500,
        },
      },
      { info() {}, warn() {} },
    );
    nodes.push(Object.assign(c, { logs: [] }));
    await waitUntil(() => allRunning([a, b, c]), 5000, 'a, b and c running on every node');
    expect(c.cluster!.status().map((m) => m.node)).toEqual(['a', 'b', 'c']);
  });
});

// ---- real processes ---------------------------------------------------------

describe('cluster of three `runtime start` processes', () => {
  const rt = createRuntime();
  const procs: Proc[] = [];
  let tmp = '';
  const srv = (p: Proc) => ({ tcpPort: p.mqttPort }) as RunningServer;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-cluster-'));
    const cfgFile = path.join(tmp, 'cluster.yaml');
    fs.writeFileSync(
      cfgFile,
      'sysInterval: 0\ncluster:\n  heartbeatIntervalMs: 200\n  heartbeatTimeoutMs: 2000\n',
    );
    await spawnCluster(procs, 3, cfgFile, SECRET);
  });

  afterAll(async () => {
    await rt.cleanup();
    await killAll(procs);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('form a cluster: every process logs the other two up', async () => {
    for (const p of procs) {
      const others = procs.filter((o) => o !== p).map((o) => o.name);
      await waitUntil(
        () => others.every((o) => p.out.includes(`[${p.name}] cluster peer.up peer=${o}`)),
        10_000,
        `${p.name} to see ${others.join(', ')} (output: ${p.out})`,
      );
      expect(p.out).toMatch(
        new RegExp(`node ${p.name}: mqtt://127\\.0\\.0\\.1:\\d+ cluster 127\\.0\\.0\\.1:\\d+`),
      );
    }
  });

  it('route a QoS 1 message published on n1 to a subscriber on n3', async () => {
    const [p1, , p3] = procs;
    const topic = `proc/${uniqueId()}`;
    const sub = await rt.client(srv(p3), { protocolVersion: 5 });
    await sub.subscribeAsync(topic, { qos: 1 });
    const pub = await rt.client(srv(p1), { protocolVersion: 5 });
    // The route reaches n1 shortly after the SUBACK: publish until one arrives.
    for (let i = 0; sub.inbox.length === 0 && i < 50; i++) {
      await pub.publishAsync(topic, `try${i}`, { qos: 1 });
      await sleep(100);
    }
    expect(sub.inbox.length).toBeGreaterThan(0);
    expect(sub.inbox.messages[0].packet.qos).toBe(1);
  });

  it('after kill -9 of n1, n2 and n3 detect it and keep routing between themselves; a persistent session of n1 resumes on n2 with its queued QoS 1 messages', async () => {
    const [p1, p2, p3] = procs;
    // A persistent subscriber on n1 goes offline; QoS 1 messages published on n3 queue in its session on n1.
    const id = uniqueId('dev');
    const queued = `queued/${uniqueId()}`;
    const first = await rt.client(srv(p1), {
      protocolVersion: 5,
      clientId: id,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    });
    await first.subscribeAsync(queued, { qos: 1 });
    await sleep(300); // the route reaches n3
    await first.endAsync();
    const early = await rt.client(srv(p3), { protocolVersion: 5 });
    // ackMode replicated: each PUBACK means the message is safe against the loss of one node.
    for (let i = 0; i < 10; i++) await early.publishAsync(queued, `m${i}`, { qos: 1 });
    p1.child.kill('SIGKILL');
    await p1.exited;
    for (const p of [p2, p3])
      await waitUntil(
        () => p.out.includes(`[${p.name}] cluster peer.down peer=n1`),
        5000,
        `${p.name} to notice n1 is down (output: ${p.out})`,
      );
    const topic = `after/${uniqueId()}`;
    const sub = await rt.client(srv(p3), { protocolVersion: 5 });
    await sub.subscribeAsync(topic, { qos: 1 });
    const pub = await rt.client(srv(p2), { protocolVersion: 5 });
    for (let i = 0; sub.inbox.length === 0 && i < 50; i++) {
      await pub.publishAsync(topic, `try${i}`, { qos: 1 });
      await sleep(100);
    }
    expect(sub.inbox.length).toBeGreaterThan(0);
    const resumed = await rt.client(srv(p2), {
      protocolVersion: 5,
      clientId: id,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    });
    expect(resumed.connack!.sessionPresent).toBe(true);
    const got = await resumed.inbox.waitFor(10, 10_000);
    expect(got.map((m) => m.payload.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect(p2.child.exitCode).toBeNull();
    expect(p3.child.exitCode).toBeNull();
  });

  it('`runtime start --cluster-port` without a secret exits 3 (a bad config) naming cluster.secret', async () => {
    const [port] = await freePorts(1);
    const env = { ...process.env };
    delete env.MQTTLAB_CLUSTER_SECRET;
    const p = spawnRuntime('nosecret', ['--port', '0', '--no-ws', '--cluster-port', String(port)], env);
    procs.push(p);
    expect(await Promise.race([p.exited, sleep(15_000).then(() => 'timeout')])).toBe(3);
    expect(p.out).toMatch(/cluster\.secret: required when clustering is enabled/);
  });
});
