// A running broker process: core Broker + real Env + listeners.

import type net from 'node:net';
import type http from 'node:http';
import { Broker } from '../core/broker.ts';
import type { Logger } from '../core/env.ts';
import { realEnv, consoleLogger } from './host.ts';
import { listenTcp, listenWs } from './listeners.ts';
import { brokerPart, runtimeConfig, type RuntimeConfig } from './config.ts';

export interface RunningServer {
  broker: Broker;
  config: RuntimeConfig;
  /** Bound ports (useful when configured as 0). */
  tcpPort?: number;
  wsPort?: number;
  stop(): Promise<void>;
}

export async function startServer(overrides?: unknown, log: Logger = consoleLogger): Promise<RunningServer> {
  const config = runtimeConfig(overrides);
  const broker = new Broker(realEnv(log), brokerPart(config));
  let tcp: net.Server | undefined;
  let ws: http.Server | undefined;
  const l = config.listeners;
  try {
    if (l.tcp.enabled) tcp = await listenTcp(broker, { ...l.tcp, maxWriteBuffer: config.maxWriteBuffer });
    if (l.ws.enabled) ws = await listenWs(broker, { ...l.ws, maxWriteBuffer: config.maxWriteBuffer });
  } catch (e) {
    tcp?.close();
    broker.shutdown();
    throw e;
  }
  const addr = (s?: net.Server | http.Server) => {
    const a = s?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  };
  return {
    broker,
    config,
    tcpPort: addr(tcp),
    wsPort: addr(ws),
    async stop() {
      broker.shutdown();
      await Promise.all(
        [tcp, ws].map(
          (s) =>
            new Promise<void>((r) => {
              if (!s) return r();
              s.close(() => r());
              (s as http.Server).closeAllConnections?.();
            }),
        ),
      );
    },
  };
}
