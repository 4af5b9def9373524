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
//
// Incremental: fed one event at a time (the UI's live verdict), it keeps per client and stream
// the highest sequence first seen. Whether two processes overlapped across a split is asked of
// `overlaps` when a reordering needs it: the batch check passes the whole history's; fed alone,
// the checker keeps the connection and fault events seen so far and judges by those.

import type { At, DeliverEvent } from '../events.ts';
import { count, keyOf, type Ev, type SafetyOptions, type Violation } from './common.ts';
import { overlapsOf, type Overlap } from './single-connection.ts';

/** What a reordering across a split needs: connections, their ends and the faults. */
function isConnectionEvent(e: Ev): boolean {
  return (
    e.type === 'client.connack' ||
    e.type === 'client.disconnect' ||
    e.type === 'client.kill' ||
    e.type === 'client.closed' ||
    e.type === 'node.start' ||
    e.type.startsWith('fault.')
  );
}

export class OrderChecker {
  readonly violations: Violation[] = [];
  private readonly parkedUntil: number;
  private readonly settle: number;
  /** Per client, per publisher|topic|qos stream: the highest sequence seen first so far. */
  private readonly last = new Map<string, Map<string, { seq: number; ev: At<DeliverEvent> }>>();
  /** Per message id: the clients that got a first copy (not retained, not DUP). */
  private readonly got = new Map<string, Set<string>>();
  private readonly invokedAt = new Map<string, number>();
  /** Connection and fault events seen so far (when no `overlaps` was given). */
  private readonly seen: Ev[] = [];
  private splits: Overlap[] | null = null;

  constructor(
    private readonly opts: SafetyOptions = {},
    private readonly overlaps?: () => Overlap[],
  ) {
    this.parkedUntil = opts.parkedUntil ?? Infinity;
    this.settle = opts.settleMs ?? 1000;
  }

  /** Whether `prev` and `e` came over two processes' connections open at once across a split. */
  private acrossSplit(prev: At<DeliverEvent>, e: At<DeliverEvent>): boolean {
    if (keyOf(prev) === keyOf(e)) return false;
    const splits = this.overlaps
      ? (this.splits ??= this.overlaps().filter((o) => o.split))
      : overlapsOf([...this.seen, e], this.settle).filter((o) => o.split);
    return splits.some(
      (o) =>
        o.c === e.c &&
        o.from <= prev.t &&
        prev.t <= o.to &&
        (o.a.key === keyOf(prev) || o.b.key === keyOf(prev)),
    );
  }

  /** One event of the history, in order; returns the violation it shows, if any. */
  feed(e: Ev): Violation | undefined {
    if (e.type === 'pub.invoke') this.invokedAt.set(e.id, e.t);
    else if (!this.overlaps && isConnectionEvent(e)) this.seen.push(e);
    if (e.type !== 'deliver' || e.dup || e.retain) return undefined;
    const { id, c } = e;
    // Only a message's first arrival at this client counts.
    let got = this.got.get(id);
    if (!got) this.got.set(id, (got = new Set()));
    if (got.has(c)) return undefined;
    got.add(c);
    const colon = id.indexOf(':');
    if (colon < 0) return undefined; // not a scenario publisher's message (a will)
    const seq = Number(id.slice(colon + 1));
    const k = `${id.slice(0, colon)}|${e.topic}|${e.qos}`;
    let streams = this.last.get(c);
    if (!streams) this.last.set(c, (streams = new Map()));
    const prev = streams.get(k);
    let v: Violation | undefined;
    if (prev && seq < prev.seq) {
      const invokedAt = this.invokedAt.get(id);
      if (e.t >= this.parkedUntil && invokedAt !== undefined && invokedAt < this.parkedUntil) {
        this.opts.parked?.push(e);
        count(this.opts.tally, 'parked');
      } else if (this.acrossSplit(prev.ev, e)) count(this.opts.tally, 'split-connect-order');
      else {
        v = {
          property: 'order',
          detail: `${c} got ${id} after ${prev.ev.id} on ${e.topic}`,
          excerpt: [prev.ev, e],
        };
        this.violations.push(v);
      }
    }
    if (!prev) streams.set(k, { seq, ev: e });
    else if (seq > prev.seq) {
      prev.seq = seq;
      prev.ev = e;
    }
    return v;
  }
}

export function checkOrder(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  const checker = new OrderChecker(opts, () => overlapsOf(events, opts.settleMs ?? 1000));
  for (const e of events) checker.feed(e);
  return checker.violations;
}
