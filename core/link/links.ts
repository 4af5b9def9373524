// Cluster linking (EMQX's Cluster Linking; docs/cluster-linking.md): independent clusters, each with
// its own membership and route table, exchange the messages the other side subscribes to. Every node
// keeps one outbound link per linked cluster (out-link.ts) for the messages published on it, and
// accepts the other clusters' nodes (in-link.ts), telling them the filters this cluster subscribes to.
// No route table, no sessions cross a link: only the set of filters, and the messages matching them.
//
// Loop-free by construction: a message crosses at most one link. Only the node where a client (or a
// will) published it sends it, once per linked cluster that subscribes; a message that came over a link
// is published in this cluster marked as such and never sent over another link. Three clusters linked in
// a ring each get a message once, from its origin.

import type { ByteSink, Clock, Crypto, PeerDialHandler, PeerDialer, Random, Timer } from '../env.ts';
import type { Message } from '../message.ts';
import { randomHex } from '../cluster/peer-link.ts';
import type { RouteTable } from '../cluster/route-table.ts';
import type { ClusterConfig } from '../cluster/config.ts';
import type { ClusterEvent } from '../cluster/events.ts';
import type { LocalNode } from '../cluster/local-node.ts';
import { DEFAULT_LINK_BUFFER, type LinkConfig, type LinkSettings } from './config.ts';
import { InLink, type InLinkHost } from './in-link.ts';
import type { LinkHost } from './link-host.ts';
import { OutLink, type LinkState } from './out-link.ts';
import type { LinkMsg } from './protocol.ts';

/** What the links need of their node (core/cluster/cluster.ts wires it). */
export interface LinksDeps {
  node: string;
  incarnation: string;
  clock: Clock;
  random: Random;
  crypto: Crypto;
  peers: PeerDialer;
  table: RouteTable;
  log(m: string): void;
  /** Publishes a message in this cluster (as a client's publish is: retained, routed, forwarded). */
  publish(msg: Message): void;
  countDropped(reason: string, n?: number): void;
  emit(e: ClusterEvent): void;
  /** The node stopped: the links close. */
  stopped(): boolean;
}

/** Observers (the simulator's history, the runtime's metrics). */
export interface LinkHooks {
  /** `msg` came over the link from `from` and is published here. */
  onIn?(msg: Message, from: string, m: LinkMsg): void;
  /** The buffer of the link to `link` was full: `msg` does not cross it. */
  onDrop?(link: string, msg: Message): void;
}

export interface LinkStatus {
  name: string;
  state: LinkState;
  /** The other cluster's node this one's link is connected to. */
  peer: string;
  sinceMs: number;
  /** Filters the other cluster subscribes to (what this node sends it). */
  routes: number;
  buffered: number;
  sent: number;
  acked: number;
  resent: number;
  dropped: number;
  /** Links from the other cluster's nodes up here now, and the messages they brought. */
  inbound: number;
  received: number;
}

/** One line for a node box of the terminal UI: `⇄B up 3r 0b` (routes, buffered; dropped when any). */
export function linksText(links: LinkStatus[]): string {
  return links
    .map((l) => `⇄${l.name} ${l.state} ${l.routes}r ${l.buffered}b${l.dropped ? ` ${l.dropped}✗` : ''}`)
    .join(' ');
}

const SESSIONS_KEPT = 1024;
const linkable = (filter: string): boolean => !filter.startsWith('$');

export class ClusterLinks {
  readonly outs: OutLink[];
  private ins = new Set<InLink>();
  /** Per dialer session: the highest seq published here (resends below it are acknowledged, not published). */
  private taken = new Map<string, number>();
  private receivedFrom = new Map<string, number>();
  private fromLink = new WeakSet<Message>();
  private pendingAdd = new Set<string>();
  private pendingDel = new Set<string>();
  private flushTimer: Timer | null = null;
  private timer: Timer | null = null;
  hooks: LinkHooks = {};

  constructor(
    readonly settings: LinkSettings,
    private d: LinksDeps,
  ) {
    const host: LinkHost = {
      node: d.node,
      session: `${d.node}.${d.incarnation}`,
      settings,
      now: () => this.now(),
      nonce: () => randomHex(d.random, 16),
      hmac: (k, data) => d.crypto.hmacSha256(k, data),
      dial: (address: string, h: PeerDialHandler) => d.peers.connect(address, h),
      log: (m) => d.log(m),
      dropped: (link, msg) => {
        d.countDropped('link-buffer');
        this.hooks.onDrop?.(link, msg);
      },
      changed: (l, state, why) =>
        d.emit(
          state === 'up'
            ? { type: 'link.up', link: l.name, peer: l.peer }
            : { type: 'link.down', link: l.name, why: why ?? '' },
        ),
    };
    this.outs = settings.links.map((c) => new OutLink(c, host));
    d.table.onFilter = (filter, present) => this.filterChanged(filter, present);
    this.schedule();
  }

  private now(): number {
    return this.d.clock.monotonic ? this.d.clock.monotonic() : this.d.clock.now();
  }

  private schedule(): void {
    this.timer = this.d.clock.setTimer(this.settings.pingIntervalMs, () => {
      if (this.d.stopped()) return this.stop();
      const now = this.now();
      for (const o of this.outs) o.tick(now);
      for (const l of [...this.ins]) l.tick(now);
      this.schedule();
    });
  }

  /** Every message entering this cluster on this node: sent over each link whose cluster subscribes to it. */
  publish(msg: Message): void {
    if (this.fromLink.has(msg) || msg.topic.startsWith('$')) return;
    for (const o of this.outs) o.publish(msg);
  }

  /** An inbound connection on the link listener. */
  accept(sink: ByteSink): { receive(b: Buffer): void; transportClosed(): void } {
    const d = this.d;
    const host: InLinkHost = {
      node: d.node,
      name: this.settings.name,
      timeoutMs: this.settings.timeoutMs,
      now: () => this.now(),
      nonce: () => randomHex(d.random, 16),
      hmac: (k, data) => d.crypto.hmacSha256(k, data),
      linkTo: (cluster) => this.linkTo(cluster),
      log: (m) => d.log(m),
      filters: () => this.filters(),
      taken: (s) => this.taken.get(s) ?? 0,
      took: (s, seq) => {
        this.taken.delete(s); // most recent last: the oldest session is forgotten first
        this.taken.set(s, seq);
        if (this.taken.size > SESSIONS_KEPT) this.taken.delete(this.taken.keys().next().value!);
      },
      publish: (from, m) => this.received(from, m),
      up: (l) => this.ins.add(l),
      down: (l) => this.ins.delete(l),
    };
    return new InLink(host, sink);
  }

  private linkTo(cluster: string): LinkConfig | undefined {
    return this.settings.links.find((l) => l.name === cluster);
  }

  private received(from: string, m: LinkMsg): void {
    const now = this.d.clock.now();
    const msg: Message = {
      topic: m.topic,
      payload: m.payload,
      qos: m.qos,
      retain: false,
      from: '',
      receivedAt: now,
    };
    if (m.ttl !== undefined) msg.expiresAt = now + m.ttl;
    if (m.props) msg.props = m.props;
    this.fromLink.add(msg);
    this.receivedFrom.set(from, (this.receivedFrom.get(from) ?? 0) + 1);
    this.hooks.onIn?.(msg, from, m);
    this.d.publish(msg);
  }

  /** The filters of this cluster's route table that may cross a link. */
  private filters(): string[] {
    return [...this.d.table.filters()].filter(linkable).sort();
  }

  private filterChanged(filter: string, present: boolean): void {
    if (!linkable(filter) || this.ins.size === 0) return;
    if (present) {
      if (!this.pendingDel.delete(filter)) this.pendingAdd.add(filter);
    } else if (!this.pendingAdd.delete(filter)) this.pendingDel.add(filter);
    // Changes of one moment (a resync replaces a node's routes) go out as one frame.
    this.flushTimer ??= this.d.clock.setTimer(0, () => {
      this.flushTimer = null;
      const add = [...this.pendingAdd];
      const del = [...this.pendingDel];
      this.pendingAdd.clear();
      this.pendingDel.clear();
      if (add.length + del.length) for (const l of this.ins) l.routes(add, del);
    });
  }

  status(): LinkStatus[] {
    const now = this.now();
    return this.outs.map((o) => {
      let inbound = 0;
      for (const l of this.ins) if (l.cluster === o.name) inbound++;
      return {
        name: o.name,
        state: o.state,
        peer: o.state === 'up' ? o.peer : '',
        sinceMs: Math.max(0, Math.round(now - o.since)),
        routes: o.routes,
        buffered: o.buffered,
        ...o.stats,
        inbound,
        received: this.receivedFrom.get(o.name) ?? 0,
      };
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.flushTimer?.cancel();
    for (const o of this.outs) o.stop();
    for (const l of [...this.ins]) l.close();
  }
}

/** The links of a cluster node, when its configuration has any (core/cluster/cluster.ts). */
export function linksOf(c: {
  readonly node: string;
  readonly incarnation: string;
  readonly stopped: boolean;
  readonly config: ClusterConfig;
  readonly broker: LocalNode;
  readonly routes: RouteTable;
  log(m: string): void;
  emit(e: ClusterEvent): void;
}): ClusterLinks | null {
  const { config, broker } = c;
  if (!config.links?.length || !config.name) return null;
  const env = broker.env;
  const settings: LinkSettings = {
    name: config.name,
    links: config.links,
    buffer: config.linkBuffer ?? DEFAULT_LINK_BUFFER,
    pingIntervalMs: config.heartbeatIntervalMs,
    timeoutMs: config.heartbeatTimeoutMs,
    reconnectMs: config.reconnectIntervalMs,
  };
  return new ClusterLinks(settings, {
    node: c.node,
    incarnation: c.incarnation,
    clock: env.clock,
    random: env.random,
    crypto: env.crypto!,
    peers: env.peers!,
    table: c.routes,
    log: (m) => c.log(m),
    publish: (msg) => broker.publish(msg),
    countDropped: (reason, n) => broker.countDropped(reason, n),
    emit: (e) => c.emit(e),
    stopped: () => c.stopped,
  });
}
