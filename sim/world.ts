// The simulated world as scenarios call it (ScenarioWorld): nodes running
// the real broker core, clients, load balancers; faults are methods
// (partition, heal, crash, restart, pause, skew, clog); time moves only
// inside sleep/until/step. The queue, clock, hosts and network underneath
// are the kernel (sim/kernel.ts).

import { simSecurity, type SimSecurity } from './auth.ts';
import { createHmac } from 'node:crypto';
import { Broker } from '../core/broker.ts';
import { Cluster, defaultClusterConfig, type ClusterConfig } from '../core/cluster/cluster.ts';
import type { BrokerConfig } from '../core/config.ts';
import type { Env } from '../core/env.ts';
import type { NodeConfigEvent } from './events.ts';
import type { SimHost } from './host.ts';
import type { StreamEndpoint, SimSocket } from './network.ts';
import { armTripwires, suspendTripwires } from './tripwire.ts';
import type { Slice } from './observe.ts';
import { SimKernel } from './kernel.ts';

export type { WorldOptions } from './kernel.ts';
import { SimClient, payloadId, type ClientOptions } from './client.ts';
import { LoadBalancer, type LoadBalancerOptions } from './load-balancer.ts';
import { brokerConfig } from '../core/config.ts';
import type { NodeStatus, ScenarioWorld } from './scenario-world.ts';
import { nodeStatusOf } from './node-status.ts';
import { simProblems } from './convergence.ts';
import { defaultEvacuationOptions, type EvacuationOptions } from '../core/cluster/evacuation.ts';
import {
  defaultRebalanceOptions,
  type Maintenance,
  type RebalanceOptions,
} from '../core/cluster/maintenance.ts';
import { DEFAULT_HELD_LIMITS, ExternalStorage } from '../core/external-storage.ts';
import { REDIS_HOST, SimRedis, SimStoreLink, type SimRedisOptions } from './redis.ts';
import { wireLinks } from './links.ts';
import type { LinkConfig } from '../core/link/config.ts';

/**
 * The `node.config` history event: the configured trade-offs the checkers
 * hold losses against (ackMode, queue bound). `hooks`: the broker's drops and
 * wills are in the history (the simulator), or not (live processes).
 */
export function nodeConfigEvent(
  node: string,
  config: Partial<BrokerConfig>,
  cluster: Partial<ClusterConfig> | undefined,
  hooks: boolean,
): NodeConfigEvent {
  const ev: NodeConfigEvent = {
    type: 'node.config',
    node,
    maxQueued: brokerConfig(config).limits.maxQueuedMessages,
    hooks,
  };
  if (cluster) {
    const d = defaultClusterConfig('');
    ev.ackMode = cluster.ackMode ?? d.ackMode;
    ev.downAfterMs = cluster.heartbeatTimeoutMs ?? d.heartbeatTimeoutMs;
  }
  return ev;
}

export interface SimBroker {
  name: string;
  host: SimHost;
  broker: Broker | null;
  config: Partial<BrokerConfig>;
  /** Set for clustered nodes; the address is `${name}:cluster`. */
  cluster?: Partial<ClusterConfig>;
  /** The running node's cluster part (clustered nodes while up). */
  clustering?: Cluster | null;
  /** Keeps persistent sessions and retained messages on the host's disk and restores them on restart (a data dir). */
  persist?: boolean;
  /** Client authentication and ACL (sim/auth.ts). */
  security?: SimSecurity;
  /** 'redis': sessions, queues and retained messages in the world's Redis (addRedis), loaded on CONNECT. */
  store?: 'redis';
}

export interface SimClusterOptions {
  secret?: string;
  broker?: Partial<BrokerConfig>;
  cluster?: Partial<ClusterConfig>;
  security?: SimSecurity;
  /** Each node keeps its data on its host's disk (runtime: --data-dir) and restores it on restart. */
  persist?: boolean;
  store?: 'redis';
  /** Cluster linking: this cluster's name and its links (addresses: sim/links.ts linkAddress). */
  name?: string;
  links?: LinkConfig[];
}

/**
 * A client connection's socket endpoint on a broker (a class, not an object
 * of two arrow functions: under tsx each named closure was a dictionary-mode
 * object of ~250 bytes, per connection).
 */
class ConnEndpoint implements StreamEndpoint {
  constructor(private readonly conn: { receive(bytes: Buffer): void; transportClosed(): void }) {}
  onData(bytes: Buffer): void {
    this.conn.receive(bytes);
  }
  onClose(): void {
    this.conn.transportClosed();
  }
}

/** The simulator's world: what scenarios call (ScenarioWorld) over the kernel (sim/kernel.ts). */
export class World extends SimKernel implements ScenarioWorld {
  readonly brokers = new Map<string, SimBroker>();
  readonly clients = new Map<string, SimClient>();
  /** The world's Redis server, once added (sim/redis.ts). */
  redis: SimRedis | null = null;

  /** Itself: scenarios reach simulator internals (brokers, hosts, links) through `w.sim` (null live). */
  get sim(): World {
    return this;
  }

  // ---- building the world ---------------------------------------------

  addBroker(
    name: string,
    config: Partial<BrokerConfig> = {},
    cluster?: Partial<ClusterConfig>,
    opts: { persist?: boolean; security?: SimSecurity; store?: 'redis' } = {},
  ): SimBroker {
    if (this.brokers.has(name)) throw new Error(`broker ${name} exists`);
    const host = this.host(name, true);
    const b: SimBroker = {
      name,
      host,
      broker: null,
      config: { node: name, sysInterval: 0, ...config },
      cluster,
      persist: opts.persist,
      security: opts.security,
      store: opts.store ?? (opts.persist ? undefined : this.defaultStore),
    };
    if (b.store === 'redis' && !this.redis) this.addRedis();
    this.brokers.set(name, b);
    this.record(nodeConfigEvent(name, b.config, cluster, true));
    this.boot(b);
    return b;
  }

  /** Brokers that form one cluster by static discovery (each lists all as seeds). */
  addCluster(names: string[], opts: SimClusterOptions = {}): SimBroker[] {
    const seeds = names.map((n) => ({ node: n, address: `${n}:cluster` }));
    return names.map((n) =>
      this.addBroker(
        n,
        opts.broker ?? {},
        {
          secret: opts.secret ?? 'sim-secret',
          seeds,
          ...(opts.name && { name: opts.name, links: opts.links }),
          ...opts.cluster,
        },
        { security: opts.security, persist: opts.persist, store: opts.store },
      ),
    );
  }

  private boot(b: SimBroker): void {
    const env: Env = { clock: b.host, random: this.rng(`broker/${b.name}/${b.host.epoch}`) };
    if (b.persist) env.storage = b.host.disk;
    if (b.store === 'redis') env.storage = this.redisStorage(b.host);
    if (b.security) Object.assign(env, simSecurity(b.security, b.host));
    if (b.cluster) {
      const host = b.host;
      env.crypto = { hmacSha256: (key, data) => createHmac('sha256', key).update(data).digest('hex') };
      env.peers = {
        connect: (address, h) => {
          const [to, port] = address.split(':');
          this.network.connect(
            host,
            this.host(to, true),
            { onOpen: (s) => h.open(s), onData: (bytes) => h.data(bytes), onClose: () => h.closed() },
            undefined,
            port,
          );
        },
      };
    }
    const broker = new Broker(env, b.config);
    broker.hooks = {
      onDrop: (clientId, msg, reason) => {
        this.record({ type: 'drop', node: b.name, c: clientId, id: payloadId(msg.payload), reason });
      },
      onWill: (clientId, msg) => this.record({ type: 'will', node: b.name, c: clientId, topic: msg.topic }),
    };
    b.broker = broker;
    b.host.start();
    if (b.persist) this.record({ type: 'node.restore', node: b.name, ...broker.restore() });
    if (b.cluster) {
      const cfg: ClusterConfig = {
        ...defaultClusterConfig(`${b.name}:cluster`),
        ...b.cluster,
        address: `${b.name}:cluster`,
      };
      const cluster = new Cluster(broker, cfg);
      b.clustering = cluster;
      cluster.onEvent = (type, detail) => {
        this.record({ type: `cluster.${type}`, node: b.name, ...detail });
        if (type === 'evacuation') this.topologyChanged(); // its health changed: balancers check again
      };
      cluster.onPassedOn = (how, c, from, msgs) =>
        this.record({
          type: how === 'handoff' ? 'handoff.msgs' : 'moved.msgs',
          node: b.name,
          c,
          from,
          ids: msgs.map((m) => payloadId(m.payload)).join(' '),
        });
      this.network.listen(
        b.name,
        {
          accept: (sock: SimSocket): StreamEndpoint => {
            const link = cluster.acceptPeer(sock);
            return { onData: (bytes) => link.receive(bytes), onClose: () => link.transportClosed() };
          },
        },
        'cluster',
      );
      wireLinks(this.network, (ev) => this.record(ev), b.name, cluster);
    }
    this.network.listen(b.name, {
      accept: (sock: SimSocket): StreamEndpoint => {
        return new ConnEndpoint(broker.accept(sock, sock.peer.host.name));
      },
    });
    this.record({ type: 'node.start', node: b.name });
  }

  /** A Redis server on host `redis` for brokers with store 'redis' (faults: crashRedis, partitions, latency). */
  addRedis(opts: SimRedisOptions = {}): SimRedis {
    if (this.redis) throw new Error('the world has a Redis already');
    this.redis = new SimRedis(this.host(REDIS_HOST, true), this.network, { aof: true, ...opts });
    this.redis.start();
    return this.redis;
  }

  private redisStorage(host: SimHost): ExternalStorage {
    if (!this.redis) throw new Error("store 'redis' needs w.addRedis() first");
    const link = new SimStoreLink(host, this.redis.host, this.network);
    const { maxHeld, maxHeldBytes } = this.redis.opts;
    const limits = {
      ...DEFAULT_HELD_LIMITS,
      ...(maxHeld && { maxHeld }),
      ...(maxHeldBytes && { maxHeldBytes }),
    };
    const storage = new ExternalStorage(link, host, [], undefined, host.name, limits);
    link.results = storage;
    return storage;
  }

  /** Crashes the Redis host (without AOF it comes back empty: data loss the checkers report). */
  crashRedis(mode: 'process' | 'power' = 'process'): void {
    this.crash(REDIS_HOST, mode);
    this.redis!.crashed();
  }

  restartRedis(): void {
    this.redis!.start();
    this.record({ type: 'node.start', node: REDIS_HOST });
  }

  addLoadBalancer(name: string, opts: LoadBalancerOptions): LoadBalancer {
    const lb = new LoadBalancer(this, this.host(name, true), opts);
    this.balancers.set(name, lb);
    return lb;
  }

  client(id: string, opts: ClientOptions): SimClient {
    if (this.clients.has(id)) throw new Error(`client ${id} exists`);
    const c = new SimClient(this, id, opts);
    this.clients.set(id, c);
    return c;
  }

  /** A second client with an id already in use (two processes, one client id): not in `clients`. */
  extraClient(id: string, opts: ClientOptions): SimClient {
    return new SimClient(this, id, opts);
  }

  /** Whether a node accepts clients (the load balancer's health check asks this). */
  override isReady(node: string): boolean {
    const b = this.brokers.get(node);
    return !!b?.broker && b.host.state === 'up' && !b.clustering?.maintenance.draining;
  }

  // ---- planned maintenance (core/cluster/maintenance.ts) --------------------------------

  /** `rebalance start --evacuation` on `node`; throws why it cannot start. Options default as in the runtime. */
  evacuate(node: string, opts: Partial<EvacuationOptions> = {}): void {
    const err = this.cluster(node).maintenance.evacuate({ ...defaultEvacuationOptions, ...opts });
    if (err) throw new Error(`evacuate ${node}: ${err}`);
  }

  /** `rebalance start` coordinated by `node`; throws why it cannot start. */
  rebalance(node: string, opts: Partial<RebalanceOptions> = {}): void {
    const err = this.cluster(node).maintenance.rebalance({ ...defaultRebalanceOptions, ...opts });
    if (err) throw new Error(`rebalance ${node}: ${err}`);
  }

  /** `rebalance status` of `node`: its evacuation (or donor part) and the rebalance it coordinates. */
  rebalanceStatus(node: string): ReturnType<Maintenance['status']> {
    return this.cluster(node).maintenance.status();
  }

  /** evacuate(), as scenarios call it in both worlds (ScenarioWorld). */
  async startEvacuation(node: string, opts: Partial<EvacuationOptions> = {}): Promise<void> {
    this.evacuate(node, opts);
  }

  /** rebalance(), as scenarios call it in both worlds. */
  async startRebalance(node: string, opts: Partial<RebalanceOptions> = {}): Promise<void> {
    this.rebalance(node, opts);
  }

  /** A running clustered node's state (what its admin API would show); null when not running. */
  nodeStatus(node: string): NodeStatus | null {
    const c = this.clusterOrNull(node);
    return c && this.brokers.get(node)!.host.state === 'up' ? nodeStatusOf(this.broker(node), c) : null;
  }

  /** `rebalance stop` on `node`; false when nothing ran there. */
  stopRebalance(node: string): boolean {
    return this.cluster(node).maintenance.stop();
  }

  // ---- faults -----------------------------------------------------------

  partition(a: string[], b: string[], opts: { oneWay?: boolean } = {}): void {
    this.network.partition(a, b, opts.oneWay);
    this.record({ type: 'fault.partition', a: a.join(','), b: b.join(','), oneWay: !!opts.oneWay });
  }

  /** Cuts `name` off from every other host. */
  isolate(name: string): void {
    this.partition(
      [name],
      this.hostNames().filter((h) => h !== name),
    );
  }

  heal(): void {
    this.network.heal();
    this.record({ type: 'fault.heal' });
  }

  /** Removes the partition and clog between two groups (both directions), leaving the others. */
  repair(a: string[], b: string[]): void {
    this.network.repair(a, b);
    this.record({ type: 'fault.repair', a: a.join(','), b: b.join(',') });
  }

  clog(a: string[], b: string[], opts: { oneWay?: boolean } = {}): void {
    this.network.clog(a, b, opts.oneWay);
    this.record({ type: 'fault.clog', a: a.join(','), b: b.join(','), oneWay: !!opts.oneWay });
  }

  unclog(): void {
    this.network.unclog();
    this.record({ type: 'fault.unclog' });
  }

  /** Resets every connection between two hosts. */
  resetConnections(a: string, b: string): void {
    const n = this.network.resetBetween(a, b) + this.network.resetBetween(b, a);
    this.record({ type: 'fault.reset', a, b, n });
  }

  /**
   * Crashes a host. 'process' (kill -9: the OS resets its connections) or
   * 'power' (hardware failure: peers stay half-open, connects time out).
   * Volatile state is lost; unsynced disk writes too.
   */
  crash(name: string, mode: 'process' | 'power' = 'process'): void {
    const h = this.host(name);
    if (h.state === 'crashed') return;
    h.crash(mode);
    this.network.hostCrashed(h, mode === 'process');
    const b = this.brokers.get(name);
    if (b) {
      b.broker = null;
      b.clustering = null;
    }
    this.record({ type: 'fault.crash', node: name, mode });
  }

  restart(name: string): void {
    const b = this.brokers.get(name);
    if (!b) throw new Error(`no broker ${name}`);
    if (b.host.state !== 'crashed') this.crash(name, 'process');
    this.boot(b);
  }

  pause(name: string): void {
    this.host(name).pause();
    this.record({ type: 'fault.pause', node: name });
  }

  unpause(name: string): void {
    this.host(name).unpause();
    this.record({ type: 'fault.unpause', node: name });
  }

  /** Steps a host's clock by `ms` (NTP jump). */
  skew(name: string, ms: number): void {
    this.host(name).offset += ms;
    this.record({ type: 'fault.skew', node: name, ms });
  }

  /** The disk of `name`'s host is full (`on`) or has space again: its syncs fail meanwhile (sim/disk.ts). */
  diskFull(name: string, on: boolean): void {
    this.host(name).disk.full = on;
    this.record({ type: 'fault.disk', node: name, fault: 'full', on });
  }

  /** The fsyncs of `name`'s host fail (`on`: EIO) or work again. */
  fsyncFails(name: string, on: boolean): void {
    this.host(name).disk.fsyncFails = on;
    this.record({ type: 'fault.disk', node: name, fault: 'fsync', on });
  }

  /** Sets a host's clock drift (0.001 = runs 0.1% fast). */
  drift(name: string, rate: number): void {
    const h = this.host(name);
    const local = h.now();
    const mono = h.monotonic();
    h.drift = rate;
    h.offset = local - this.now * (1 + rate); // continuous at the change
    h.monoOffset = mono - this.now * (1 + rate);
    this.record({ type: 'fault.drift', node: name, rate });
  }

  broker(name: string): Broker {
    const b = this.brokers.get(name)?.broker;
    if (!b) throw new Error(`broker ${name} is not running`);
    return b;
  }

  /** The cluster part of a running clustered node. */
  cluster(name: string): Cluster {
    const c = this.clusterOrNull(name);
    if (!c) throw new Error(`${name} is not a running cluster node`);
    return c;
  }

  /** The cluster part of a node, or null when it is standalone or not running. */
  clusterOrNull(name: string): Cluster | null {
    const b = this.brokers.get(name);
    return b?.broker ? (b.clustering ?? null) : null;
  }

  /**
   * The client ids each running node holds a live connection for (what its admin API lists as
   * connected). Async, as in the live world, which asks the nodes; here it reads them at once.
   */
  async connectedClients(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const b of this.brokers.values()) {
      if (!b.broker || b.host.state !== 'up') continue;
      out.set(
        b.name,
        [...b.broker.connections].map((c) => c.clientId).filter((id): id is string => !!id),
      );
    }
    return out;
  }

  convergenceProblems(): string[] {
    return simProblems(this);
  }

  // ---- running -----------------------------------------------------------

  sleep(ms: number): Promise<void> {
    if (this.observer?.pace) return this.pacedUntil(null, this.now + ms).then(() => undefined);
    try {
      this.runUntil(this.now + ms);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Runs until `pred()` holds (checked after every event) or `timeoutMs` passes. */
  until(pred: () => boolean, opts: { timeoutMs: number; label?: string }): Promise<boolean> {
    const end = this.now + opts.timeoutMs;
    if (this.observer?.pace) return this.pacedUntil(pred, end);
    const disarm = armTripwires();
    try {
      for (;;) {
        if (pred()) return Promise.resolve(true);
        if (this.queue.peekTime() > end) break;
        this.step();
      }
      this.now = end;
      return Promise.resolve(pred());
    } catch (e) {
      return Promise.reject(e);
    } finally {
      disarm();
    }
  }

  /**
   * sleep/until under a pacing observer: the same sequence of pred() checks
   * and steps as the synchronous versions, with the observer awaited between
   * slices. The clock is only moved by events and, at the end, to `end`, as
   * there, so the history is the same.
   */
  private async pacedUntil(pred: (() => boolean) | null, end: number): Promise<boolean> {
    const disarm = armTripwires();
    let slice: Slice = { maxEvents: 0, untilMs: -Infinity };
    try {
      for (;;) {
        if (pred?.()) return true;
        if (this.queue.peekTime() > end) break;
        while (slice.maxEvents <= 0 || this.queue.peekTime() > slice.untilMs) {
          const resume = suspendTripwires();
          try {
            slice = await this.observer!.pace!(this, end);
          } finally {
            resume();
          }
        }
        this.step();
        slice.maxEvents--;
      }
      if (end > this.now) this.now = end;
      return pred ? pred() : true;
    } finally {
      disarm();
    }
  }

  /** Runs a whole script with ambient time and randomness tripwired throughout. */
  async run<T>(script: (w: World) => Promise<T>): Promise<T> {
    const disarm = armTripwires();
    try {
      return await script(this);
    } finally {
      disarm();
    }
  }
}
