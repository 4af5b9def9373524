// A running broker process: core Broker + real Env + listeners, and when
// clustering is enabled the peer listener and dialer.

import type net from 'node:net';
import type http from 'node:http';
import { Broker } from '../core/broker.ts';
import type { Cluster } from '../core/cluster/cluster.ts';
import { defaultClusterConfig } from '../core/cluster/cluster.ts';
import type { Logger } from '../core/env.ts';
import { realEnv, consoleLogger, nodeCrypto } from './host.ts';
import { listenTcp, listenWs } from './listeners.ts';
import { listenPeers, TcpPeerDialer, type PeerListener } from './peer-transport.ts';
import { startAdmin, AdminEvents, type AdminServer } from './admin.ts';
import { brokerPart, parseSeed, runtimeConfig, type RuntimeConfig } from './config.ts';

export interface RunningServer {
  broker: Broker;
  config: RuntimeConfig;
  /** Bound ports (useful when configured as 0). */
  tcpPort?: number;
  wsPort?: number;
  /** Set when clustering is enabled. */
  cluster?: Cluster;
  clusterPort?: number;
  /** Set when the admin API is enabled. */
  admin?: AdminServer;
  adminPort?: number;
  stop(): Promise<void>;
}

export async function startServer(overrides?: unknown, log: Logger = consoleLogger): Promise<RunningServer> {
  const config = runtimeConfig(overrides);
  const env = realEnv(log);
  const cc = config.cluster;
  let dialer: TcpPeerDialer | undefined;
  if (cc.enabled) {
    env.crypto = nodeCrypto;
    env.peers = dialer = new TcpPeerDialer({ connectTimeoutMs: cc.heartbeatTimeoutMs, log });
  }
  const broker = new Broker(env, brokerPart(config));
  let tcp: net.Server | undefined;
  let ws: http.Server | undefined;
  let peers: PeerListener | undefined;
  let cluster: Cluster | undefined;
  let admin: AdminServer | undefined;
  const events = new AdminEvents();
  let stopping = false;
  const l = config.listeners;
  try {
    if (l.tcp.enabled) tcp = await listenTcp(broker, { ...l.tcp, maxWriteBuffer: config.maxWriteBuffer });
    if (l.ws.enabled) ws = await listenWs(broker, { ...l.ws, maxWriteBuffer: config.maxWriteBuffer });
    if (cc.enabled) {
      // Listen before joining: joining dials the seeds at once, and they dial back.
      peers = await listenPeers({ host: cc.host, port: cc.port, log, accept: (sink) => cluster?.acceptPeer(sink) ?? null });
      cc.advertise ||= `127.0.0.1:${peers.port}`;
      const seeds = cc.seeds.map((s) => parseSeed(s)!);
      cluster = broker.joinCluster({
        ...defaultClusterConfig(cc.advertise),
        secret: cc.secret,
        discovery: cc.discovery,
        // Manual discovery: the seeds are only contacted to join (below); membership comes from them.
        seeds: cc.discovery === 'static' ? seeds : [],
        heartbeatIntervalMs: cc.heartbeatIntervalMs,
        heartbeatTimeoutMs: cc.heartbeatTimeoutMs,
        reconnectIntervalMs: cc.heartbeatIntervalMs,
        autocleanMs: cc.autocleanMs,
        ackMode: cc.ackMode,
        allowRegisterDuringNetsplit: cc.allowRegisterDuringNetsplit,
        allowPublishDuringNetsplit: cc.allowPublishDuringNetsplit,
        allowSubscribeDuringNetsplit: cc.allowSubscribeDuringNetsplit,
      });
      const node = config.node;
      cluster.onEvent = (type, detail) => {
        events.emit(`cluster.${type}`, node, detail);
        const kv = Object.entries(detail)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        log.info(`[${node}] cluster ${type}${kv ? ' ' + kv : ''}`);
      };
      if (cc.discovery === 'manual') for (const s of seeds) if (s.node !== node) cluster.join(s.node, s.address);
    }
    const ac = config.admin;
    if (ac.enabled) {
      admin = await startAdmin({
        broker,
        cluster,
        host: ac.host,
        port: ac.port,
        token: ac.token,
        log,
        events,
        accepting: () => !stopping && (tcp?.listening === true || ws?.listening === true),
      });
    }
  } catch (e) {
    broker.shutdown();
    dialer?.close();
    tcp?.close();
    ws?.close();
    await peers?.close();
    await admin?.close();
    throw e;
  }
  events.emit('node.start', config.node);
  const addr = (s?: net.Server | http.Server) => {
    const a = s?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  };
  return {
    broker,
    config,
    tcpPort: addr(tcp),
    wsPort: addr(ws),
    cluster,
    clusterPort: peers?.port,
    admin,
    adminPort: admin?.port,
    async stop() {
      stopping = true;
      broker.shutdown();
      dialer?.close();
      await Promise.all([
        ...[tcp, ws].map(
          (s) =>
            new Promise<void>((r) => {
              if (!s) return r();
              s.close(() => r());
              (s as http.Server).closeAllConnections?.();
            }),
        ),
        peers?.close(),
        admin?.close(),
      ]);
    },
  };
}
