// The history's events: one `type` per kind, with its fields. Whoever
// records an event (the world, a client, a load balancer, a scenario)
// builds one of these; checkers, the UI and reports narrow on `type`.
//
// The history hash runs over the fields in the order the recorder wrote
// them (sim/history.ts), so these are types only: a recorder keeps building
// its object literal field by field as before. Optional fields are set
// after the literal (`h`, `will`, `clear`), where the hash expects them.

import type { QoS } from 'mqtt-packet';

/** Fields every event a client records has: its id, and its host when it shares the id with another process. */
interface ClientFields {
  c: string;
  h?: string;
}

/** A node's name, or null before the client knows which node serves it (behind a balancer). */
type NodeName = string | null;

// ---- clients -------------------------------------------------------------

/** What the checkers need to know of a client to judge its session and will. */
export interface ClientConfigEvent extends ClientFields {
  type: 'client.config';
  version: number;
  clean: boolean;
  /** Session expiry, seconds (0xFFFFFFFF: never). */
  expiry: number;
  keepalive: number;
  will?: { topic: string; qos: number; delay: number; id: string };
}

export interface ClientConnectEvent extends ClientFields {
  type: 'client.connect';
  target: string;
}

/** CONNACK received: rc 0 accepted (with `present`), else refused (no `present`). */
export interface ClientConnackEvent extends ClientFields {
  type: 'client.connack';
  rc: number;
  present?: boolean;
  node: NodeName;
}

/** The client sent DISCONNECT with this reason code. */
export interface ClientDisconnectEvent extends ClientFields {
  type: 'client.disconnect';
  rc: number;
}

/** The client process was killed (no DISCONNECT). */
export interface ClientKillEvent extends ClientFields {
  type: 'client.kill';
}

/** The connection ended as the client saw it. */
export interface ClientClosedEvent extends ClientFields {
  type: 'client.closed';
  /** keepalive, timeout, reset, protocol-error... */
  reason: string;
  node: NodeName;
  /** The client's state when it closed (connecting, connected...). */
  was: string;
}

export interface ClientErrorEvent extends ClientFields {
  type: 'client.error';
  error: string;
}

/** The server sent DISCONNECT (0x8E: taken over). */
export interface ClientServerDisconnectEvent extends ClientFields {
  type: 'client.server-disconnect';
  rc: number;
}

export interface ClientKeepaliveTimeoutEvent extends ClientFields {
  type: 'client.keepalive-timeout';
  node: NodeName;
}

/** A strict client's answer to a server that broke the protocol (sim/client-guard.ts). */
export interface ProtocolViolationEvent extends ClientFields {
  type: 'protocol-violation';
  kind: string;
  /** The normative statement the server broke. */
  rule: string;
  detail: string;
  node: NodeName;
}

export interface PubInvokeEvent extends ClientFields {
  type: 'pub.invoke';
  /** `client:seq`, unique per run. */
  id: string;
  topic: string;
  qos: QoS;
  retain: boolean;
  /** A retained clear (empty payload). */
  clear?: boolean;
}

/** PUBACK/PUBCOMP (QoS 1/2, with the node that acknowledged) or sent (QoS 0). */
export interface PubOkEvent extends ClientFields {
  type: 'pub.ok';
  id: string;
  node?: NodeName;
}

export interface PubFailEvent extends ClientFields {
  type: 'pub.fail';
  id: string;
  rc: number;
}

export interface SubInvokeEvent extends ClientFields {
  type: 'sub.invoke';
  /** Comma-separated filters, `$share/{group}/` prefixes included. */
  filters: string;
}

export interface SubOkEvent extends ClientFields {
  type: 'sub.ok';
  /** Comma-separated granted QoS / reason codes. */
  granted: string;
}

/** A PUBLISH arrived at a client. */
export interface DeliverEvent extends ClientFields {
  type: 'deliver';
  id: string;
  topic: string;
  qos: QoS;
  dup: boolean;
  retain: boolean;
  node: NodeName;
}

export type ClientEvent =
  | ClientConfigEvent
  | ClientConnectEvent
  | ClientConnackEvent
  | ClientDisconnectEvent
  | ClientKillEvent
  | ClientClosedEvent
  | ClientErrorEvent
  | ClientServerDisconnectEvent
  | ClientKeepaliveTimeoutEvent
  | ProtocolViolationEvent
  | PubInvokeEvent
  | PubOkEvent
  | PubFailEvent
  | SubInvokeEvent
  | SubOkEvent
  | DeliverEvent;

// ---- nodes -----------------------------------------------------------------

/** The configured trade-offs the checkers hold losses against. */
export interface NodeConfigEvent {
  type: 'node.config';
  node: string;
  maxQueued: number;
  /** The broker's own drops and wills are in the history (the simulator), or not (live processes). */
  hooks: boolean;
  ackMode?: 'replicated' | 'local' | 'quorum';
  downAfterMs?: number;
  /**
   * How long two connections of one client id may overlap (ms) before the takeover must have closed the older
   * one (the checkers' settle): live processes record the bound their heartbeats guarantee (sim/live/live-world.ts);
   * the simulator records none and the checkers allow 1 s, a few round trips of its modelled network.
   */
  settleMs?: number;
}

export interface NodeStartEvent {
  type: 'node.start';
  node: string;
}

/** A standalone node restored its store on boot. */
export interface NodeRestoreEvent {
  type: 'node.restore';
  node: string;
  sessions: number;
  messages: number;
  retained: number;
  expired: number;
}

/** The broker dropped a message for a client (simulator only: the broker's hook). */
export interface DropEvent {
  type: 'drop';
  node: string;
  c: string;
  id: string;
  reason: string;
}

/** The broker published a client's will (simulator only). */
export interface WillEvent {
  type: 'will';
  node: string;
  c: string;
  topic: string;
}

/**
 * Something the cluster layer of a node reported (`cluster.peer.up`, `cluster.failover`...). Its
 * fields are those core/cluster emits with it; typed here as open until core's cluster events are.
 */
export interface ClusterHistoryEvent {
  type: `cluster.${string}`;
  node: string;
  [field: string]: string | number;
}

/** A message that came over a cluster link was published on `node` (core/link/; simulator only). */
export interface LinkInEvent {
  type: 'link.in';
  node: string;
  /** The cluster it came from, and the one it was published in (the same, unless a link forwarded it on). */
  from: string;
  origin: string;
  id: string;
  /** Sent again after a connection ended without its acknowledgement (at least once across a link). */
  resend: boolean;
}

/** The buffer of `node`'s link to cluster `link` was full: the message does not cross it (counted). */
export interface LinkDropEvent {
  type: 'link.drop';
  node: string;
  link: string;
  id: string;
}

/**
 * `from` passed messages `ids` (space-separated) on to `c`'s live session on `node`: in a copy of the session
 * it handed over (`handoff.msgs`), or as a forward that reached it after the session left (`moved.msgs`). If
 * the session could not wait for them (a copy made across a cut or a pause, forwards held by a cut), they come
 * after newer ones it sent already (the availability cases of docs/guarantees.md, Order).
 */
export interface PassedOnEvent {
  type: 'handoff.msgs' | 'moved.msgs';
  node: string;
  c: string;
  from: string;
  ids: string;
}

/** DNS discovery (core/cluster/discovery.ts) found a peer, or forgot one gone from the records. */
export interface DnsJoinEvent {
  type: 'dns.join';
  node: string;
  peer: string;
  address: string;
}

export interface DnsForgetEvent {
  type: 'dns.forget';
  node: string;
  peer: string;
}

export interface LbBackendEvent {
  type: 'lb.backend';
  lb: string;
  backend: string;
  healthy: boolean;
}

// ---- faults ----------------------------------------------------------------

/** `a` and `b`: comma-separated host names of the two sides. */
export interface PartitionEvent {
  type: 'fault.partition';
  a: string;
  b: string;
  oneWay: boolean;
}

/** Delays (not drops) traffic from a to b (and back unless oneWay). */
export interface ClogEvent {
  type: 'fault.clog';
  a: string;
  b: string;
  oneWay: boolean;
}

/** Every partition healed. */
export interface HealEvent {
  type: 'fault.heal';
}

export interface UnclogEvent {
  type: 'fault.unclog';
}

/** One partition healed (live only: the fault proxy repairs a pair of sides). */
export interface RepairEvent {
  type: 'fault.repair';
  a: string;
  b: string;
}

/** `n` connections between hosts a and b reset. */
export interface ResetEvent {
  type: 'fault.reset';
  a: string;
  b: string;
  n: number;
}

export interface CrashEvent {
  type: 'fault.crash';
  node: string;
  mode: 'process' | 'power';
}

export interface PauseEvent {
  type: 'fault.pause';
  node: string;
}

export interface UnpauseEvent {
  type: 'fault.unpause';
  node: string;
}

export interface SkewEvent {
  type: 'fault.skew';
  node: string;
  ms: number;
}

export interface DriftEvent {
  type: 'fault.drift';
  node: string;
  rate: number;
}

/** A disk fault began (`on`) or ended on a node's host: no space left, or fsync failing (sim/disk.ts). */
export interface DiskFaultEvent {
  type: 'fault.disk';
  node: string;
  fault: 'full' | 'fsync';
  on: boolean;
}

/** A fault the live world cannot inject (a real process's clock). */
export interface SkippedFaultEvent {
  type: 'fault.skipped';
  fault: 'skew' | 'drift';
  node: string;
  ms?: number;
  rate?: number;
}

export type FaultEvent =
  | PartitionEvent
  | ClogEvent
  | HealEvent
  | UnclogEvent
  | RepairEvent
  | ResetEvent
  | CrashEvent
  | PauseEvent
  | UnpauseEvent
  | SkewEvent
  | DriftEvent
  | DiskFaultEvent
  | SkippedFaultEvent;

// ---- verdicts and scenario events ----------------------------------------

/** A violation a scenario's checks found, recorded at the end of the run. */
export interface ViolationEvent {
  type: 'violation';
  property: string;
  detail: string;
}

/** scenarios/regressions/retained-ops.ts: a retained set or clear, its PUBACK, its writer's close. */
export interface RetainOpEvent {
  type: 'retain.op';
  c: string;
  id: string;
  topic: string;
  op: 'set' | 'clear';
}

export interface RetainAckEvent {
  type: 'retain.ack';
  c: string;
  id: string;
  rc: number;
}

export interface WriterClosedEvent {
  type: 'writer.closed';
  c: string;
  reason: string;
}

export type HistoryEvent =
  | ClientEvent
  | NodeConfigEvent
  | NodeStartEvent
  | NodeRestoreEvent
  | DropEvent
  | WillEvent
  | ClusterHistoryEvent
  | LinkInEvent
  | LinkDropEvent
  | PassedOnEvent
  | DnsJoinEvent
  | DnsForgetEvent
  | LbBackendEvent
  | FaultEvent
  | ViolationEvent
  | RetainOpEvent
  | RetainAckEvent
  | WriterClosedEvent;

/** An event as recorded: with its virtual time. */
export type At<E extends HistoryEvent = HistoryEvent> = E & { t: number };

/** Any recorded event. */
export type Ev = At<HistoryEvent>;

/** The event kind with this `type`. */
export type EventOf<T extends HistoryEvent['type']> = T extends `cluster.${string}`
  ? ClusterHistoryEvent & { type: T }
  : Extract<HistoryEvent, { type: T }>;

/** Whether an event is one the cluster layer reported. */
export function isCluster(e: HistoryEvent): e is ClusterHistoryEvent {
  return e.type.startsWith('cluster.');
}

/** A type guard for `filter`: `events.filter(is('deliver'))` is an array of deliveries. */
export function is<T extends HistoryEvent['type']>(type: T): (e: Ev) => e is Ev & At<EventOf<T>> {
  return (e): e is Ev & At<EventOf<T>> => e.type === type;
}

/** The message id an event names (publishes, deliveries, drops, retained operations), if it names one. */
export function idOf(e: Ev | undefined): string | undefined {
  switch (e?.type) {
    case 'pub.invoke':
    case 'pub.ok':
    case 'pub.fail':
    case 'deliver':
    case 'drop':
    case 'retain.op':
    case 'retain.ack':
      return e.id;
    default:
      return undefined;
  }
}
