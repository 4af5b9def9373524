// A running broker process: core Broker + real Env + listeners, and when
// clustering is enabled the peer listener and dialer.

import type net from 'node:net';
import type http from 'node:http';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/config.ts';
import { SecurityFiles } from './auth.ts';
import type { TlsServerFiles } from './listeners.ts';
import type { PeerTls } from './peer-transport.ts';
import { Broker } from '../core/broker.ts';
import { Cluster } from '../core/cluster/cluster.ts';
import { coreClusterConfig } from './cluster-config.ts';
import type { Logger } from '../core/env.ts';
import { realEnv, nodeCrypto } from './host.ts';
import { createLogger } from './log.ts';
import { listenTcp, listenWs } from './listeners.ts';
import { listenPeers, TcpPeerDialer, type PeerListener } from './peer-transport.ts';
import { startAdmin, AdminEvents, type AdminServer } from './admin.ts';
import { anonymousAllowed, brokerPart, parseSeed, runtimeConfig, type RuntimeConfig } from './config.ts';
import { DiskStore } from './disk-store.ts';
import { openRedisStore, type RedisStore } from './redis-store.ts';
import { NodeMetrics } from './metrics.ts';
import { DnsDiscovery } from '../core/cluster/discovery.ts';
import { NodeDnsResolver } from './dns-resolver.ts';

export interface RunningServer {
  broker: Broker;
  config: RuntimeConfig;
  /** Bound ports (useful when configured as 0). */
  tcpPort?: number;
  wsPort?: number;
  tlsPort?: number;
  wssPort?: number;
  /** Set when clustering is enabled. */
  cluster?: Cluster;
  clusterPort?: number;
  /** Where this node accepts other clusters' links (with cluster.links: docs/cluster-linking.md). */
  linkPort?: number;
  /** Set when the admin API is enabled. */
  admin?: AdminServer;
  adminPort?: number;
  /** Set with a data dir. */
  store?: DiskStore;
  /** Set with store.kind redis: sessions, queues and retained messages in Redis. */
  redis?: RedisStore;
  /** What the store gave back at start, and how long it took. */
  restored?: { sessions: number; messages: number; retained: number; expired: number; ms: number };
  /** Immediate stop: clients get DISCONNECT 0x8B, everything closes, the store is flushed. */
  stop(): Promise<void>;
  /**
   * SIGTERM: /health turns 503 (load balancers drain) for shutdown.drainMs,
   * listeners close, clients get DISCONNECT 0x8B (or 0x9C + Server
   * Reference), a clustered node waits until its peers confirmed every
   * session's latest state (they take the sessions over when the links
   * close), then stop().
   */
  gracefulStop(): Promise<void>;
  /** The node's logger (config.log unless startServer was given one). */
  log: Logger;
  /** SIGHUP: re-reads the password and ACL files (connections stay); logs and returns one line per file. */
  reload(): string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
function readPem(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new ConfigError([`${key}: cannot read ${file}: ${(e as Error).message}`]);
  }
}

/** Starts a node; without `logger`, logs as config.log says (level, text or JSON lines). */
export async function startServer(overrides?: unknown, logger?: Logger): Promise<RunningServer> {
  const config = runtimeConfig(overrides);
  const log = logger ?? createLogger({ ...config.log, node: config.node });
  const env = realEnv(log);
  const sec = config.security;
  // Files are read (and rejected) before anything listens.
  const anonymous = anonymousAllowed(config);
  const security = new SecurityFiles(sec.passwordFile, sec.aclFile, sec.aclDefault === 'allow', anonymous);
  env.authenticator = security.authenticator;
  env.authorizer = security.authorizer;
  const l = config.listeners;
  const t = config.tls;
  const tlsFiles: TlsServerFiles | undefined =
    l.tls.enabled || l.wss.enabled
      ? {
          cert: readPem('tls.cert', t.cert),
          key: readPem('tls.key', t.key),
          ca: t.ca ? readPem('tls.ca', t.ca) : undefined,
          requireClientCert: t.requireClientCert,
        }
      : undefined;
  const cc = config.cluster;
  const peerTls: PeerTls | undefined =
    cc.enabled && cc.tls.enabled
      ? {
          cert: readPem('cluster.tls.cert', cc.tls.cert),
          key: readPem('cluster.tls.key', cc.tls.key),
          ca: readPem('cluster.tls.ca', cc.tls.ca),
        }
      : undefined;
  if (anonymous)
    log.warn(
      `anonymous clients may connect${sec.passwordFile ? '' : ' (no security.passwordFile)'}${sec.aclFile ? '' : ' and, without security.aclFile, publish and subscribe to anything'}`,
    );
  let dialer: TcpPeerDialer | undefined;
  if (cc.enabled) {
    env.crypto = nodeCrypto;
    env.peers = dialer = new TcpPeerDialer({ connectTimeoutMs: cc.heartbeatTimeoutMs, log, tls: peerTls });
  }
  let store: DiskStore | undefined;
  let restored: RunningServer['restored'];
  let fatal = (_e: Error): void => {};
  if (config.dataDir) {
    // Clustered too: its own sessions and the retained messages come back from the disk before it
    // rejoins; what it missed while down comes from its peers (core/cluster/durable.ts).
    store = await DiskStore.open(config.dataDir);
    env.storage = store;
    store.onError = (e) => fatal(e);
    const dir = config.dataDir;
    store.onFault = (f, e) =>
      f
        ? log.warn(
            `[${config.node}] data dir ${dir}: ${f === 'full' ? 'no space left' : 'write failed'} (${e?.message}): QoS 1/2 publishes and new persistent sessions refused until a write succeeds (retried every second)`,
          )
        : log.info(`[${config.node}] data dir ${dir}: writes succeed again`);
  }
  const redis =
    config.store.kind === 'redis' ? await openRedisStore(config.store, env, log, config.node) : undefined;
  const broker = new Broker(env, brokerPart(config));
  if (redis) {
    const r = broker.restore(); // the retained messages (sessions come as their clients connect)
    log.info(`[${config.node}] session store ${config.store.url}: ${r.retained} retained messages loaded`);
  }
  if (store) {
    const t0 = performance.now();
    restored = { ...broker.restore(), ms: Math.round(performance.now() - t0) };
    log.info(
      `[${config.node}] data dir ${config.dataDir}: ${restored.sessions} sessions, ${restored.messages} queued messages, ${restored.retained} retained restored (${restored.expired} expired) in ${restored.ms} ms`,
    );
  }
  let discovery: DnsDiscovery | undefined;
  let tcp: net.Server | undefined;
  let ws: http.Server | undefined;
  let tlsServer: net.Server | undefined;
  let wss: http.Server | undefined;
  let peers: PeerListener | undefined;
  let linkListener: PeerListener | undefined;
  let cluster: Cluster | undefined;
  let admin: AdminServer | undefined;
  const events = new AdminEvents();
  let stopping = false;
  try {
    if (l.tcp.enabled)
      tcp = await listenTcp(broker, { ...l.tcp, maxWriteBuffer: config.maxWriteBuffer, log });
    if (l.ws.enabled) ws = await listenWs(broker, { ...l.ws, maxWriteBuffer: config.maxWriteBuffer });
    if (l.tls.enabled)
      tlsServer = await listenTcp(broker, { ...l.tls, maxWriteBuffer: config.maxWriteBuffer, tls: tlsFiles });
    if (l.wss.enabled)
      wss = await listenWs(broker, { ...l.wss, maxWriteBuffer: config.maxWriteBuffer, tls: tlsFiles });
    if (cc.enabled) {
      // Listen before joining: joining dials the seeds at once, and they dial back.
      peers = await listenPeers({
        host: cc.host,
        port: cc.port,
        log,
        tls: peerTls,
        accept: (sink) => cluster?.acceptPeer(sink) ?? null,
      });
      cc.advertise ||= `127.0.0.1:${peers.port}`;
      const seeds = cc.seeds.map((s) => parseSeed(s)!);
      // Manual discovery joins through the seeds (below).
      cluster = new Cluster(broker, coreClusterConfig(cc, cc.advertise, seeds));
      const node = config.node;
      cluster.onEvent = (type, detail) => {
        events.emit(`cluster.${type}`, node, detail);
        const kv = Object.entries(detail)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        log.info(`[${node}] cluster ${type}${kv ? ' ' + kv : ''}`);
      };
      // Messages a peer passed on to a live session, in a copy of it or as forwards that followed it (after newer
      // ones, if it could not wait for them: docs/guarantees.md, Order): one event per message, by the head of
      // its payload, named live as the simulator names them.
      cluster.onPassedOn = (how, clientId, from, msgs) => {
        for (const m of msgs)
          events.emit(how === 'handoff' ? 'handoff.msgs' : 'moved.msgs', node, {
            clientId,
            from,
            head: m.payload.toString('latin1', 0, Math.min(64, m.payload.length)),
          });
      };
      const links = cluster.links;
      if (links) {
        // Which messages a full link buffer gave up (the count is in /metrics): the head of each payload, so a
        // live run can name them as the simulator does.
        links.hooks = {
          ...links.hooks,
          onDrop: (link, msg) =>
            events.emit('link.drop', node, {
              link,
              head: msg.payload.toString('latin1', 0, Math.min(64, msg.payload.length)),
            }),
        };
        linkListener = await listenPeers({
          host: cc.host,
          port: cc.linkPort,
          log,
          tls: peerTls,
          accept: (sink) => links.accept(sink),
        });
        const names = links.settings.links.map((x) => x.name).join(', ');
        log.info(
          `[${node}] cluster ${cc.name}: accepting links on port ${linkListener.port}; linked to ${names}`,
        );
      }
      if (cc.discovery !== 'static')
        for (const s of seeds) if (s.node !== node) cluster.join(s.node, s.address);
      if (cc.discovery === 'dns') {
        discovery = new DnsDiscovery(
          cluster,
          new NodeDnsResolver(peers.port, log),
          env.clock,
          { name: cc.dnsName, intervalMs: cc.dnsIntervalMs, forgetAfterMs: cc.dnsForgetMs },
          (type, detail) =>
            log.info(
              `[${node}] cluster ${type} ${Object.entries(detail)
                .map(([k, v]) => `${k}=${v}`)
                .join(' ')}`,
            ),
        );
        discovery.start();
      }
    }
    const ac = config.admin;
    if (ac.enabled) {
      const metrics = new NodeMetrics();
      metrics.attach(broker, cluster, store);
      admin = await startAdmin({
        metrics,
        broker,
        cluster,
        host: ac.host,
        port: ac.port,
        token: ac.token,
        log,
        events,
        accepting: () => !stopping && [tcp, ws, tlsServer, wss].some((s) => s?.listening === true),
        store,
      });
    }
  } catch (e) {
    discovery?.stop();
    broker.shutdown();
    await store?.close();
    await redis?.close();
    dialer?.close();
    for (const s of [tcp, ws, tlsServer, wss]) s?.close();
    await peers?.close();
    await linkListener?.close();
    await admin?.close();
    throw e;
  }
  events.emit('node.start', config.node);
  const addr = (s?: net.Server | http.Server) => {
    const a = s?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  };
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      stopping = true;
      discovery?.stop();
      broker.shutdown(config.shutdown.serverReference);
      cluster?.links?.stop();
      dialer?.close();
      await Promise.all([
        ...[tcp, ws, tlsServer, wss].map(
          (s) =>
            new Promise<void>((r) => {
              if (!s?.listening) return r();
              s.close(() => r());
              (s as http.Server).closeAllConnections?.();
            }),
        ),
        peers?.close(),
        linkListener?.close(),
        admin?.close(),
      ]);
      for (const s of [tcp, ws, tlsServer, wss]) (s as http.Server | undefined)?.closeAllConnections?.();
      await store?.close();
      await redis?.close();
    })());
  fatal = (e) => {
    log.warn(
      `[${config.node}] data dir ${config.dataDir}: write failed (${e.message}): stopping, nothing more is acknowledged`,
    );
    void stop();
  };
  const gracefulStop = async (): Promise<void> => {
    if (stopping) return stop();
    stopping = true; // /health: 503 from now on
    const sc = config.shutdown;
    if (sc.drainMs > 0) await sleep(sc.drainMs);
    for (const s of [tcp, ws, tlsServer, wss]) s?.close(); // no new clients; connected ones stay until disconnectAll
    discovery?.stop();
    broker.disconnectAll(sc.serverReference);
    if (cluster) {
      // The sessions are now offline: wait until the peers hold their latest state, then stop (they take them over).
      const until = performance.now() + sc.handoffTimeoutMs;
      while (cluster.unconfirmedFrames() > 0 && performance.now() < until) await sleep(20);
      const left = cluster.unconfirmedFrames();
      if (left > 0)
        log.warn(
          `[${config.node}] graceful stop: ${left} replication frames unconfirmed after ${sc.handoffTimeoutMs} ms`,
        );
    }
    await stop();
  };
  const reload = (): string[] => {
    const lines = security.reload();
    for (const l of lines) {
      if (l.includes('NOT reloaded')) log.warn(`[${config.node}] ${l}`);
      else log.info(`[${config.node}] ${l}`);
    }
    return lines;
  };
  return {
    broker,
    config,
    store,
    redis,
    restored,
    gracefulStop,
    reload,
    log,
    tcpPort: addr(tcp),
    wsPort: addr(ws),
    tlsPort: addr(tlsServer),
    wssPort: addr(wss),
    cluster,
    clusterPort: peers?.port,
    linkPort: linkListener?.port,
    admin,
    adminPort: admin?.port,
    stop,
  };
}
