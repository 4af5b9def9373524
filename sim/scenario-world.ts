// The contract scenarios are written against: the simulator's World
// (sim/world.ts) and the live world of real processes (sim/live/live-world.ts)
// both implement it, so one scenario file runs in both, judged by the same
// checkers. What exists in only one of them is not here: the simulator's
// internals (a broker's state, a host, a link's latency, a raw dial) are
// reached through `sim`, which is null in a live run (`simOnly` throws
// LiveUnsupported there, and the live runner reports it).

import type { IPublishPacket, QoS } from 'mqtt-packet';
import type { BrokerConfig } from '../core/config.ts';
import type { History } from './history.ts';
import type { HistoryEvent } from './events.ts';
import type { Rng } from './rng.ts';
import type { ClientOptions, PublishOptions, ResolvedClientOptions } from './client.ts';
import type { LoadBalancerOptions } from './load-balancer.ts';
import type { SimClusterOptions, World } from './world.ts';
import type { MemberStatus } from '../core/cluster/membership.ts';
import type { LinkStatus } from '../core/link/links.ts';
import type { EvacuationOptions, EvacuationStatus } from '../core/cluster/evacuation.ts';
import type { RebalanceOptions, RebalanceStatus } from '../core/cluster/maintenance.ts';

/** What a scenario may call that has no live equivalent. */
export class LiveUnsupported extends Error {}

/** An MQTT client as a scenario drives it (SimClient, LiveClient). */
export interface ScenarioClient {
  readonly id: string;
  readonly opts: ResolvedClientOptions;
  /** The node serving its connection, once known. */
  readonly node: string | null;
  readonly connected: boolean;
  /** Accepted connections so far. */
  readonly connects: number;
  /** Publishes not yet acknowledged. */
  readonly inflight: number;
  /** Deliveries in arrival order (payload ids). */
  readonly received: { id: string; topic: string; qos: QoS; dup: boolean; retain: boolean }[];
  /** Ids of its QoS 1/2 publishes acknowledged. */
  readonly acked: Set<string>;
  onMessage: ((topic: string, payload: Buffer, pkt: IPublishPacket) => void) | null;
  connect(): void;
  disconnect(reasonCode?: number): void;
  /** The process dies: no DISCONNECT, its will is due. */
  kill(): void;
  subscribe(filter: string, qos: QoS): void;
  /** Publishes a message whose payload starts with a unique id `client:seq`; returns that id. */
  publish(topic: string, qos: QoS, opts?: PublishOptions): string;
}

/** A load balancer in front of the nodes (the simulator's, HAProxy). */
export interface ScenarioBalancer {
  /** The backends its health checks mark up. */
  healthyBackends(): string[];
}

/** A running clustered node's state, as its admin API shows it (`/api/cluster`, `/api/rebalance/status`, `/api/stats`). */
export interface NodeStatus {
  /** Its membership view (`cluster status`). */
  members: MemberStatus[];
  /** Its links to other clusters (cluster linking); empty without. */
  links: LinkStatus[];
  /** Sessions it holds (connected or not). */
  sessions: number;
  evacuation: EvacuationStatus | null;
  /** The rebalance it coordinates. */
  rebalance: RebalanceStatus | null;
  /** A replicant's relaying through the cores; null on a core. */
  relay: { relayedOut: number; relayedOn: number; duplicatesDropped: number } | null;
}

export interface ScenarioWorld {
  readonly seed: string;
  /** Virtual milliseconds since the start. */
  readonly now: number;
  readonly history: History;
  readonly clients: ReadonlyMap<string, ScenarioClient>;
  /** The simulator behind this world; null for real processes. */
  readonly sim: World | null;

  rng(label: string): Rng;
  record(ev: HistoryEvent): void;

  // ---- building
  addBroker(name: string, config?: Partial<BrokerConfig>): unknown;
  /** Nodes that form one cluster (each lists all as seeds). */
  addCluster(names: string[], opts?: SimClusterOptions): unknown[];
  addLoadBalancer(name: string, opts: LoadBalancerOptions): ScenarioBalancer;
  client(id: string, opts: ClientOptions): ScenarioClient;
  /** A second client with an id already in use (two processes, one client id): not in `clients`. */
  extraClient(id: string, opts: ClientOptions): ScenarioClient;

  // ---- observing
  /** Whether a node accepts clients. */
  isReady(node: string): boolean;
  /** The client ids each running node holds a live connection for. */
  connectedClients(): Promise<Map<string, string[]>>;
  /** Why the running nodes do not agree yet (membership, routes, retained); empty once converged. */
  convergenceProblems(): string[];
  /**
   * A running clustered node's state; null when it is not running. Live: the last reading of its admin API,
   * taken from the first ask on in every sleep/until (null until the first one).
   */
  nodeStatus(node: string): NodeStatus | null;

  // ---- planned maintenance (`runtime ctl rebalance ...`); rejects with why it cannot start
  /** `rebalance start --evacuation` on `node`. */
  startEvacuation(node: string, opts?: Partial<EvacuationOptions>): Promise<void>;
  /** `rebalance start` coordinated by `node`. */
  startRebalance(node: string, opts?: Partial<RebalanceOptions>): Promise<void>;

  // ---- faults
  partition(a: string[], b: string[], opts?: { oneWay?: boolean }): void;
  /** Cuts `name` off from every other host. */
  isolate(name: string): void;
  /** Removes every partition and clog. */
  heal(): void;
  /** Removes the partition and clog between two groups (both directions), leaving the others. */
  repair(a: string[], b: string[]): void;
  clog(a: string[], b: string[], opts?: { oneWay?: boolean }): void;
  unclog(): void;
  /** Resets every connection between two hosts. */
  resetConnections(a: string, b: string): void;
  /** 'process' (kill -9) or 'power' (peers stay half-open). */
  crash(name: string, mode?: 'process' | 'power'): void;
  restart(name: string): void;
  pause(name: string): void;
  unpause(name: string): void;
  /** Steps a node's clock (the live world records it as skipped: a real clock is not ours). */
  skew(name: string, ms: number): void;
  drift(name: string, rate: number): void;

  // ---- time
  sleep(ms: number): Promise<void>;
  /** Runs until `pred()` holds or `timeoutMs` of virtual time passes. */
  until(pred: () => boolean, opts: { timeoutMs: number; label?: string }): Promise<boolean>;
}

/** The simulator behind `w`, for what only it has; LiveUnsupported in a live run. */
export function simOnly(w: ScenarioWorld, what: string): World {
  if (!w.sim) throw new LiveUnsupported(`${what}: simulator internals are not reachable in a live run`);
  return w.sim;
}
