// The Redis session store against the alternatives, on one private redis-server (AOF, appendfsync
// everysec, like a production Redis): QoS 1 publishes into an offline persistent session (each
// message a stored record; its PUBACK waits for the store), and the takeover: a node that never held
// the session (a fresh process on the same Redis, or the replicated design's surviving peer) serving
// it: time to CONNACK (Session Present) and until the last of the queued messages arrived.
// Rows: mqttlab in memory, mqttlab --session-store redis, Aedes + aedes-persistence-redis, mqttlab's
// replicated 2-node cluster (no Redis) and a 2-node cluster on the Redis store (thin replicas: the
// survivor reads the queue from Redis). Brokers run in this process, each alike. Then what a route
// table in Redis would cost: one round trip per publish, against the in-memory route table's lookup.
// Run: npm run bench:redis [-- --quick] [--json]   (needs redis-server: apt-get install redis-server)
// `npm run bench` runs it too (--quick there) and puts its rows in its JSON (--json: one last line).

import net from 'node:net';
import mqtt from 'mqtt';
import { Aedes } from 'aedes';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import { startServer, type RunningServer } from '../runtime/server.ts';
import { Redis } from 'ioredis';
import { RouteTable } from '../core/cluster/route-table.ts';
import { RedisServer, redisTool } from '../test/helpers/redis.ts';
import { freePorts } from '../test/helpers/ports.ts';

const quick = process.argv.includes('--quick');
const N = quick ? 500 : 2_000;
const QUEUED = quick ? 50 : 100; // messages waiting at the takeover
const WINDOW = 100; // publishes in flight
const FILL_LIMIT_MS = 60_000;
const silent = { info() {}, warn() {} };

interface Broker {
  port: number;
  stop(): Promise<void>;
}

async function mqttlab(overrides: Record<string, unknown>): Promise<Broker & { s: RunningServer }> {
  const s = await startServer(
    {
      listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
      sysInterval: 0,
      limits: { maxQueuedMessages: N + QUEUED + 10 },
      ...overrides,
    },
    silent,
  );
  return { s, port: s.tcpPort!, stop: () => s.stop() };
}

async function aedes(redisPort: number): Promise<Broker> {
  const persistence = aedesPersistenceRedis({
    port: redisPort,
    host: '127.0.0.1',
    db: 0,
    maxSessionDelivery: N + QUEUED,
  });
  const a = await Aedes.createBroker({ concurrency: 0, persistence });
  const server = net.createServer({ noDelay: true }, a.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: async () => {
      server.close();
      await Promise.race([
        new Promise<void>((r) => a.close(() => r())),
        new Promise((r) => setTimeout(r, 1000)),
      ]);
      // Its two Redis connections. destroy() may never call back (after aedes.close() did it already?): bounded.
      await Promise.race([
        new Promise<void>((r) => persistence.destroy(() => r())),
        new Promise((r) => setTimeout(r, 1000)),
      ]);
    },
  };
}

const subOpts = (clientId: string) => ({
  clientId,
  clean: false,
  protocolVersion: 4 as const, // Aedes speaks 3.1.1
  reconnectPeriod: 0,
});

/**
 * Subscribes `clientId` persistently and leaves; then publishes `n` QoS 1 into its session, for at most
 * FILL_LIMIT_MS: msg/s over the acknowledged ones, and "(k of n acknowledged)" when it ran out of time.
 */
async function fill(port: number, clientId: string, n: number): Promise<string> {
  const url = `mqtt://127.0.0.1:${port}`;
  const sub = await mqtt.connectAsync(url, subOpts(clientId));
  await sub.subscribeAsync('b/#', { qos: 1 });
  await sub.endAsync();
  const pub = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  const payload = Buffer.alloc(64, 'x');
  const t0 = performance.now();
  let next = 0;
  let acked = 0;
  const deadline = t0 + FILL_LIMIT_MS;
  await Promise.race([
    Promise.all(
      Array.from({ length: WINDOW }, async () => {
        while (next < n && performance.now() < deadline) {
          const i = next++;
          await pub.publishAsync(`b/${i % 16}`, payload, { qos: 1 });
          acked++;
        }
      }),
    ),
    new Promise((r) => setTimeout(r, FILL_LIMIT_MS + 5000).unref()),
  ]);
  const ms = performance.now() - t0;
  pub.end(true);
  const rate = String(Math.round(acked / (ms / 1000)));
  return acked === n ? rate : `${rate} (${acked} of ${n} acknowledged in ${Math.round(ms / 1000)} s)`;
}

/** Connects `clientId` to `port`: ms to CONNACK (must say Session Present) and until `n` messages arrived. */
async function resume(port: number, clientId: string, n: number): Promise<{ connack: number; all: number }> {
  const t0 = performance.now();
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, subOpts(clientId));
  let got = 0;
  let connack = 0;
  await new Promise<void>((resolve, reject) => {
    c.on('connect', (ack) => {
      connack = performance.now() - t0;
      if (!ack.sessionPresent) reject(new Error('session not present'));
    });
    c.on('message', () => {
      if (++got === n) resolve();
    });
    c.on('error', reject);
    setTimeout(() => reject(new Error(`resume: ${got} of ${n} messages after 60 s`)), 60_000).unref();
  });
  const all = performance.now() - t0;
  await c.endAsync();
  return { connack: Math.round(connack), all: Math.round(all) };
}

async function clusterPair(
  extra: Record<string, unknown> = {},
): Promise<[Broker & { s: RunningServer }, Broker & { s: RunningServer }]> {
  const ports = await freePorts(2);
  const seeds = ports.map((p, i) => `b${i + 1}@127.0.0.1:${p}`);
  const node = (i: number) =>
    mqttlab({
      ...extra,
      node: `b${i + 1}`,
      cluster: {
        enabled: true,
        host: '127.0.0.1',
        port: ports[i],
        secret: 'bench',
        seeds,
        heartbeatTimeoutMs: 2000,
      },
    });
  const pair = await Promise.all([node(0), node(1)]);
  const until = Date.now() + 10_000;
  while (pair.some((b) => b.s.cluster!.runningNodes().length < 2) && Date.now() < until)
    await new Promise((r) => setTimeout(r, 50));
  return pair;
}

const step = (what: string): void => {
  if (process.argv.includes('--steps')) console.error(what);
};

/** Runs `fn`; past `ms` the bench goes on without it (and says so). */
async function within(ms: number, what: string, fn: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((r) => {
    timer = setTimeout(() => {
      console.error(`${what}: not done after ${ms / 1000} s, skipped`);
      rows.push([`${what}: timed out`, '-', '-', '-']);
      r();
    }, ms);
  });
  await Promise.race([fn(), late]);
  clearTimeout(timer);
}

/**
 * Route lookups per second: `n` publishes each reading the nodes of a topic's routes, from Redis (one
 * SMEMBERS round trip each, not pipelined: a publish cannot be routed before its answer) and from the
 * in-memory route table the cluster protocol replicates (100 routes of 3 nodes).
 */
async function routeLookups(url: string, n: number): Promise<{ redis: number; memory: number }> {
  const keys = Array.from({ length: 100 }, (_, i) => `b/${i}/#`);
  const r = new Redis(url, { lazyConnect: true });
  await r.connect();
  for (const k of keys) await r.sadd(`bench:route:${k}`, 'b1', 'b2', 'b3');
  let t0 = performance.now();
  for (let i = 0; i < n; i++) await r.smembers(`bench:route:${keys[i % 100]}`);
  const redis = n / ((performance.now() - t0) / 1000);
  r.disconnect();
  const table = new RouteTable();
  for (const k of keys) for (const node of ['b1', 'b2', 'b3']) table.add(node, k);
  const m = n * 100;
  let found = 0;
  t0 = performance.now();
  for (let i = 0; i < m; i++) found += table.match(`b/${i % 100}/x`).length;
  const memory = m / ((performance.now() - t0) / 1000);
  if (found === 0) throw new Error('route table: no match');
  return { redis: Math.round(redis), memory: Math.round(memory) };
}

const rows: string[][] = [];
const json = process.argv.includes('--json');
if (!redisTool.path) {
  console.log(redisTool.reason);
  if (json) console.log(JSON.stringify({ skipped: redisTool.reason }));
  process.exit(0);
}
let routes: { redis: number; memory: number } | null = null;
const redis = await RedisServer.start();
const row = (what: string, perSec: string, t?: { connack: number; all: number }): void => {
  console.error(`${what}: ${perSec} msg/s${t ? `, takeover ${t.connack} / ${t.all} ms` : ''}`);
  rows.push([what, String(perSec), t ? `${t.connack}` : '-', t ? `${t.all}` : '-']);
};
try {
  const mem = await mqttlab({});
  row('mqttlab, memory (one node)', await fill(mem.port, 'm', N));
  await mem.stop();

  const store = { kind: 'redis', url: redis.url, keyPrefix: 'bench:' };
  const r1 = await mqttlab({ store });
  const perSec = await fill(r1.port, 'r', N);
  await fill(r1.port, 'rt', QUEUED);
  await r1.stop();
  const r2 = await mqttlab({ store }); // a fresh node: the session is only in Redis
  row('mqttlab --session-store redis', perSec, await resume(r2.port, 'rt', QUEUED));
  await r2.stop();

  // Bounded, so a stalled broker cannot hang the bench.
  await within(120_000, 'Aedes row', async () => {
    const a1 = await aedes(redis.port);
    const aPerSec = await fill(a1.port, 'a', N);
    step('aedes: filled');
    await fill(a1.port, 'at', QUEUED);
    step('aedes: takeover session filled');
    await a1.stop();
    step('aedes: first instance stopped');
    const a2 = await aedes(redis.port);
    step('aedes: second instance up');
    row('Aedes + aedes-persistence-redis', aPerSec, await resume(a2.port, 'at', QUEUED));
    await a2.stop();
  });

  const [b1, b2] = await clusterPair();
  const bPerSec = await fill(b1.port, 'b', N);
  await fill(b1.port, 'bt', QUEUED);
  await b1.stop(); // its peer holds a replica of the session
  row('mqttlab 2-node cluster, replicas (no Redis)', bPerSec, await resume(b2.port, 'bt', QUEUED));
  await b2.stop();

  const [c1, c2] = await clusterPair({ store: { ...store, keyPrefix: 'bench-c:' } });
  const cPerSec = await fill(c1.port, 'c', N);
  await fill(c1.port, 'ct', QUEUED);
  await c1.stop(); // its peer holds a thin replica: the queue is read from Redis
  row('mqttlab 2-node cluster on --session-store redis', cPerSec, await resume(c2.port, 'ct', QUEUED));
  await c2.stop();

  routes = await routeLookups(redis.url, quick ? 2000 : 10_000);
} finally {
  await redis.stop();
}
console.log(
  `QoS 1 into an offline persistent session (${N} x 64 B, ${WINDOW} in flight); takeover with ${QUEUED} queued`,
);
console.log('| broker | QoS 1 msg/s | takeover: CONNACK ms | takeover: all queued ms |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (routes)
  console.log(
    `route lookups/s (one per publish): Redis SMEMBERS round trip ${routes.redis}, in-memory route table ${routes.memory}`,
  );
if (json) console.log(JSON.stringify({ n: N, queued: QUEUED, rows, routes }));
process.exit(0); // nothing left to wait for (a client library's lingering timers)
