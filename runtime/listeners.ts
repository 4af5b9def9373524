// TCP, TLS, WebSocket and secure WebSocket listeners: move bytes between
// sockets and core Connections. Writes are batched per event-loop turn (one
// syscall or one WebSocket frame for all packets produced while handling an
// input). With client certificates required, a verified certificate's CN is
// handed to the core as the user name.

import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import https from 'node:https';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Broker } from '../core/broker.ts';
import type { Connection } from '../core/connection.ts';
import type { ByteSink, Logger } from '../core/env.ts';
import { readProxyHeader } from './proxy-protocol.ts';

export interface ListenerOptions {
  host: string;
  port: number;
  /** A client whose unsent bytes exceed this is disconnected (slow consumer). */
  maxWriteBuffer: number;
  /** Name for the connect-rate bucket (default: the transport, e.g. 'tcp'). */
  name?: string;
  /** Serve TLS (TLS listener, or WSS for listenWs). */
  tls?: TlsServerFiles;
  /**
   * Plain TCP only: true = every connection starts with a PROXY protocol v1/v2 header giving the client's
   * address; 'optional' = those that start with one (clients reach the port both directly and through the balancer).
   */
  proxyProtocol?: boolean | 'optional';
  log?: Logger;
}

/** How long a connection may take to send its PROXY header. */
const PROXY_HEADER_TIMEOUT_MS = 5000;

/** PEM contents, read by the server at start. */
export interface TlsServerFiles {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** Refuse clients without a certificate signed by `ca`; its CN becomes the user name. */
  requireClientCert: boolean;
}

function tlsServerOptions(f: TlsServerFiles): tls.TlsOptions {
  return {
    cert: f.cert,
    key: f.key,
    ca: f.ca,
    requestCert: f.requireClientCert,
    rejectUnauthorized: f.requireClientCert,
    minVersion: 'TLSv1.2',
  };
}

/** The verified client certificate's CN, if client certificates are required. */
function certUser(socket: net.Socket, f: TlsServerFiles | undefined): string | undefined {
  if (!f?.requireClientCert || !(socket instanceof tls.TLSSocket) || !socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

/**
 * Socket → core byte sink: the packets of one event-loop turn are joined
 * into one buffer and written once (one syscall, no writev of many tiny
 * buffers). The core reads `buffered()` to cut off slow consumers.
 */
export class SocketSink implements ByteSink {
  /** Packets of this turn; null = none (and no flush scheduled). */
  private pending: Uint8Array[] | null = null;
  private pendingBytes = 0;
  constructor(private socket: net.Socket) {}

  write(bytes: Uint8Array): void {
    if (this.socket.destroyed) return;
    if (this.pending === null) {
      this.pending = [];
      process.nextTick(flushSink, this);
    }
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  buffered(): number {
    return this.socket.writableLength + this.pendingBytes;
  }

  abort(): void {
    this.pending = null;
    this.pendingBytes = 0;
    this.socket.destroy();
  }

  /** Writes what this turn produced; also from close(). */
  flush(): void {
    const p = this.pending;
    if (p === null) return;
    const data = p.length === 1 ? p[0] : Buffer.concat(p, this.pendingBytes);
    this.pending = null;
    this.pendingBytes = 0;
    if (!this.socket.destroyed) this.socket.write(data);
  }

  close(): void {
    this.flush();
    this.socket.end();
    // Do not wait forever for a peer that stopped reading.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  peerAddress(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }
}

function flushSink(s: SocketSink): void {
  s.flush();
}

/**
 * The Connection a client socket feeds. Shared listener functions find it here (`this` is the
 * socket) instead of every socket holding closures of its own: a broker holds many idle sockets.
 */
const CONN = Symbol('mqttlab.connection');
type ClientSocket = net.Socket & { [CONN]?: Connection };

function onClientData(this: ClientSocket, b: Buffer): void {
  this[CONN]!.receive(b);
}

function onClientClose(this: ClientSocket): void {
  this[CONN]!.transportClosed();
}

function destroyOnError(this: net.Socket): void {
  this.destroy();
}

export function listenTcp(broker: Broker, opts: ListenerOptions): Promise<net.Server> {
  const name = opts.name ?? (opts.tls ? 'tls' : 'tcp');
  // Without a PROXY header the address is asked of the socket only when needed (SocketSink.peerAddress).
  const attach = (socket: net.Socket, remote: string | undefined, first?: Buffer) => {
    const sink = new SocketSink(socket);
    const conn = broker.accept(sink, remote, { listener: name, certUser: certUser(socket, opts.tls) });
    (socket as ClientSocket)[CONN] = conn;
    socket.on('data', onClientData);
    socket.on('close', onClientClose);
    if (first?.length) conn.receive(first);
  };
  const onSocket = (socket: net.Socket) => {
    socket.setNoDelay(true);
    socket.on('error', destroyOnError);
    if (!opts.proxyProtocol || opts.tls) return attach(socket, undefined);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    readProxyHeader(
      socket,
      PROXY_HEADER_TIMEOUT_MS,
      opts.proxyProtocol === 'optional',
      (remote, rest) => attach(socket, remote, rest),
      (reason) => opts.log?.warn(`${name} listener: connection from ${peer} closed: ${reason}`),
    );
  };
  const server = opts.tls
    ? tls.createServer(tlsServerOptions(opts.tls), onSocket)
    : net.createServer(onSocket);
  // Failed handshakes (no or bad client certificate, plain MQTT on the TLS port) just close that socket.
  server.on('tlsClientError', (_e, socket) => socket.destroy());
  server.maxConnections = broker.config.limits.maxConnections + 64;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

class WsSink implements ByteSink {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  constructor(private ws: WebSocket) {}

  write(bytes: Uint8Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.pending.length === 0) process.nextTick(this.flush);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  buffered(): number {
    return this.ws.bufferedAmount + this.pendingBytes;
  }

  abort(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.ws.terminate();
  }

  private flush = (): void => {
    if (this.pending.length === 0 || this.ws.readyState !== this.ws.OPEN) {
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.ws.send(data, { binary: true });
  };

  close(): void {
    this.flush();
    this.ws.close();
    setTimeout(() => this.ws.terminate(), 5000).unref();
  }
}

export function listenWs(broker: Broker, opts: ListenerOptions & { path: string }): Promise<http.Server> {
  const name = opts.name ?? (opts.tls ? 'wss' : 'ws');
  const onRequest = (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('MQTT over WebSocket: connect with a WebSocket client to ' + opts.path + '\n');
  };
  const http_: http.Server = opts.tls
    ? https.createServer(tlsServerOptions(opts.tls), onRequest)
    : http.createServer(onRequest);
  if (opts.tls) http_.on('tlsClientError', (_e: Error, socket: net.Socket) => socket.destroy());
  const wss = new WebSocketServer({
    server: http_,
    path: opts.path,
    // Room above the MQTT limit so an oversized packet reaches the core and gets
    // DISCONNECT 0x95 instead of a bare WebSocket close 1009.
    maxPayload: broker.config.limits.maxPacketSize * 2 + 65536,
    // MQTT over WebSockets uses the "mqtt" subprotocol [MQTT-6.0.0-3].
    handleProtocols: (protocols) =>
      protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false,
  });
  wss.on('connection', (ws, req) => {
    const sink = new WsSink(ws);
    const conn = broker.accept(sink, `${req.socket.remoteAddress}:${req.socket.remotePort}`, {
      listener: name,
      certUser: certUser(req.socket, opts.tls),
    });
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      conn.receive(
        Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data),
      );
    });
    ws.on('close', () => conn.transportClosed());
    ws.on('error', () => ws.terminate());
  });
  return new Promise((resolve, reject) => {
    // The WebSocketServer re-emits the HTTP server's errors (EADDRINUSE): unhandled, they crashed the process.
    wss.on('error', reject);
    http_.once('error', reject);
    http_.listen(opts.port, opts.host, () => {
      http_.off('error', reject);
      resolve(http_);
    });
  });
}
