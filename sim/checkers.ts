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
 * No acknowledged QoS 1/2 message lost: every publish acknowledged to its
 * publisher (pub.ok) whose topic matches an expectation must be delivered
 * to that subscriber, unless the broker recorded dropping it, with a reason.
 */
export function checkNoLoss(events: Ev[], expect: Expectation[]): Violation[] {
  const invoked = new Map<string, Ev>();
  const delivered = new Set<string>();
  const dropped = new Set<string>();
  const acked: Ev[] = [];
  for (const e of events) {
    if (e.type === 'pub.invoke') invoked.set(e.id as string, e);
    else if (e.type === 'pub.ok') acked.push(e);
    else if (e.type === 'deliver') delivered.add(`${e.c}|${e.id}`);
    else if (e.type === 'drop') dropped.add(`${e.c}|${e.id}`);
  }
  const out: Violation[] = [];
  for (const ok of acked) {
    const inv = invoked.get(ok.id as string);
    if (!inv || (inv.qos as number) === 0) continue;
    for (const x of expect) {
      if (inv.t < x.from || !covers(x.filter, inv.topic as string)) continue;
      const k = `${x.client}|${inv.id}`;
      if (!delivered.has(k) && !dropped.has(k)) {
        out.push({ property: 'no-acked-loss', detail: `${inv.id} (QoS ${inv.qos} on ${inv.topic}) acknowledged at ${ok.t.toFixed(1)} ms never reached ${x.client}`, excerpt: [inv, ok] });
      }
    }
  }
  return out;
}

/** QoS 2 is exactly once: no message delivered twice to one client at QoS 2. */
export function checkNoQos2Duplicates(events: Ev[]): Violation[] {
  const seen = new Map<string, Ev>();
  const out: Violation[] = [];
  for (const e of events) {
    if (e.type !== 'deliver' || e.qos !== 2 || e.retain) continue;
    const k = `${e.c}|${e.id}`;
    const prev = seen.get(k);
    if (prev) out.push({ property: 'qos2-exactly-once', detail: `${e.id} delivered twice to ${e.c}`, excerpt: [prev, e] });
    else seen.set(k, e);
  }
  return out;
}

/**
 * Per publisher and topic, each subscriber first sees messages in publish
 * order. Redeliveries (DUP, or a second copy of a message already seen)
 * are at-least-once duplicates, not reordering.
 */
export function checkOrder(events: Ev[]): Violation[] {
  const last = new Map<string, { seq: number; ev: Ev }>();
  const seen = new Set<string>();
  const out: Violation[] = [];
  for (const e of events) {
    if (e.type !== 'deliver' || e.dup || e.retain) continue;
    const first = `${e.c}|${e.id}`;
    if (seen.has(first)) continue;
    seen.add(first);
    const [pub, seqS] = String(e.id).split(':');
    const seq = Number(seqS);
    const k = `${e.c}|${pub}|${e.topic}|${e.qos}`;
    const prev = last.get(k);
    if (prev && seq < prev.seq) out.push({ property: 'order', detail: `${e.c} got ${e.id} after ${prev.ev.id} on ${e.topic}`, excerpt: [prev.ev, e] });
    if (!prev || seq > prev.seq) last.set(k, { seq, ev: e });
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
  const invoked = new Map<string, Ev>();
  const deliveries = new Map<string, Ev[]>();
  const oks: Ev[] = [];
  for (const e of events) {
    if (e.type === 'pub.invoke') invoked.set(e.id as string, e);
    else if (e.type === 'pub.ok') oks.push(e);
    else if (e.type === 'deliver' && !e.retain) {
      const k = e.id as string;
      let l = deliveries.get(k);
      if (!l) deliveries.set(k, (l = []));
      l.push(e);
    }
  }
  const lostIds = new Set(checkNoLoss(events, expect).map((v) => `${v.excerpt[0].id}`));
  return phases.map((ph) => {
    let published = 0;
    let delivered = 0;
    let duplicated = 0;
    let lost = 0;
    let maxDelayMs = 0;
    for (const ok of oks) {
      const inv = invoked.get(ok.id as string);
      if (!inv || inv.t < ph.from || inv.t >= ph.to) continue;
      published++;
      if (lostIds.has(inv.id as string)) lost++;
      const ds = deliveries.get(inv.id as string) ?? [];
      delivered += ds.length;
      const seen = new Set<string>();
      for (const d of ds) {
        if (seen.has(d.c as string)) duplicated++;
        seen.add(d.c as string);
        maxDelayMs = Math.max(maxDelayMs, d.t - inv.t);
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
