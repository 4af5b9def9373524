// The admin HTTP API: health, statistics, clients, subscriptions, routes and
// cluster membership commands, as JSON over node:http. Bound to loopback by
// default; on any other address a bearer token is required (config.ts
// refuses to start without one).

import http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Broker } from '../core/broker.ts';
import { VERSION } from '../core/broker.ts';
import type { Cluster } from '../core/cluster/cluster.ts';
import type { Logger } from '../core/env.ts';
import { isLoopbackHost, parseHostPort } from './config.ts';
import type { DiskStore } from './disk-store.ts';
import { renderMetrics, METRICS_CONTENT_TYPE, type NodeMetrics } from './metrics.ts';
import { RC } from '../core/reason-codes.ts';
import { TopicError, validateTopicName } from '../core/topic.ts';

const TOPIC_PROBLEM: Partial<Record<TopicError, string>> = {
  [TopicError.Empty]: 'must not be empty',
  [TopicError.Wildcard]: 'a topic name has no + or #',
  [TopicError.NullChar]: 'contains U+0000',
  [TopicError.TooManyLevels]: 'more levels than limits.maxTopicLevels',
  [TopicError.TooLong]: 'longer than 65535',
};
import { DASHBOARD_HTML } from './dashboard.ts';
import { rebalanceRoute } from './rebalance-api.ts';

export interface AdminOptions {
  broker: Broker;
  cluster?: Cluster;
  host: string;
  port: number;
  token: string;
  /** Whether the broker accepts clients now (a listener is up and it is not stopping). */
  accepting: () => boolean;
  log?: Logger;
  /** Node events for GET /api/events (server.ts feeds cluster events in). */
  events?: AdminEvents;
  store?: DiskStore;
  /** Latency histograms for GET /metrics. */
  metrics?: NodeMetrics;
}

/** One event on the stream: what happened, where, when (wall ms). */
export interface AdminEvent {
  t: number;
  type: string;
  node: string;
  [k: string]: string | number;
}

const EVENT_BACKLOG = 200;

/**
 * The event stream behind GET /api/events (Server-Sent Events): every
 * event to every subscriber as `event: <type>` / `data: <json>`; a new
 * subscriber first gets the last events (so a UI attaching late sees how
 * the node got where it is).
 */
export class AdminEvents {
  private subs = new Set<http.ServerResponse>();
  private backlog: AdminEvent[] = [];

  constructor(private clock: () => number = () => Date.now()) {}

  emit(type: string, node: string, detail: Record<string, string | number> = {}): void {
    const ev: AdminEvent = { ...detail, t: this.clock(), type, node };
    this.backlog.push(ev);
    if (this.backlog.length > EVENT_BACKLOG) this.backlog.shift();
    const frame = sse(ev);
    for (const r of this.subs) r.write(frame);
  }

  subscribe(res: http.ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(`retry: 2000\n\n`);
    for (const ev of this.backlog) res.write(sse(ev));
    this.subs.add(res);
    // A comment now and then keeps proxies from closing an idle stream.
    const ping = setInterval(() => res.write(`: ping\n\n`), 15_000);
    res.on('close', () => {
      clearInterval(ping);
      this.subs.delete(res);
    });
  }
}

function sse(ev: AdminEvent): string {
  return `event: ${ev.type}\ndata: ${JSON.stringify(ev)}\n\n`;
}

/** A reader's side of the stream: the `data` of each complete frame in `buf`, and what is left of it. */
export function sseFrames(buf: string): { data: string[]; rest: string } {
  const data: string[] = [];
  for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
    const d = buf
      .slice(0, i)
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6))
      .join('\n');
    buf = buf.slice(i + 2);
    if (d) data.push(d);
  }
  return { data, rest: buf };
}

/** A response that is not JSON. */
class Raw {
  constructor(
    readonly contentType: string,
    readonly text: string,
  ) {}
}

export interface AdminServer {
  server: http.Server;
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;
const NODE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function authorized(req: http.IncomingMessage, token: string): boolean {
  if (token === '') return true;
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(h);
  if (!m) return false;
  // Constant time whatever the lengths.
  return timingSafeEqual(digest(m[1].trim()), digest(token));
}

function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, `request body larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        const v = JSON.parse(text);
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
        resolve(v);
      } catch {
        reject(new HttpError(400, 'request body must be a JSON object'));
      }
    });
  });
}

/** The health verdict: the broker accepts clients and, clustered, this node is running. */
export function health(o: Pick<AdminOptions, 'broker' | 'cluster' | 'accepting'>): {
  ok: boolean;
  reason?: string;
} {
  if (!o.accepting()) return { ok: false, reason: 'not accepting clients' };
  if (o.broker.connections.size >= o.broker.config.limits.maxConnections)
    return { ok: false, reason: 'connection limit reached' };
  const ev = o.cluster?.maintenance.evacuation;
  if (ev)
    return {
      ok: false,
      reason: ev.kind === 'evacuation' ? 'node evacuation' : 'rebalance: giving up clients',
    };
  if (o.cluster) {
    const self = o.cluster.status().find((m) => m.node === o.cluster!.node);
    if (self?.state !== 'running') return { ok: false, reason: `cluster state ${self?.state ?? 'unknown'}` };
  }
  return { ok: true };
}

export function statsOf(broker: Broker, cluster?: Cluster): Record<string, unknown> {
  return {
    node: broker.config.node,
    version: VERSION,
    uptimeSec: Math.floor((broker.env.clock.now() - broker.startedAt) / 1000),
    ...broker.stats,
    sessions: broker.sessions.size,
    connections: broker.connections.size,
    subscriptions: broker.subscriptions.subscriptionCount,
    retained: broker.retained.size,
    routes: cluster ? cluster.routes.size : [...broker.subscriptions.routeKeys()].length,
    ...(cluster ? { cluster: { ...cluster.stats } } : {}),
  };
}

export function clientsOf(broker: Broker): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const s of broker.sessions.values()) {
    out.push({
      clientId: s.clientId,
      connected: s.conn !== null,
      node: broker.config.node,
      sessionExpiry: s.expiryInterval,
      queued: s.queued,
      inflight: s.inflight.size,
      subscriptions: s.subscriptions.size,
      protocolVersion: broker.connectionOf(s)?.version ?? s.protocolVersion,
      remote: broker.connectionOf(s)?.remote ?? '',
    });
  }
  return out.sort((a, b) => (String(a.clientId) < String(b.clientId) ? -1 : 1));
}

export function subscriptionsOf(broker: Broker): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const s of broker.sessions.values()) {
    for (const sub of s.subscriptions.values()) {
      out.push({
        clientId: s.clientId,
        topic: sub.raw,
        qos: sub.qos,
        noLocal: sub.noLocal,
        retainAsPublished: sub.retainAsPublished,
        retainHandling: sub.retainHandling,
        ...(sub.subId ? { subId: sub.subId } : {}),
      });
    }
  }
  return out.sort((a, b) => (`${a.clientId}\0${a.topic}` < `${b.clientId}\0${b.topic}` ? -1 : 1));
}

export function routesOf(broker: Broker, cluster?: Cluster): { topic: string; node: string }[] {
  if (!cluster)
    return [...broker.subscriptions.routeKeys()].sort().map((topic) => ({ topic, node: broker.config.node }));
  return cluster.routes.dump().map((line) => {
    const i = line.lastIndexOf(' -> ');
    return { topic: line.slice(0, i), node: line.slice(i + 4) };
  });
}

/** Retained messages, payloads in base64 (they are bytes). */
export function retainedOf(broker: Broker): { topic: string; qos: number; payload: string }[] {
  return [...broker.retained.all()]
    .map((m) => ({ topic: m.topic, qos: m.qos, payload: m.payload.toString('base64') }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

function clusterOf(broker: Broker, cluster?: Cluster): Record<string, unknown> {
  if (!cluster) return { clustered: false, node: broker.config.node, members: [], stats: null };
  const { evacuation } = cluster.maintenance.status();
  return {
    clustered: true,
    node: cluster.node,
    members: cluster.status(),
    stats: { ...cluster.stats },
    evacuation,
    ...(cluster.links && { name: cluster.links.settings.name, links: cluster.links.status() }),
    // A replicant's forwards relayed through the cores and second copies dropped (docs/replicants.md).
    ...(cluster.relay.self && { relay: { ...cluster.relay.stats } }),
  };
}

function needCluster(cluster?: Cluster): Cluster {
  if (!cluster) throw new HttpError(409, 'this node is not clustered');
  return cluster;
}

function nodeArg(body: Record<string, unknown>): string {
  const n = body.node;
  if (typeof n !== 'string' || !NODE_NAME.test(n))
    throw new HttpError(400, 'node: must be 1-64 chars of A-Z a-z 0-9 _ . -');
  return n;
}

/**
 * `?page=P&limit=L` (EMQX's paging; page from 1): one page of `items` under `key`, with meta.count the total.
 * Without either parameter, everything (and no meta, as before paging existed).
 */
function paged(
  url: URL,
  key: string,
  items: unknown[],
  extra: Record<string, unknown> = {},
): { status: number; body: unknown } {
  const num = (name: string, def: number): number => {
    const v = url.searchParams.get(name);
    if (v === null) return def;
    if (!/^\d{1,9}$/.test(v) || Number(v) < 1)
      throw new HttpError(
        400,
        `${name}: must be a whole number from 1 (got ${JSON.stringify(v.slice(0, 20))})`,
      );
    return Number(v);
  };
  if (!url.searchParams.has('page') && !url.searchParams.has('limit'))
    return { status: 200, body: { ...extra, [key]: items } };
  const limit = num('limit', 100);
  const page = num('page', 1);
  const start = (page - 1) * limit;
  return {
    status: 200,
    body: {
      ...extra,
      [key]: items.slice(start, start + limit),
      meta: { page, limit, count: items.length, hasNext: start + limit < items.length },
    },
  };
}

function clientArg(body: Record<string, unknown>, key = 'clientId'): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '' || v.length > 65535)
    throw new HttpError(400, `${key}: must be a non-empty string`);
  return v;
}

async function handle(
  o: AdminOptions,
  req: http.IncomingMessage,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(req.url ?? '/', 'http://admin');
  const route = `${req.method} ${url.pathname.replace(/\/+$/, '') || '/'}`;
  const { broker, cluster } = o;
  const rebalance = await rebalanceRoute(route, cluster, () => readBody(req));
  if (rebalance) return rebalance;
  switch (route) {
    case 'GET /':
      return { status: 200, body: new Raw('text/html; charset=utf-8', DASHBOARD_HTML) };
    case 'POST /api/clients/kick': {
      const id = clientArg(await readBody(req));
      const s = broker.sessions.get(id);
      const conn = s ? broker.connectionOf(s) : null;
      if (!conn) throw new HttpError(404, `clientId: ${id} is not connected to this node`);
      // v5 clients get DISCONNECT 0x98 (Administrative action); the session stays per its expiry.
      conn.protocolClose(RC.AdministrativeAction, 'disconnected by an administrator');
      o.log?.info(`[${broker.config.node}] admin API: client ${id} kicked`);
      return { status: 200, body: { result: 'kicked', clientId: id } };
    }
    case 'POST /api/publish': {
      const body = await readBody(req);
      const topic = body.topic;
      if (typeof topic !== 'string') throw new HttpError(400, 'topic: must be a string');
      const bad = validateTopicName(topic, broker.config.limits.maxTopicLevels);
      if (bad !== TopicError.None)
        throw new HttpError(400, `topic: ${TOPIC_PROBLEM[bad] ?? 'not a valid topic name'}`);
      if (topic.startsWith('$')) throw new HttpError(400, 'topic: $ topics belong to the broker');
      const payload = body.payload ?? '';
      if (typeof payload !== 'string') throw new HttpError(400, 'payload: must be a string');
      const encoding = body.encoding ?? 'utf8';
      if (encoding !== 'utf8' && encoding !== 'base64')
        throw new HttpError(400, 'encoding: must be utf8 or base64');
      const qos = body.qos ?? 0;
      if (qos !== 0 && qos !== 1 && qos !== 2) throw new HttpError(400, 'qos: must be 0, 1 or 2');
      const retain = body.retain ?? false;
      if (typeof retain !== 'boolean') throw new HttpError(400, 'retain: must be true or false');
      const buf = Buffer.from(payload, encoding);
      if (buf.length > broker.config.limits.maxPacketSize)
        throw new HttpError(
          413,
          `payload: larger than limits.maxPacketSize (${broker.config.limits.maxPacketSize})`,
        );
      const delivered = broker.publish({
        topic,
        payload: buf,
        qos,
        retain,
        from: '',
        receivedAt: broker.env.clock.now(),
      });
      return { status: 200, body: { result: 'published', topic, delivered } };
    }
    case 'GET /api/banned':
      return paged(
        url,
        'banned',
        (broker.flapping?.list() ?? []).map((b) => ({
          clientId: b.clientId,
          reason: 'flapping',
          secondsLeft: Math.ceil(b.leftMs / 1000),
        })),
        { flapping: broker.flapping !== null },
      );
    case 'POST /api/banned/remove': {
      const id = clientArg(await readBody(req));
      if (!broker.flapping?.unban(id)) throw new HttpError(404, `clientId: ${id} is not banned`);
      return { status: 200, body: { result: 'unbanned', clientId: id } };
    }
    case 'GET /health': {
      const h = health(o);
      return h.ok
        ? { status: 200, body: { status: 'ok' } }
        : { status: 503, body: { status: 'unavailable', reason: h.reason } };
    }
    case 'GET /api/cluster':
      return { status: 200, body: clusterOf(broker, cluster) };
    case 'POST /api/cluster/join': {
      const c = needCluster(cluster);
      const body = await readBody(req);
      const node = nodeArg(body);
      if (typeof body.address !== 'string' || parseHostPort(body.address) === null)
        throw new HttpError(400, 'address: must be "host:port"');
      if (node === c.node) throw new HttpError(400, `node: ${node} is this node`);
      c.join(node, body.address);
      return { status: 202, body: { result: 'joining', node, address: body.address, members: c.status() } };
    }
    case 'POST /api/cluster/leave': {
      const c = needCluster(cluster);
      await readBody(req);
      c.leave();
      return { status: 200, body: { result: 'left', members: c.status() } };
    }
    case 'POST /api/cluster/force-leave': {
      const c = needCluster(cluster);
      const node = nodeArg(await readBody(req));
      if (node === c.node) throw new HttpError(400, 'node: cannot force this node out; use leave');
      if (!c.forceLeave(node)) throw new HttpError(404, `node: ${node} is not a member`);
      return { status: 200, body: { result: 'removed', node, members: c.status() } };
    }
    case 'GET /api/stats':
      return { status: 200, body: statsOf(broker, cluster) };
    case 'GET /api/clients':
      return paged(url, 'clients', clientsOf(broker));
    case 'GET /api/subscriptions':
      return paged(url, 'subscriptions', subscriptionsOf(broker));
    case 'GET /api/routes':
      return paged(url, 'routes', routesOf(broker, cluster), { clustered: !!cluster });
    case 'GET /metrics':
      return {
        status: 200,
        body: new Raw(METRICS_CONTENT_TYPE, await renderMetrics(broker, cluster, o.store, o.metrics)),
      };
    case 'GET /api/routes/local':
      // The route keys this node's own subscriptions make (what it announces to its peers).
      return {
        status: 200,
        body: { node: broker.config.node, routes: [...broker.subscriptions.routeKeys()].sort() },
      };
    case 'GET /api/retained':
      return paged(url, 'retained', retainedOf(broker));
  }
  const known = [
    '/',
    '/api/clients/kick',
    '/api/publish',
    '/api/banned',
    '/api/banned/remove',
    '/metrics',
    '/health',
    '/api/cluster',
    '/api/cluster/join',
    '/api/cluster/leave',
    '/api/cluster/force-leave',
    '/api/stats',
    '/api/clients',
    '/api/subscriptions',
    '/api/routes',
    '/api/routes/local',
    '/api/retained',
  ];
  if (known.includes(url.pathname.replace(/\/+$/, '') || '/'))
    throw new HttpError(405, `method ${req.method} not allowed on ${url.pathname}`);
  throw new HttpError(404, `no such endpoint: ${url.pathname}`);
}

/** Starts the admin API; rejects (EADDRINUSE, or a missing token off loopback) without leaving anything open. */
export async function startAdmin(o: AdminOptions): Promise<AdminServer> {
  if (o.token === '' && !isLoopbackHost(o.host))
    throw new Error(`admin API: refusing to listen on ${o.host} without a token (admin.token)`);
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      const raw = body instanceof Raw;
      const text = raw ? body.text : JSON.stringify(body) + '\n';
      res.writeHead(status, {
        'content-type': raw ? body.contentType : 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(text),
        ...extra,
      });
      res.end(text);
    };
    // The dashboard page holds no data (it asks for the token and calls the API): served to anyone.
    if (!authorized(req, o.token) && !(req.method === 'GET' && (req.url === '/' || req.url === ''))) {
      req.resume();
      return send(
        401,
        { error: 'missing or wrong bearer token' },
        { 'www-authenticate': 'Bearer realm="mqttlab"' },
      );
    }
    const path = new URL(req.url ?? '/', 'http://admin').pathname.replace(/\/+$/, '');
    if (path === '/api/events') {
      if (req.method !== 'GET') return send(405, { error: `method ${req.method} not allowed on ${path}` });
      if (!o.events) return send(404, { error: 'no event stream on this node' });
      return o.events.subscribe(res);
    }
    handle(o, req).then(
      (r) => send(r.status, r.body),
      (e) => {
        if (e instanceof HttpError) return send(e.status, { error: e.message });
        o.log?.warn(`admin API: ${req.method} ${req.url}: ${(e as Error).stack ?? e}`);
        send(500, { error: (e as Error).message });
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address();
  return {
    server,
    port: a && typeof a === 'object' ? a.port : o.port,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
