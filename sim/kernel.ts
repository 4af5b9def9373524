// The simulator's kernel: one event queue and virtual clock, the history,
// the hosts, the network between them (sockets, sim/network.ts; partitions
// and clogs, sim/topology.ts) and the balancers a dial may go through.
// What the simulated parts (hosts, sockets, clients, balancers) run on. The
// facade scenarios call (building nodes, faults, sleep/until: sim/world.ts)
// is a World over this kernel.

import { EventQueue, type EventHandler, type SimEvent } from './event-queue.ts';
import { History, type HistoryOptions } from './history.ts';
import type { HistoryEvent } from './events.ts';
import { SimHost } from './host.ts';
import { Network, type StreamEndpoint } from './network.ts';
import { Rng, type Latency } from './rng.ts';
import type { SimObserver } from './observe.ts';
import type { LoadBalancer } from './load-balancer.ts';
import { armTripwires } from './tripwire.ts';

export interface WorldOptions {
  seed: number | string;
  /** Default one-way latency of every link. */
  latency?: Latency;
  tcpUserTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * Each host's clock starts up to this many ms ahead of virtual time (seeded per host). Real processes
   * never share a clock: runtime/host.ts derives each one from Date.now(), whole milliseconds, so two
   * nodes on one machine differ by up to 1 ms, more across machines. 0 (the default): identical clocks.
   */
  clockSpreadMs?: number;
  history?: HistoryOptions;
  /** 'redis': every broker keeps its sessions in the world's simulated Redis (sim/redis.ts), added on first use. */
  store?: 'redis';
}

/** Runs a closure on a host when due, unless that host crashed meanwhile; held while paused. */
class HostCall implements EventHandler {
  constructor(
    private host: SimHost,
    private epoch: number,
    private fn: () => void,
  ) {}
  fire(_a: unknown, ev: SimEvent): void {
    if (this.host.epoch !== this.epoch || this.host.state === 'crashed') return;
    if (this.host.state === 'paused') return this.host.defer(ev);
    this.fn();
  }
}

export abstract class SimKernel {
  readonly seed: string;
  now = 0;
  readonly queue = new EventQueue();
  readonly history: History;
  readonly network: Network;
  readonly balancers = new Map<string, LoadBalancer>();
  private readonly hosts = new Map<string, SimHost>();
  eventsProcessed = 0;
  /** Sees every recorded event and may pace sleep/until (sim/observe.ts); null: the plain synchronous run. */
  observer: SimObserver | null = null;

  private clockSpreadMs: number;
  /** WorldOptions.store: the store brokers get unless a scenario says otherwise. */
  readonly defaultStore: 'redis' | undefined;

  constructor(opts: WorldOptions) {
    this.seed = String(opts.seed);
    this.clockSpreadMs = opts.clockSpreadMs ?? 0;
    this.defaultStore = opts.store;
    this.history = new History(opts.history);
    this.network = new Network(this, {
      latency: opts.latency ?? { kind: 'uniform', min: 0.2, max: 1 },
      tcpUserTimeoutMs: opts.tcpUserTimeoutMs ?? 900_000,
      connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
    });
  }

  rng(label: string): Rng {
    return new Rng(this.seed, label);
  }

  host(name: string, create = false): SimHost {
    let h = this.hosts.get(name);
    if (!h) {
      if (!create) throw new Error(`no host ${name}`);
      this.hosts.set(name, (h = new SimHost(this, name)));
      if (this.clockSpreadMs > 0) h.offset = this.rng(`clock/${name}`).next() * this.clockSpreadMs;
    }
    return h;
  }

  hostNames(): string[] {
    return [...this.hosts.keys()];
  }

  record(ev: HistoryEvent): void {
    this.history.record(this.now, ev);
    this.observer?.event?.(this.now, ev);
  }

  /** Schedules `fn` on `host` at virtual time `t` (dropped if the host crashes first). */
  at(t: number, host: SimHost, fn: () => void): void {
    this.queue.push(t, new HostCall(host, host.epoch, fn), null);
  }

  /**
   * Something a health check looks at changed (a host's state, a listener, a
   * partition or clog): load balancers resting between identical checks wake up.
   */
  topologyChanged(): void {
    for (const lb of this.balancers.values()) lb.wake();
  }

  /** Opens a client connection to a node or through a load balancer. */
  dial(from: SimHost, target: string, endpoint: StreamEndpoint, clientId: string): void {
    const lb = this.balancers.get(target);
    if (!lb) {
      this.network.connect(from, this.host(target), endpoint, undefined);
      return;
    }
    const state = this.network.pathState(from.name, lb.name);
    const backend = state === 'blocked' ? undefined : lb.pick(clientId);
    if (!backend) {
      // No healthy backend: the balancer accepts and closes at once.
      const epoch = from.epoch;
      this.at(this.now + 2 * this.network.latency(from.name, lb.name), from, () => {
        if (from.epoch === epoch) endpoint.onClose(state === 'blocked' ? 'timeout' : 'reset');
      });
      return;
    }
    const sock = this.network.connect(from, this.host(backend), endpoint, lb.name);
    if (sock) lb.proxied(sock);
  }

  /** Processes one event; false when the queue is empty. */
  step(): boolean {
    const ev = this.queue.pop();
    if (!ev) return false;
    if (ev.at > this.now) this.now = ev.at;
    if (ev.live) {
      this.eventsProcessed++;
      ev.handler.fire(ev.arg, ev);
    }
    return true;
  }

  /** Runs every event up to and including virtual time `t`, then sets the clock to `t`. */
  runUntil(t: number): void {
    const disarm = armTripwires();
    try {
      while (this.queue.peekTime() <= t) this.step();
      if (t > this.now) this.now = t;
    } finally {
      disarm();
    }
  }

  /** Whether a node accepts clients (the load balancer's health check asks this). */
  abstract isReady(node: string): boolean;
}
