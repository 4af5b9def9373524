// Checkers read the recorded history only (never broker internals), as a
// client-side observer would: what was acknowledged, what arrived.

import type { HistoryEvent } from './history.ts';
import { matches } from '../core/topic.ts';

type Ev = HistoryEvent & { t: number };

const matchCache = new Map<string, boolean>();
/** matches() memoized: histories repeat the same few (filter, topic) pairs millions of times. */
function covers(filter: string, topic: string): boolean {
  const k = filter + '\u0000' + topic;
  let v = matchCache.get(k);
  if (v === undefined) {
    if (matchCache.size > 100_000) matchCache.clear();
    matchCache.set(k, (v = matches(filter, topic)));
  }
  return v;
}

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

/**
 * One pass over the history, shared by every checker that reads the same
 * events: publishes by message id, acknowledgements, deliveries and drops
 * grouped by message id. Nested maps instead of `client|id` string keys:
 * histories hold millions of deliveries.
 */
interface HistoryIndex {
  invoked: Map<string, Ev>;
  acked: Ev[];
  deliveries: Map<string, Ev[]>;
  drops: Map<string, Set<string>>;
}

const indexes = new WeakMap<Ev[], { length: number; index: HistoryIndex }>();

function indexOf(events: Ev[]): HistoryIndex {
  const cached = indexes.get(events);
  if (cached && cached.length === events.length) return cached.index;
  const index: HistoryIndex = { invoked: new Map(), acked: [], deliveries: new Map(), drops: new Map() };
  for (const e of events) {
    const type = e.type;
    if (type === 'deliver') {
      const id = e.id as string;
      const l = index.deliveries.get(id);
      if (l) l.push(e);
      else index.deliveries.set(id, [e]);
    } else if (type === 'pub.invoke') index.invoked.set(e.id as string, e);
    else if (type === 'pub.ok') index.acked.push(e);
    else if (type === 'drop') {
      const id = e.id as string;
      const d = index.drops.get(id);
      if (d) d.add(e.c as string);
      else index.drops.set(id, new Set([e.c as string]));
    }
  }
  indexes.set(events, { length: events.length, index });
  return index;
}

function reached(ds: Ev[] | undefined, client: string): boolean {
  if (ds) for (const d of ds) if (d.c === client) return true;
  return false;
}

/**
 * No acknowledged QoS 1/2 message lost: every publish acknowledged to its
 * publisher (pub.ok) whose topic matches an expectation must be delivered
 * to that subscriber, unless the broker recorded dropping it, with a reason.
 */
export function checkNoLoss(events: Ev[], expect: Expectation[]): Violation[] {
  const { invoked, acked, deliveries, drops } = indexOf(events);
  const out: Violation[] = [];
  for (const ok of acked) {
    const inv = invoked.get(ok.id as string);
    if (!inv || (inv.qos as number) === 0) continue;
    const id = inv.id as string;
    const ds = deliveries.get(id);
    for (const x of expect) {
      if (inv.t < x.from || !covers(x.filter, inv.topic as string)) continue;
      if (!reached(ds, x.client) && !drops.get(id)?.has(x.client)) {
        out.push({ property: 'no-acked-loss', detail: `${id} (QoS ${inv.qos} on ${inv.topic}) acknowledged at ${ok.t.toFixed(1)} ms never reached ${x.client}`, excerpt: [inv, ok] });
      }
    }
  }
  return out;
}

/** QoS 2 is exactly once: no message delivered twice to one client at QoS 2. */
export function checkNoQos2Duplicates(events: Ev[]): Violation[] {
  const out: Violation[] = [];
  for (const ds of indexOf(events).deliveries.values()) {
    for (let i = 1; i < ds.length; i++) {
      const e = ds[i];
      if (e.qos !== 2 || e.retain) continue;
      for (let j = 0; j < i; j++) {
        const prev = ds[j];
        if (prev.c === e.c && prev.qos === 2 && !prev.retain) {
          out.push({ property: 'qos2-exactly-once', detail: `${e.id} delivered twice to ${e.c}`, excerpt: [prev, e] });
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Per publisher and topic, each subscriber first sees messages in publish
 * order. Redeliveries (DUP, or a second copy of a message already seen)
 * are at-least-once duplicates, not reordering. With `parkedUntil` (a heal
 * time), a message published before it and first delivered at or after it
 * may come after newer ones: it is collected in `parked`, not a violation.
 */
export function checkOrder(events: Ev[], opts: { parkedUntil?: number; parked?: Ev[] } = {}): Violation[] {
  const { deliveries, invoked } = indexOf(events);
  const parkedUntil = opts.parkedUntil ?? Infinity;
  // Per client, per publisher|topic|qos stream: the highest sequence seen first so far.
  const last = new Map<string, Map<string, { seq: number; ev: Ev }>>();
  const out: Violation[] = [];
  for (const e of events) {
    if (e.type !== 'deliver' || e.dup || e.retain) continue;
    const id = e.id as string;
    const c = e.c as string;
    // Only a message's first arrival at this client counts.
    const ds = deliveries.get(id)!;
    let first = true;
    for (const d of ds) {
      if (d === e) break;
      if (d.c === c && !d.retain && !d.dup) {
        first = false;
        break;
      }
    }
    if (!first) continue;
    const colon = id.indexOf(':');
    const seq = Number(id.slice(colon + 1));
    const k = `${id.slice(0, colon)}|${e.topic}|${e.qos}`;
    let streams = last.get(c);
    if (!streams) last.set(c, (streams = new Map()));
    const prev = streams.get(k);
    if (prev && seq < prev.seq) {
      // The documented weaker property: a message parked with a replica the partition cut off arrives after the heal, after newer ones.
      const inv = invoked.get(id);
      if (e.t >= parkedUntil && inv && inv.t < parkedUntil) opts.parked?.push(e);
      else out.push({ property: 'order', detail: `${c} got ${id} after ${prev.ev.id} on ${e.topic}`, excerpt: [prev.ev, e] });
    }
    if (!prev) streams.set(k, { seq, ev: e });
    else if (seq > prev.seq) {
      prev.seq = seq;
      prev.ev = e;
    }
  }
  return out;
}

/** No message delivered to a client that never subscribed to a matching filter. */
export function checkOnlySubscribed(events: Ev[]): Violation[] {
  const filters = new Map<string, string[]>();
  const out: Violation[] = [];
  for (const e of events) {
    if (e.type === 'sub.invoke') {
      const list = filters.get(e.c as string) ?? [];
      list.push(...String(e.filters).split(',').map((f) => f.replace(/^\$share\/[^/]+\//, '').replace(/^\$queue\//, '')));
      filters.set(e.c as string, list);
    } else if (e.type === 'deliver') {
      const fs = filters.get(e.c as string) ?? [];
      if (!fs.some((f) => covers(f, e.topic as string))) out.push({ property: 'only-subscribed', detail: `${e.c} got ${e.id} on ${e.topic} without a matching subscription`, excerpt: [e] });
    }
  }
  return out;
}

export function checkSafety(events: Ev[], expect: Expectation[]): Violation[] {
  return [...checkNoLoss(events, expect), ...checkNoQos2Duplicates(events), ...checkOrder(events), ...checkOnlySubscribed(events)];
}

export interface PhaseStats {
  phase: string;
  published: number;
  delivered: number;
  lost: number;
  duplicated: number;
  maxDelayMs: number;
}

/**
 * Per-phase figures from the history: publishes acknowledged in the phase,
 * their deliveries (whenever they arrived), losses against `expect`, and
 * duplicate deliveries of one message to one client.
 */
export function phaseStats(events: Ev[], phases: { name: string; from: number; to: number }[], expect: Expectation[]): PhaseStats[] {
  const { invoked, acked, deliveries } = indexOf(events);
  const lostIds = new Set(checkNoLoss(events, expect).map((v) => `${v.excerpt[0].id}`));
  return phases.map((ph) => {
    let published = 0;
    let delivered = 0;
    let duplicated = 0;
    let lost = 0;
    let maxDelayMs = 0;
    for (const ok of acked) {
      const inv = invoked.get(ok.id as string);
      if (!inv || inv.t < ph.from || inv.t >= ph.to) continue;
      published++;
      const id = inv.id as string;
      if (lostIds.has(id)) lost++;
      const ds = deliveries.get(id);
      if (!ds) continue;
      for (let i = 0; i < ds.length; i++) {
        const d = ds[i];
        if (d.retain) continue;
        delivered++;
        for (let j = 0; j < i; j++) {
          if (ds[j].c === d.c && !ds[j].retain) {
            duplicated++;
            break;
          }
        }
        if (d.t - inv.t > maxDelayMs) maxDelayMs = d.t - inv.t;
      }
    }
    return { phase: ph.name, published, delivered, lost, duplicated, maxDelayMs: Math.round(maxDelayMs) };
  });
}

export function formatPhases(rows: PhaseStats[]): string {
  const head = ['phase', 'published', 'delivered', 'lost', 'dup', 'max delay'];
  const lines = rows.map((r) => [r.phase, r.published, r.delivered, r.lost, r.duplicated, `${r.maxDelayMs} ms`].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [fmt(head), ...lines.map(fmt)].join('\n');
}
