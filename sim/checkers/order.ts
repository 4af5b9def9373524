// Per publisher and topic, each subscriber first sees messages in publish
// order. Redeliveries (DUP, or a second copy of a message already seen) are
// at-least-once duplicates, not reordering. With `parkedUntil` (a heal
// time), a message published before it and first delivered at or after it
// may come after newer ones: collected in `parked` and counted as
// `parked` in the tally, not a violation (the documented availability
// exception of restart-under-partition). Two processes of one client id
// connected at once across a split (the `split-connect` trade-off of
// single-connection.ts) each had their own session: what one of them got
// during the overlap sets no order for what the other gets (counted as
// `split-connect-order`).

import type { At, DeliverEvent } from '../events.ts';
import { count, indexOf, keyOf, type Ev, type SafetyOptions, type Violation } from './common.ts';
import { overlapsOf, type Overlap } from './single-connection.ts';

export function checkOrder(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  const { deliveries, invoked } = indexOf(events);
  const parkedUntil = opts.parkedUntil ?? Infinity;
  // Per client, per publisher|topic|qos stream: the highest sequence seen first so far.
  const last = new Map<string, Map<string, { seq: number; ev: At<DeliverEvent> }>>();
  const out: Violation[] = [];
  let splits: Overlap[] | null = null;
  const acrossSplit = (prev: At<DeliverEvent>, e: At<DeliverEvent>): boolean => {
    if (keyOf(prev) === keyOf(e)) return false;
    splits ??= overlapsOf(events, opts.settleMs ?? 1000).filter((o) => o.split);
    return splits.some(
      (o) =>
        o.c === e.c &&
        o.from <= prev.t &&
        prev.t <= o.to &&
        (o.a.key === keyOf(prev) || o.b.key === keyOf(prev)),
    );
  };
  for (const e of events) {
    if (e.type !== 'deliver' || e.dup || e.retain) continue;
    const id = e.id;
    const c = e.c;
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
    if (colon < 0) continue; // not a scenario publisher's message (a will)
    const seq = Number(id.slice(colon + 1));
    const k = `${id.slice(0, colon)}|${e.topic}|${e.qos}`;
    let streams = last.get(c);
    if (!streams) last.set(c, (streams = new Map()));
    const prev = streams.get(k);
    if (prev && seq < prev.seq) {
      const inv = invoked.get(id);
      if (e.t >= parkedUntil && inv && inv.t < parkedUntil) {
        opts.parked?.push(e);
        count(opts.tally, 'parked');
      } else if (acrossSplit(prev.ev, e)) count(opts.tally, 'split-connect-order');
      else
        out.push({
          property: 'order',
          detail: `${c} got ${id} after ${prev.ev.id} on ${e.topic}`,
          excerpt: [prev.ev, e],
        });
    }
    if (!prev) streams.set(k, { seq, ev: e });
    else if (seq > prev.seq) {
      prev.seq = seq;
      prev.ev = e;
    }
  }
  return out;
}
