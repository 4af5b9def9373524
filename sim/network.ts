// The simulated network: TCP-like connections (ordered, reliable byte
// streams) between hosts, carrying the exact bytes the core writes, with
// per-link latency and the faults TCP users meet: partitions (one-way or
// both) and clogged links (their state in sim/topology.ts), resets, refused
// and timed-out connects, and half-open connections after a power loss.

import type { ByteSink } from '../core/env.ts';
import type { EventHandler, SimEvent } from './event-queue.ts';
import type { SimHost } from './host.ts';
import type { SimKernel } from './kernel.ts';
import { sampleLatency, type Latency, type Rng } from './rng.ts';
import { Topology, type PathState } from './topology.ts';

export type CloseReason = 'fin' | 'reset' | 'timeout' | 'refused';

export interface StreamEndpoint {
  onOpen?(sock: SimSocket): void;
  onData(bytes: Buffer): void;
  onClose(reason: CloseReason): void;
}

/** Something that accepts connections on a host (a broker, the load balancer). */
export interface Listener {
  accept(sock: SimSocket): StreamEndpoint;
}

const FIN = Symbol('fin');
const RST = Symbol('rst');
type Segment = Buffer | typeof FIN | typeof RST;

let nextConnId = 1;

export class SimSocket implements ByteSink, EventHandler {
  peer!: SimSocket;
  endpoint: StreamEndpoint | null = null;
  /** Local side still open (not closed by the application or the peer). */
  open = true;
  readonly epoch: number;
  /** Last scheduled arrival at the peer: later segments never overtake it. */
  private lastAt = 0;
  held: Segment[] | null = null;
  /** Since when data sent by this side has gone unacknowledged (blocked path or dead peer). */
  unackedSince = -1;
  bytesSent = 0;
  /** Bytes the application on this side has taken (what the peer sent and is no longer buffered). */
  bytesTaken = 0;
  /** False until the application has the socket; segments wait in `early`. */
  ready = false;
  private early: Segment[] | null = null;
  /** Cached link state for this direction (latency stream). */
  link: LinkState | undefined = undefined;
  /** Second hop of a connection through a balancer (via → peer). */
  link2: LinkState | undefined = undefined;

  constructor(
    readonly net: Network,
    readonly host: SimHost,
    readonly id: number,
    /** Hop through which packets travel (the load balancer), if any. */
    readonly via: string | undefined,
  ) {
    this.epoch = host.epoch;
  }

  get alive(): boolean {
    return this.host.epoch === this.epoch && this.host.up;
  }

  write(bytes: Uint8Array): void {
    if (!this.open || !this.alive) return;
    this.bytesSent += bytes.length;
    this.net.send(this, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** Application close: FIN after everything written so far. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.endpoint = null;
    if (this.alive) this.net.send(this, FIN);
  }

  /** Bytes written here that the peer's application has not taken yet (in flight, held, or unread). */
  buffered(): number {
    return this.bytesSent - this.peer.bytesTaken;
  }

  /**
   * The application drops the connection (a slow consumer cut off): RST to the peer, and the
   * close is reported to this side's application as a later event, as a kernel does, never from
   * inside the write that decided it.
   */
  abort(): void {
    if (!this.open) return;
    const ep = this.endpoint;
    this.open = false;
    this.endpoint = null;
    if (this.alive) this.net.send(this, RST);
    if (!ep) return;
    this.aborted = ep;
    this.net.world.queue.push(this.net.world.now, reportReset, this);
  }

  /** The application of an aborted socket, told of the reset by the next event. */
  aborted: StreamEndpoint | null = null;

  /** Abortive close: RST to the peer, immediately. */
  reset(): void {
    const ep = this.endpoint;
    this.open = false;
    this.endpoint = null;
    if (this.alive) this.net.send(this, RST);
    ep?.onClose('reset');
  }

  /** A segment from the peer arrives here. */
  fire(seg: unknown, ev: SimEvent): void {
    const h = this.host;
    if (h.epoch !== this.epoch || !h.up) {
      // The process that owned this socket is gone. A live OS (after a process
      // crash, or rebooted) answers RST; a dead machine answers nothing and the
      // sender times out.
      const osAlive = h.up || h.crashMode === 'process';
      if (osAlive && seg !== RST) this.net.send(this, RST, true);
      else this.peer.markUnacked();
      return;
    }
    if (h.state === 'paused') {
      h.defer(ev);
      return;
    }
    this.peer.unackedSince = -1;
    if (!this.open) return;
    if (!this.ready) {
      // Arrived before the application took the socket (accept / connect completion): the kernel buffers it.
      (this.early ??= []).push(seg as Segment);
      return;
    }
    this.take(seg as Segment);
  }

  /** The application takes the socket: buffered segments are handed over in order. */
  attach(ep: StreamEndpoint, opened?: () => void): void {
    this.endpoint = ep;
    this.ready = true;
    opened?.();
    const early = this.early;
    this.early = null;
    if (early) for (const seg of early) if (this.open) this.take(seg);
  }

  private take(seg: Segment): void {
    const ep = this.endpoint;
    if (seg === FIN || seg === RST) {
      this.open = false;
      this.endpoint = null;
      ep?.onClose(seg === FIN ? 'fin' : 'reset');
      return;
    }
    this.bytesTaken += (seg as Buffer).length;
    ep?.onData(seg as Buffer);
  }

  schedule(seg: Segment, at: number): void {
    if (at < this.lastAt) at = this.lastAt;
    this.lastAt = at;
    this.net.world.queue.push(at, this.peer, seg);
  }

  markUnacked(): void {
    if (this.unackedSince >= 0) return;
    this.unackedSince = this.net.world.now;
    this.net.armUserTimeout(this);
  }

  /** TCP gave up retransmitting: the connection is dead on this side only. */
  timedOut(): void {
    if (!this.open) return;
    const ep = this.endpoint;
    this.open = false;
    this.endpoint = null;
    ep?.onClose('timeout');
  }
}

export interface LinkState {
  latency?: Latency;
  rng: Rng;
}

export interface NetworkOptions {
  latency: Latency;
  /** How long unacknowledged data is retransmitted before TCP gives up (Linux default ≈ 15 min). */
  tcpUserTimeoutMs: number;
  /** How long a connect waits for an answer (SYN retries). */
  connectTimeoutMs: number;
}

/** Tells an application its connection was reset (see SimSocket.abort). */
const reportReset: EventHandler = {
  fire(sock: unknown, ev: SimEvent): void {
    const s = sock as SimSocket;
    if (!s.alive) return; // the process is gone, and its connections with it
    if (s.host.state === 'paused') return s.host.defer(ev);
    const ep = s.aborted;
    s.aborted = null;
    ep?.onClose('reset');
  },
};

class UserTimeout implements EventHandler {
  fire(sock: unknown): void {
    const s = sock as SimSocket;
    if (s.unackedSince < 0) return;
    const due = s.unackedSince + s.net.opts.tcpUserTimeoutMs;
    if (s.net.world.now >= due) s.timedOut();
    else s.net.world.queue.push(due, this, s);
  }
}
const userTimeout = new UserTimeout();

export class Network {
  /** Partitions and clogs between hosts. */
  readonly topology = new Topology();
  private links = new Map<string, LinkState>();
  private holding = new Set<SimSocket>();
  readonly listeners = new Map<string, Listener>();
  /** Sockets per host, to reset or orphan them when the host crashes. */
  private sockets = new Map<string, Set<SimSocket>>();

  constructor(
    readonly world: SimKernel,
    readonly opts: NetworkOptions,
  ) {}

  // ---- links and faults -----------------------------------------------

  setLatency(a: string, b: string, l: Latency, bothWays = true): void {
    this.link(a, b).latency = l;
    if (bothWays) this.link(b, a).latency = l;
  }

  // Faults change the topology (sim/topology.ts); the sockets react: balancers re-check, held data flows.

  /** Blocks a→b (and b→a unless oneWay) for every host in the groups. */
  partition(groupA: string[], groupB: string[], oneWay = false): void {
    this.topology.partition(groupA, groupB, oneWay);
    this.world.topologyChanged();
  }

  clog(groupA: string[], groupB: string[], oneWay = false): void {
    this.topology.clog(groupA, groupB, oneWay);
    this.world.topologyChanged();
  }

  /** Removes every partition and clog; held data flows again. */
  heal(): void {
    this.topology.heal();
    this.world.topologyChanged();
    this.flushHeld();
  }

  unclog(): void {
    this.topology.unclog();
    this.world.topologyChanged();
    this.flushHeld();
  }

  repair(groupA: string[], groupB: string[]): void {
    this.topology.repair(groupA, groupB);
    this.world.topologyChanged();
    this.flushHeld();
  }

  get partitions(): string[] {
    return this.topology.partitions;
  }

  pathState(from: string, to: string, via?: string): PathState {
    return this.topology.pathState(from, to, via);
  }

  latency(from: string, to: string, via?: string): number {
    if (via) return this.latency(from, via) + this.latency(via, to);
    const l = this.link(from, to);
    return sampleLatency(l.latency ?? this.opts.latency, l.rng);
  }

  /** One-way latency for a socket's direction, with its link looked up once. */
  socketLatency(s: SimSocket): number {
    if (s.via) {
      // Two hops through the balancer: both links looked up once per socket, sampled in the same order as latency().
      const a = (s.link ??= this.link(s.host.name, s.via));
      const b = (s.link2 ??= this.link(s.via, s.peer.host.name));
      const la = sampleLatency(a.latency ?? this.opts.latency, a.rng);
      return la + sampleLatency(b.latency ?? this.opts.latency, b.rng);
    }
    const l = (s.link ??= this.link(s.host.name, s.peer.host.name));
    return sampleLatency(l.latency ?? this.opts.latency, l.rng);
  }

  private link(a: string, b: string): LinkState {
    const k = `${a}>${b}`;
    let l = this.links.get(k);
    if (!l) this.links.set(k, (l = { rng: this.world.rng(`link/${k}`) }));
    return l;
  }

  // ---- data path ------------------------------------------------------

  send(s: SimSocket, seg: Segment, bypassHold = false): void {
    const from = s.host.name;
    const to = s.peer.host.name;
    const state = this.pathState(from, to, s.via);
    if (!bypassHold && (state !== 'open' || s.held)) {
      (s.held ??= []).push(seg);
      this.holding.add(s);
      if (state === 'blocked') s.markUnacked();
      return;
    }
    if (state !== 'open') return; // an RST into a partition is simply lost
    s.schedule(seg, this.world.now + this.socketLatency(s));
  }

  private flushHeld(): void {
    for (const s of [...this.holding]) {
      const state = this.pathState(s.host.name, s.peer.host.name, s.via);
      if (state !== 'open' || !s.held) continue;
      const segs = s.held;
      s.held = null;
      this.holding.delete(s);
      if (!s.alive) continue;
      for (const seg of segs)
        s.schedule(seg, this.world.now + this.latency(s.host.name, s.peer.host.name, s.via));
    }
  }

  armUserTimeout(s: SimSocket): void {
    this.world.queue.push(this.world.now + this.opts.tcpUserTimeoutMs, userTimeout, s);
  }

  // ---- connections ----------------------------------------------------

  /** Registers what accepts connections on `host` (port: default MQTT, or e.g. 'cluster'). */
  listen(host: string, l: Listener, port?: string): void {
    this.listeners.set(port ? `${host}:${port}` : host, l);
    this.world.topologyChanged();
  }

  unlisten(host: string, port?: string): void {
    this.listeners.delete(port ? `${host}:${port}` : host);
    this.world.topologyChanged();
  }

  /**
   * Opens a connection from `from` to `to` (optionally through `via`).
   * The endpoint gets onOpen after one round trip, or onClose('refused'|'timeout').
   */
  connect(
    from: SimHost,
    to: SimHost,
    endpoint: StreamEndpoint,
    via?: string,
    port?: string,
  ): SimSocket | undefined {
    const w = this.world;
    const fwd = this.pathState(from.name, to.name, via);
    const back = this.pathState(to.name, from.name, via);
    const fromEpoch = from.epoch;
    if (fwd === 'blocked' || back === 'blocked' || (to.state === 'crashed' && to.crashMode === 'power')) {
      w.at(w.now + this.opts.connectTimeoutMs, from, () => {
        if (from.epoch === fromEpoch) endpoint.onClose('timeout');
      });
      return;
    }
    const rtt = this.latency(from.name, to.name, via) + this.latency(to.name, from.name, via);
    const listener = this.listeners.get(port ? `${to.name}:${port}` : to.name);
    if (to.state === 'crashed' || !listener) {
      w.at(w.now + rtt, from, () => {
        if (from.epoch === fromEpoch) endpoint.onClose('refused');
      });
      return;
    }
    const id = nextConnId++;
    const c = new SimSocket(this, from, id, via);
    const srv = new SimSocket(this, to, id, via);
    c.peer = srv;
    srv.peer = c;
    this.track(from, c);
    this.track(to, srv);
    // The server's kernel completes the handshake; the application accepts
    // when it next runs (later, if the process is paused).
    w.at(w.now + rtt / 2, to, () => {
      if (!srv.alive || !srv.open) return;
      srv.attach(listener.accept(srv));
    });
    w.at(w.now + rtt, from, () => {
      if (!c.open || !c.alive) return;
      c.attach(endpoint, () => endpoint.onOpen?.(c));
    });
    return c;
  }

  private track(h: SimHost, s: SimSocket): void {
    let set = this.sockets.get(h.name);
    if (!set) this.sockets.set(h.name, (set = new Set()));
    set.add(s);
    if (set.size > 256 && set.size % 256 === 0) for (const x of set) if (!x.open || !x.alive) set.delete(x);
  }

  /**
   * The host's process died. With `notifyPeers` (the OS survived, as with
   * kill -9) peers get an RST; without (power loss) they are left half-open.
   */
  hostCrashed(h: SimHost, notifyPeers: boolean): void {
    const set = this.sockets.get(h.name);
    if (!set) return;
    this.sockets.delete(h.name);
    for (const s of set) {
      if (!s.open) continue;
      s.open = false;
      s.endpoint = null;
      s.held = null;
      this.holding.delete(s);
      if (notifyPeers && this.pathState(h.name, s.peer.host.name, s.via) === 'open') {
        s.peer.net.world.queue.push(
          this.world.now + this.latency(h.name, s.peer.host.name, s.via),
          s.peer,
          RST,
        );
      }
    }
  }

  /** Resets every connection between hosts a and b (either direction). */
  resetBetween(a: string, b: string): number {
    let n = 0;
    for (const s of this.sockets.get(a) ?? []) {
      if (s.open && s.peer.host.name === b) {
        s.reset();
        n++;
      }
    }
    return n;
  }

  /**
   * The hop a connection runs through (the load balancer) aborts it: an RST
   * to each end over that end's own hop, so a partition or a paused host on
   * the far side does not hold back the other side's reset.
   */
  abortVia(s: SimSocket): void {
    const via = s.via;
    if (!via) return;
    for (const end of [s, s.peer]) {
      if (!end.open || !end.alive || this.pathState(via, end.host.name) !== 'open') continue;
      this.world.queue.push(this.world.now + this.latency(via, end.host.name), end, RST);
    }
  }

  connectionsOf(host: string): SimSocket[] {
    return [...(this.sockets.get(host) ?? [])].filter((s) => s.open && s.alive);
  }
}
