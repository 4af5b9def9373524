// Per publisher and topic, each subscriber first sees messages in publish
// order. Redeliveries (DUP, or a second copy of a message already seen) are
// at-least-once duplicates, not reordering. With `parkedUntil` (a heal
// time), a message published before it and first delivered at or after it
// may come after newer ones: collected in `parked` and counted as
// `parked` in the tally, not a violation (the documented availability
// exception of restart-under-partition). Two processes of one client id
// connected at once across a split (the `split-connect` trade-off of
// single-connection.ts) each had their own session: what one of them got
// during the overlap sets no order for what the other gets, also when the
// takeover that ends the overlap hands the other copy's queue to the
// surviving connection (within `settleMs` of it; counted as
// `split-connect-order`).
// The restart-under-partition exception (docs/guarantees.md, Order) for a cut
// that heals during the run: a node that restarted while cut off (a partition or
// a clog) gets its sessions' older messages from the backup when the cut
// heals, after newer ones: a message published before that heal and first
// delivered by that node within PARK_MS after it is `parked` too.

import { count, faultsOf, indexOf, keyOf, type Ev, type SafetyOptions, type Violation } from './common.ts';
import { overlapsOf, type Overlap } from './single-connection.ts';

/** How long after a heal the backup's handoff of a restarted node's sessions may still be arriving. */
const PARK_MS = 10_000;

/** Per node: the heals of cuts it restarted in (the node on one side of the cut). */
function restartsUnderCut(events: Ev[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const starts = events.filter((e) => e.type === 'node.start' && e.t > 0);
  for (const f of faultsOf(events)) {
    if ((f.kind !== 'partition' && f.kind !== 'clog') || f.to === Infinity) continue;
    for (const st of starts) {
      const n = st.node as string;
      if (st.t < f.from || st.t > f.to || !(f.a.includes(n) || f.b.includes(n))) continue;
      const l = out.get(n) ?? [];
      l.push(f.to);
      out.set(n, l);
    }
  }
  return out;
}

export function checkOrder(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  const { deliveries, invoked } = indexOf(events);
  const parkedUntil = opts.parkedUntil ?? Infinity;
  // Per client, per publisher|topic|qos stream: the highest sequence seen first so far.
  const last = new Map<string, Map<string, { seq: number; ev: Ev }>>();
  const out: Violation[] = [];
  let splits: Overlap[] | null = null;
  let restarts: Map<string, number[]> | null = null;
  const parkedAtHeal = (e: Ev, published: number): boolean => {
    restarts ??= restartsUnderCut(events);
    return !!restarts.get(e.node as string)?.some((h) => published < h && h <= e.t && e.t <= h + PARK_MS);
  };
  const settle = opts.settleMs ?? 1000;
  const acrossSplit = (prev: Ev, e: Ev): boolean => {
    splits ??= overlapsOf(events, settle).filter((o) => o.split);
    return splits.some(
      (o) =>
        o.c === e.c &&
        o.from <= prev.t &&
        prev.t <= o.to &&
        (o.a.key === keyOf(prev) || o.b.key === keyOf(prev)) &&
        // The other process's, or the other copy's handed to the survivor at the takeover that ended the overlap.
        (keyOf(prev) !== keyOf(e) || (o.to < e.t && e.t <= o.to + settle)),
    );
  };
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
    if (colon < 0) continue; // not a scenario publisher's message (a will)
    const seq = Number(id.slice(colon + 1));
    const k = `${id.slice(0, colon)}|${e.topic}|${e.qos}`;
    let streams = last.get(c);
    if (!streams) last.set(c, (streams = new Map()));
    const prev = streams.get(k);
    if (prev && seq < prev.seq) {
      const inv = invoked.get(id);
      if (inv && ((e.t >= parkedUntil && inv.t < parkedUntil) || parkedAtHeal(e, inv.t))) {
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
