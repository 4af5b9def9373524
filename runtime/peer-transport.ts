// Peer links of a cluster over real TCP: a listener that hands every
// accepted socket to the cluster core, and the dialer (env.peers) the core
// uses to reach other nodes. Bytes only: framing, authentication and
// heartbeats are the core's (core/cluster/). Optionally over mutual TLS
// (both ends present a certificate signed by the cluster's CA); the HMAC
// handshake runs inside it either way.

import net from 'node:net';
import tls from 'node:tls';
import type { ByteSink, Logger, PeerDialer, PeerDialHandler } from '../core/env.ts';
import { SocketSink } from './listeners.ts';
import { parseHostPort } from './config.ts';

/** Unsent bytes towards one peer beyond which the link is cut (the core buffers and redials). */
export const PEER_MAX_WRITE_BUFFER = 256 * 1024 * 1024;

/** What the core returns for an accepted peer connection (Cluster.acceptPeer). */
export interface PeerEndpoint {
  receive(bytes: Buffer): void;
  transportClosed(): void;
}

/** PEM contents for mutual TLS between peers. */
export interface PeerTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export interface PeerListenerOptions {
  host: string;
  port: number;
  tls?: PeerTls;
  /** Called per accepted socket; null refuses it (cluster not running). */
  accept(sink: ByteSink, remote: string): PeerEndpoint | null;
  log?: Logger;
  maxWriteBuffer?: number;
}

export interface PeerListener {
  server: net.Server;
  /** Bound port (useful when configured as 0). */
  port: number;
  /** Stops accepting and destroys every accepted socket. */
  close(): Promise<void>;
}

function tune(socket: net.Socket): void {
  socket.setNoDelay(true);
  // Heartbeats find dead peers; keepalive only reaps sockets nobody writes to any more.
  socket.setKeepAlive(true, 10_000);
}

/** A peer link's sink: past `max` unsent bytes the peer is gone or hopelessly behind, and `over` closes it. */
function boundedSink(socket: net.Socket, max: number, over: () => void): ByteSink {
  const s = new SocketSink(socket);
  return {
    write(b) {
      s.write(b);
      if (s.buffered() > max) over();
    },
    close: () => s.close(),
    peerAddress: () => s.peerAddress(),
  };
}

export function listenPeers(opts: PeerListenerOptions): Promise<PeerListener> {
  const sockets = new Set<net.Socket>();
  const max = opts.maxWriteBuffer ?? PEER_MAX_WRITE_BUFFER;
  const onSocket = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    tune(socket);
    const sink = boundedSink(socket, max, () => {
      opts.log?.warn(`peer link from ${remote}: more than ${max} bytes unsent; closing`);
      socket.destroy();
    });
    const ep = opts.accept(sink, remote);
    if (!ep) {
      socket.destroy();
      return;
    }
    socket.on('data', (b) => ep.receive(b));
    socket.on('close', () => ep.transportClosed());
  };
  const t = opts.tls;
  const server = t
    ? tls.createServer(
        {
          cert: t.cert,
          key: t.key,
          ca: t.ca,
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
        },
        onSocket,
      )
    : net.createServer(onSocket);
  server.on('tlsClientError', (e, socket) => {
    opts.log?.warn(
      `peer link from ${socket.remoteAddress}:${socket.remotePort}: TLS handshake failed: ${e.message}`,
    );
    socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve({
        server,
        port: a && typeof a === 'object' ? a.port : opts.port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}

export interface TcpPeerDialerOptions {
  /** A connect not established within this is abandoned (the core retries on its next heartbeat). */
  connectTimeoutMs: number;
  log?: Logger;
  maxWriteBuffer?: number;
  tls?: PeerTls;
}

/** env.peers over node:net: dials "host:port" (or "[v6]:port"). */
export class TcpPeerDialer implements PeerDialer {
  private sockets = new Set<net.Socket>();
  private stopped = false;

  constructor(private opts: TcpPeerDialerOptions) {}

  connect(address: string, handler: PeerDialHandler): void {
    let done = false;
    const closed = (): void => {
      if (done) return;
      done = true;
      handler.closed();
    };
    const hp = parseHostPort(address);
    if (!hp || this.stopped) {
      if (!hp) this.opts.log?.warn(`cluster: cannot dial ${JSON.stringify(address)}: not host:port`);
      // Never re-enter the core from inside its own connect() call.
      process.nextTick(closed);
      return;
    }
    const t = this.opts.tls;
    // Peers are dialled by address, often an IP: the CA signature is the check, not the host name.
    const socket = t
      ? tls.connect({
          host: hp.host,
          port: hp.port,
          cert: t.cert,
          key: t.key,
          ca: t.ca,
          minVersion: 'TLSv1.2',
          checkServerIdentity: () => undefined,
        })
      : net.connect({ host: hp.host, port: hp.port });
    this.sockets.add(socket);
    const timer = setTimeout(() => socket.destroy(), this.opts.connectTimeoutMs);
    timer.unref();
    const max = this.opts.maxWriteBuffer ?? PEER_MAX_WRITE_BUFFER;
    socket.once(t ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      tune(socket);
      handler.open(
        boundedSink(socket, max, () => {
          this.opts.log?.warn(`peer link to ${address}: more than ${max} bytes unsent; closing`);
          socket.destroy();
        }),
      );
    });
    socket.on('data', (b) => handler.data(b));
    let tcpUp = false;
    socket.once('connect', () => (tcpUp = true));
    socket.on('error', (e) => {
      // A failed TLS handshake is worth a line; a peer that is down is the heartbeat's business.
      if (t && tcpUp) this.opts.log?.warn(`peer link to ${address}: ${e.message}`);
      socket.destroy(); // 'close' follows
    });
    socket.on('close', () => {
      clearTimeout(timer);
      this.sockets.delete(socket);
      closed();
    });
  }

  /** Destroys every outbound socket, connecting or open; later dials fail at once. */
  close(): void {
    this.stopped = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
