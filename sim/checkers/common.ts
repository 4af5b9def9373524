// What every checker shares: the event type, the verdict types, and views
// of the history built once per history (an index of publishes and
// deliveries, each client's connections, the configured trade-offs, the
// fault windows). Checkers read the recorded history only, never broker
// internals.

import type {
  At,
  ClientConnackEvent,
  DeliverEvent,
  DropEvent,
  Ev,
  PubInvokeEvent,
  PubOkEvent,
  SubInvokeEvent,
} from '../events.ts';
import { matches } from '../../core/topic.ts';

export type { Ev } from '../events.ts';

export interface Violation {
  property: string;
  detail: string;
  /** History events that show it. */
  excerpt: Ev[];
}

export interface Expectation {
  /** Subscriber client id. */
  client: string;
  filter: string;
  /** Messages published from this virtual time on must arrive. */
  from: number;
}

/** Counts per category of what a checker excused (a named trade-off within its bound) or counted without failing. */
export type Tally = Record<string, number>;

export function count(tally: Tally | undefined, category: string, n = 1): void {
  if (tally) tally[category] = (tally[category] ?? 0) + n;
}

export interface SafetyOptions {
  /** Filled in with the per-category counts of excused losses, resends and other counted non-failures. */
  tally?: Tally;
  /** With a heal time: a message published before it and first delivered at or after it may come after newer ones (order). */
  parkedUntil?: number;
  parked?: Ev[];
  /** The named trade-offs this run accepts (default DEFAULT_ACCEPTED); a loss in another category is a violation. */
  accept?: LossCategory[];
  /** Retained reads are judged for subscribes from this time on (default: 30 s after the last fault ended). */
  convergedAt?: number;
  /** Two live connections for one client id longer than this (ms) is a violation (default: settleOf). */
  settleMs?: number;
}

/** The checkers' settle when neither the options nor the nodes name one: a few round trips of the simulator's network. */
export const DEFAULT_SETTLE_MS = 1000;

/**
 * How long a takeover may leave two connections of one client id open: the options' settleMs, else the longest
 * a node of the history recorded (live processes: the bound their heartbeats guarantee), else DEFAULT_SETTLE_MS.
 */
export function settleOf(events: Ev[], opts: SafetyOptions = {}): number {
  if (opts.settleMs !== undefined) return opts.settleMs;
  let settle = 0;
  for (const n of timelineOf(events).nodes.values()) settle = Math.max(settle, n.settleMs ?? 0);
  return settle || DEFAULT_SETTLE_MS;
}

/**
 * The named, configured trade-offs that may excuse an acknowledged message not arriving, and
 * `qos2-crash`: a QoS 2 message delivered again after the node that delivered it crashed (qos2-once.ts).
 */
export type LossCategory =
  'ack-local' | 'queue-overflow' | 'session-expired' | 'split-subscribe' | 'pending-offline' | 'qos2-crash';

/**
 * Accepted unless a run says otherwise: what the spec allows (queue bound,
 * session expiry), the documented availability during a split, and a run
 * ending with the subscriber away. `ackMode: 'local'` trades durability
 * away on purpose: its losses are violations unless the run accepts them.
 * `qos2-crash` is not accepted either: a QoS 2 PUBLISH or PUBREL waits until
 * the session's copies hold its step (core/qos2-guard.ts).
 */
export const DEFAULT_ACCEPTED: LossCategory[] = [
  'queue-overflow',
  'session-expired',
  'split-subscribe',
  'pending-offline',
];

const matchCache = new Map<string, boolean>();
/** matches() memoized: histories repeat the same few (filter, topic) pairs millions of times. */
export function covers(filter: string, topic: string): boolean {
  const k = filter + '\u0000' + topic;
  let v = matchCache.get(k);
  if (v === undefined) {
    if (matchCache.size > 100_000) matchCache.clear();
    matchCache.set(k, (v = matches(filter, topic)));
  }
  return v;
}

/** The topic filter of a subscription, without a `$share/{group}/` or `$queue/` prefix. */
export function plainFilter(f: string): string {
  return f.replace(/^\$share\/[^/]+\//, '').replace(/^\$queue\//, '');
}

/** Memoizes a view of a history; rebuilt when the history grew. */
function memo<T>(build: (events: Ev[]) => T): (events: Ev[]) => T {
  const cache = new WeakMap<Ev[], { length: number; value: T }>();
  return (events) => {
    const c = cache.get(events);
    if (c && c.length === events.length) return c.value;
    const value = build(events);
    cache.set(events, { length: events.length, value });
    return value;
  };
}

/**
 * Publishes by message id, acknowledgements, deliveries and broker-logged
 * drops grouped by message id. Nested maps instead of `client|id` string
 * keys: histories hold millions of deliveries.
 */
export interface HistoryIndex {
  invoked: Map<string, At<PubInvokeEvent>>;
  acked: At<PubOkEvent>[];
  ackOf: Map<string, At<PubOkEvent>>;
  deliveries: Map<string, At<DeliverEvent>[]>;
  /** Drops the broker logged, per message id and client. */
  drops: Map<string, Map<string, At<DropEvent>>>;
  /** SUBSCRIBEs per client, in order. */
  subs: Map<string, At<SubInvokeEvent>[]>;
}

export const indexOf = memo((events): HistoryIndex => {
  const index: HistoryIndex = {
    invoked: new Map(),
    acked: [],
    ackOf: new Map(),
    deliveries: new Map(),
    drops: new Map(),
    subs: new Map(),
  };
  for (const e of events) {
    if (e.type === 'deliver') {
      const l = index.deliveries.get(e.id);
      if (l) l.push(e);
      else index.deliveries.set(e.id, [e]);
    } else if (e.type === 'pub.invoke') index.invoked.set(e.id, e);
    else if (e.type === 'pub.ok') {
      index.acked.push(e);
      index.ackOf.set(e.id, e);
    } else if (e.type === 'sub.invoke') {
      const l = index.subs.get(e.c);
      if (l) l.push(e);
      else index.subs.set(e.c, [e]);
    } else if (e.type === 'drop') {
      const d = index.drops.get(e.id);
      if (d) d.set(e.c, e);
      else index.drops.set(e.id, new Map([[e.c, e]]));
    }
  }
  return index;
});

/** A connection the client saw accepted (CONNACK 0), from its CONNACK to its end as the client saw it. */
export interface Conn {
  c: string;
  /** The client process: its host when it shares the id with another (`h`), else the id. */
  key: string;
  node: string | null;
  connackAt: number;
  present: boolean;
  /** Infinity: still open at the end of the history. */
  endAt: number;
  end: 'open' | 'closed' | 'kill' | 'disconnect';
  /** Reason code of the client's DISCONNECT. */
  rc?: number;
  /** The client.closed reason (keepalive, timeout, reset, protocol-error...). */
  reason?: string;
  connack: At<ClientConnackEvent>;
}

export interface ClientConfig {
  c: string;
  version: number;
  clean: boolean;
  /** Session expiry, seconds (0xFFFFFFFF: never). */
  expiry: number;
  keepalive: number;
  will?: { topic: string; qos: number; delay: number; id: string };
}

export interface NodeConfig {
  node: string;
  maxQueued: number;
  ackMode?: 'replicated' | 'local' | 'quorum';
  downAfterMs?: number;
  /** How long a takeover may take on this node (NodeConfigEvent.settleMs). */
  settleMs?: number;
  /** The broker's own drops and wills are in the history (simulator) or not (live). */
  hooks: boolean;
}

export interface Timeline {
  /** Accepted connections per client id, in CONNACK order. */
  conns: Map<string, Conn[]>;
  /** Client configuration per process key. */
  clients: Map<string, ClientConfig>;
  nodes: Map<string, NodeConfig>;
  /** Time of the last event. */
  end: number;
}

/** The client process of a client's event: its host when it shares the id with another, else the id. */
export function keyOf(e: { c: string; h?: string }): string {
  return e.h ?? e.c;
}

export const timelineOf = memo((events): Timeline => {
  const tl: Timeline = { conns: new Map(), clients: new Map(), nodes: new Map(), end: 0 };
  const open = new Map<string, Conn>();
  const ending = new Map<string, { end: Conn['end']; rc?: number }>();
  for (const e of events) {
    const type = e.type;
    if (type === 'deliver' || type.startsWith('pub.') || type === 'drop') continue;
    if (e.type === 'client.connack' && e.rc === 0) {
      const key = keyOf(e);
      const conn: Conn = {
        c: e.c,
        key,
        node: e.node ?? null,
        connackAt: e.t,
        present: !!e.present,
        endAt: Infinity,
        end: 'open',
        connack: e,
      };
      open.set(key, conn);
      ending.delete(key);
      let l = tl.conns.get(conn.c);
      if (!l) tl.conns.set(conn.c, (l = []));
      l.push(conn);
    } else if (e.type === 'client.disconnect') ending.set(keyOf(e), { end: 'disconnect', rc: e.rc });
    else if (e.type === 'client.kill') ending.set(keyOf(e), { end: 'kill' });
    else if (e.type === 'client.closed') {
      const key = keyOf(e);
      const conn = open.get(key);
      if (conn) {
        const how = ending.get(key);
        conn.endAt = e.t;
        conn.end = how?.end ?? 'closed';
        if (how?.rc !== undefined) conn.rc = how.rc;
        conn.reason = e.reason;
        open.delete(key);
      }
      ending.delete(key);
    } else if (e.type === 'client.config') {
      tl.clients.set(keyOf(e), {
        c: e.c,
        version: e.version,
        clean: !!e.clean,
        expiry: e.expiry,
        keepalive: e.keepalive,
        will: e.will,
      });
    } else if (e.type === 'node.config') {
      tl.nodes.set(e.node, {
        node: e.node,
        maxQueued: e.maxQueued,
        ackMode: e.ackMode,
        downAfterMs: e.downAfterMs,
        settleMs: e.settleMs,
        hooks: !!e.hooks,
      });
    }
  }
  tl.end = events.length ? events[events.length - 1].t : 0;
  return tl;
});

/** The connection of process `key` that was accepted and open at time `t`. */
export function connAt(tl: Timeline, c: string, key: string, t: number): Conn | undefined {
  const l = tl.conns.get(c);
  if (!l) return undefined;
  for (let i = l.length - 1; i >= 0; i--) {
    const x = l[i];
    if (x.key === key && x.connackAt <= t) return t <= x.endAt ? x : undefined;
  }
  return undefined;
}

/** A fault that may cut a node off or kill it, with the hosts it touches. */
export interface FaultWindow {
  kind: string;
  /** Hosts on each side (a crash or pause: one host, b empty). */
  a: string[];
  b: string[];
  from: number;
  /** When it ended (heal, unpause, restart); Infinity if never. */
  to: number;
  oneWay?: boolean;
  ev: Ev;
}

export const faultsOf = memo((events): FaultWindow[] => {
  const out: FaultWindow[] = [];
  const openOf = (pred: (f: FaultWindow) => boolean, t: number) => {
    for (const f of out) if (f.to === Infinity && pred(f)) f.to = t;
  };
  const split = (v: string) => v.split(',').filter(Boolean);
  for (const e of events) {
    const t = e.t;
    switch (e.type) {
      case 'fault.partition':
      case 'fault.clog':
        out.push({
          kind: e.type.slice(6),
          a: split(e.a),
          b: split(e.b),
          from: t,
          to: Infinity,
          oneWay: !!e.oneWay,
          ev: e,
        });
        break;
      case 'fault.heal':
        openOf((f) => f.kind === 'partition', t);
        break;
      case 'fault.unclog':
        openOf((f) => f.kind === 'clog', t);
        break;
      case 'fault.repair': {
        const a = split(e.a).join(',');
        const b = split(e.b).join(',');
        openOf(
          (f) =>
            f.kind === 'partition' &&
            ((f.a.join(',') === a && f.b.join(',') === b) || (f.a.join(',') === b && f.b.join(',') === a)),
          t,
        );
        break;
      }
      case 'fault.crash':
      case 'fault.pause':
        out.push({ kind: e.type.slice(6), a: [e.node], b: [], from: t, to: Infinity, ev: e });
        break;
      case 'fault.unpause': {
        const node = e.node;
        openOf((f) => f.kind === 'pause' && f.a[0] === node, t);
        break;
      }
      case 'node.start': {
        const node = e.node;
        openOf((f) => f.kind === 'crash' && f.a[0] === node, t);
        break;
      }
      case 'fault.reset':
        out.push({ kind: 'reset', a: [e.a], b: [e.b], from: t, to: t, ev: e });
        break;
      default:
        break;
    }
  }
  return out;
});

/** Whether a fault touches `node` at some time in [from, to]. */
export function faultTouches(
  faults: FaultWindow[],
  node: string,
  from: number,
  to: number,
): FaultWindow | undefined {
  for (const f of faults)
    if (f.from <= to && f.to >= from && (f.a.includes(node) || f.b.includes(node))) return f;
  return undefined;
}

/** The partition separating nodes x and y (either direction) at time t, if any. */
export function partitionBetween(
  faults: FaultWindow[],
  x: string,
  y: string,
  t: number,
): FaultWindow | undefined {
  for (const f of faults) {
    if (f.kind !== 'partition' || f.from > t || f.to <= t) continue;
    if ((f.a.includes(x) && f.b.includes(y)) || (f.a.includes(y) && f.b.includes(x))) return f;
  }
  return undefined;
}

/** Whether `f` is a partition or clog with nodes x and y on opposite sides (either direction). */
export function separates(f: FaultWindow, x: string, y: string): boolean {
  if (f.kind !== 'partition' && f.kind !== 'clog') return false;
  return (f.a.includes(x) && f.b.includes(y)) || (f.a.includes(y) && f.b.includes(x));
}

/** The end of the last fault (heal, unclog, unpause, restart), or 0 without faults. */
export function lastFaultEnd(faults: FaultWindow[]): number {
  let t = 0;
  for (const f of faults) t = Math.max(t, f.to === Infinity ? f.from : f.to);
  return t;
}

export function ms(t: number): string {
  return `${t.toFixed(1)} ms`;
}
