// A TCP proxy in front of each node's cluster port that the live scenario
// runner controls per directed pair of nodes, with the simulator's network
// semantics (sim/network.ts):
//  - 'cut' (partition): bytes in that direction are held, as TCP would keep
//    retransmitting them, and delivered in order if the cut heals before the
//    connection gives up; held longer than the TCP user timeout, the
//    connection is reset. A new connection across a cut in either direction is
//    accepted by the proxy but never reaches the far node (a blackholed
//    handshake), so the dialer times out as it would on a real partition.
//  - 'hold' (clog): bytes are held and delivered later in order; connections open.
//  - 'open': bytes pass as they arrive.
// Nodes dial every peer through the peer's proxy port (its advertised address);
// the proxy learns who dials from the first frame the dialer sends (the
// cluster Hello, which names the node).

import net from 'node:net';

export type LinkState = 'open' | 'cut' | 'hold';

export interface FaultProxyOptions {
  /**
   * The dialing node's name from the first bytes of a connection: a name,
   * undefined when more bytes are needed, null when it cannot be told
   * (such a connection is never held or cut).
   */
  identify?: (first: Buffer) => string | null | undefined;
  /** Bytes held across a cut longer than this reset the connection (TCP user timeout), wall ms. */
  userTimeoutMs?: number;
  /** A connection waiting across a cut longer than this is dropped (connect timeout), wall ms. */
  connectTimeoutMs?: number;
}

const END = Symbol('end');
const RESET = Symbol('reset');
type Seg = Buffer | typeof END | typeof RESET;

/** One direction of a proxied connection. */
class Flow {
  held: Seg[] = [];
  heldSince = 0;
  done = false;
  constructor(readonly out: () => net.Socket | null) {}
}

class Pipe {
  src: string | null | undefined = undefined;
  upstream: net.Socket | null = null;
  connecting = false;
  openedAt = Date.now();
  closed = false;
  readonly up: Flow;
  readonly down: Flow;
  private first: Buffer[] = [];
  private firstLen = 0;

  constructor(
    readonly proxy: FaultProxy,
    readonly client: net.Socket,
    readonly dst: string,
    readonly port: number,
  ) {
    this.up = new Flow(() => (this.upstream && !this.connecting ? this.upstream : null));
    this.down = new Flow(() => this.client);
    client.setNoDelay(true);
    client.on('data', (b: Buffer) => this.fromClient(b));
    client.on('end', () => this.push(this.up, END));
    client.on('error', () => this.push(this.up, RESET));
    client.on('close', () => {
      // Gone before it reached the far side: nothing to deliver.
      if (!this.upstream || this.src === undefined) this.destroy();
      else if (!this.up.done) this.push(this.up, RESET);
    });
  }

  /** Directed pair of a flow: up = src>dst, down = dst>src. */
  state(f: Flow): LinkState {
    if (this.src === undefined) return 'hold';
    if (this.src === null) return 'open';
    return f === this.up ? this.proxy.state(this.src, this.dst) : this.proxy.state(this.dst, this.src);
  }

  private fromClient(b: Buffer): void {
    if (this.src === undefined) {
      this.first.push(b);
      this.firstLen += b.length;
      const id = this.proxy.identify(Buffer.concat(this.first, this.firstLen));
      if (id === undefined) {
        this.up.held.push(b);
        this.up.heldSince ||= Date.now();
        return;
      }
      this.src = id;
      this.first = [];
      this.up.held.push(b);
      this.up.heldSince ||= Date.now();
      this.pump();
      return;
    }
    this.push(this.up, b);
  }

  push(f: Flow, seg: Seg): void {
    if (f.done) return;
    if (seg === END || seg === RESET) f.done = true;
    if (f.held.length === 0 && this.state(f) === 'open' && f.out()) this.emit(f, seg);
    else {
      if (f.held.length === 0) f.heldSince = Date.now();
      f.held.push(seg);
    }
  }

  private emit(f: Flow, seg: Seg): void {
    const out = f.out()!;
    if (out.destroyed && seg !== RESET) return;
    if (seg === END) out.end();
    else if (seg === RESET) this.destroy();
    else out.write(seg);
  }

  /** Connects upstream once allowed and delivers whatever the states now let through. */
  pump(): void {
    if (this.closed || this.src === undefined) return;
    if (!this.upstream) {
      if (this.state(this.up) === 'cut' || this.state(this.down) === 'cut') return;
      this.connect();
      return;
    }
    for (const f of [this.up, this.down]) {
      if (this.state(f) !== 'open' || !f.out()) continue;
      const segs = f.held;
      f.held = [];
      f.heldSince = 0;
      for (const s of segs) {
        if (this.closed) return;
        this.emit(f, s);
      }
    }
  }

  private connect(): void {
    const up = net.connect({ host: '127.0.0.1', port: this.port, allowHalfOpen: true });
    this.upstream = up;
    this.connecting = true;
    up.setNoDelay(true);
    up.on('connect', () => {
      this.connecting = false;
      this.pump();
    });
    up.on('data', (b: Buffer) => this.push(this.down, b));
    up.on('end', () => this.push(this.down, END));
    up.on('error', () => this.push(this.down, RESET));
    up.on('close', () => {
      if (!this.down.done) this.push(this.down, RESET);
      // Refused before it connected: the dialer sees its connection reset.
      if (this.connecting) this.destroy();
    });
  }

  /** Aborts both sides (RST where the socket allows it). */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [this.client, this.upstream]) {
      if (!s || s.destroyed) continue;
      if (typeof s.resetAndDestroy === 'function' && s.readyState !== 'opening') s.resetAndDestroy();
      else s.destroy();
    }
    this.proxy.untrack(this);
  }

  /** Both directions finished and flushed. */
  get finished(): boolean {
    return this.up.done && this.down.done && this.up.held.length === 0 && this.down.held.length === 0;
  }
}

/** The dialing node's name from a cluster Hello frame ([u32 len][u8 type=1][JSON {node,...}]). */
export function helloNode(first: Buffer): string | null | undefined {
  if (first.length < 5) return undefined;
  const len = first.readUInt32BE(0);
  if (first[4] !== 1 || len > 64 * 1024) return null;
  if (first.length < 4 + len) return undefined;
  try {
    const body = JSON.parse(first.toString('utf8', 5, 4 + len));
    return typeof body.node === 'string' ? body.node : null;
  } catch {
    return null;
  }
}

export class FaultProxy {
  private links = new Map<string, LinkState>();
  private pipes = new Set<Pipe>();
  private servers: net.Server[] = [];
  private timer: NodeJS.Timeout;
  readonly identify: (first: Buffer) => string | null | undefined;
  private userTimeoutMs: number;
  private connectTimeoutMs: number;
  /** Connections reset by the user timeout, and dropped pending connects, for reports and tests. */
  stats = { connections: 0, userTimeouts: 0, connectTimeouts: 0 };
  private closed = false;

  constructor(opts: FaultProxyOptions = {}) {
    this.identify = opts.identify ?? helloNode;
    this.userTimeoutMs = opts.userTimeoutMs ?? 900_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;
    this.timer = setInterval(
      () => this.expire(),
      Math.max(10, Math.min(250, this.userTimeoutMs / 4, this.connectTimeoutMs / 4)),
    );
    this.timer.unref();
  }

  /** Listens on a loopback port (0 = any) in front of `node`'s real port; resolves to the bound port. */
  async front(node: string, targetPort: number, listenPort = 0): Promise<number> {
    if (this.closed) throw new Error(`no proxy for ${node}: the proxy is closed`);
    const server = net.createServer({ allowHalfOpen: true }, (sock) => {
      this.stats.connections++;
      const p = new Pipe(this, sock, node, targetPort);
      this.pipes.add(p);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => resolve());
    });
    // Closed while it bound: it must not keep the process alive.
    if (this.closed) server.close();
    else this.servers.push(server);
    return (server.address() as net.AddressInfo).port;
  }

  state(from: string, to: string): LinkState {
    return this.links.get(`${from}>${to}`) ?? 'open';
  }

  /** Sets the state of the directed pair from>to (and to>from unless oneWay). */
  set(from: string, to: string, state: LinkState, oneWay = false): void {
    const apply = (k: string) => {
      const cur = this.links.get(k) ?? 'open';
      // A cut outranks a clog on the same pair, as in the simulator's pathState.
      if (state === 'open') this.links.delete(k);
      else if (!(state === 'hold' && cur === 'cut')) this.links.set(k, state);
    };
    apply(`${from}>${to}`);
    if (!oneWay) apply(`${to}>${from}`);
    if (state === 'open') this.pumpAll();
  }

  /** Clears every cut and hold; held bytes flow again in order. */
  heal(): void {
    this.links.clear();
    this.pumpAll();
  }

  /** Clears every hold (cuts stay). */
  unclog(): void {
    for (const [k, v] of this.links) if (v === 'hold') this.links.delete(k);
    this.pumpAll();
  }

  /** Resets every proxied connection between a and b (either dialer). */
  reset(a: string, b: string): number {
    let n = 0;
    for (const p of [...this.pipes]) {
      if ((p.src === a && p.dst === b) || (p.src === b && p.dst === a)) {
        p.destroy();
        n++;
      }
    }
    return n;
  }

  get openConnections(): number {
    return this.pipes.size;
  }

  untrack(p: Pipe): void {
    this.pipes.delete(p);
  }

  private pumpAll(): void {
    for (const p of [...this.pipes]) p.pump();
  }

  private expire(): void {
    const now = Date.now();
    for (const p of [...this.pipes]) {
      if (p.closed || p.finished) {
        // Both directions ended and flushed: the sockets close by themselves.
        p.closed = true;
        this.untrack(p);
        continue;
      }
      if (!p.upstream && p.src !== undefined && now - p.openedAt > this.connectTimeoutMs) {
        this.stats.connectTimeouts++;
        p.destroy();
        continue;
      }
      for (const f of [p.up, p.down]) {
        if (f.held.length && p.state(f) === 'cut' && now - f.heldSince > this.userTimeoutMs) {
          this.stats.userTimeouts++;
          p.destroy();
          break;
        }
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const p of [...this.pipes]) p.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers = [];
  }
}
