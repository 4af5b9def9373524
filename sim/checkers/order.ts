// Per publisher and topic, each subscriber session first sees messages in publish order (a CONNACK with
// session present 0 starts a new session: no order with the old one's, also for old messages passed on to
// it later, which keep their order among themselves). Only a message's first arrival at
// the client counts, a DUP copy too when it comes first (the original went to a connection taken over
// meanwhile); later copies are at-least-once duplicates, not reordering. With `parkedUntil` (a heal
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
//
// A message published before any subscription matching it was acknowledged (SUBACK) is not owed to the
// client: if it arrives (a publisher's resend after the first copy raced the SUBSCRIBE), it sets and meets
// no order (counted as `before-subscribe`). So is what a SUBSCRIBE never acknowledged brings (its connection
// closed first; the broker may have made it, a node that read it late): nothing on its topics is owed.
//
// Two connections of one client id that raced (each was opened before the other's CONNACK arrived)
// reach the broker in an order the client cannot see: while both are open, what one got sets no order
// for what the other gets (counted as `connect-race-order`); nor does what the older connection, still
// open, gets after the newer one got a newer message (it was sent before the takeover). The one taken over got its messages before
// the takeover, the other after it, but each connection's packets arrive at their own pace.
//
// Two availability cases (docs/guarantees.md, Order), each by what the broker named in the history: a message a
// copy of the session brought to its live session that could not wait for it (`handoff.msgs` from a node that
// failed over a node holding the session, or after the 3 s wait: `copy-late-order`), and a forward the node the
// session left passed on to it while a fault touched either node (`moved.msgs`: `moved-late-order`).
//
// Incremental: fed one event at a time (the UI's live verdict), it keeps per client and stream
// the highest sequence first seen. Whether two processes overlapped across a split is asked of
// `overlaps` when a reordering needs it: the batch check passes the whole history's; fed alone,
// the checker keeps the connection and fault events seen so far and judges by those.

import type { At, DeliverEvent } from '../events.ts';
import {
  count,
  faultTouches,
  faultsOf,
  keyOf,
  settleOf,
  type Ev,
  type SafetyOptions,
  type Violation,
} from './common.ts';
import { overlapsOf, type Overlap } from './single-connection.ts';
import { matches } from '../../core/topic.ts';

/** How long after a heal the backup's handoff of a restarted node's sessions may still be arriving. */
const PARK_MS = 10_000;

/** How long a live session waits for the handoff of a copy it knows of (core/cluster/registry.ts HANDOFF_WAIT_MS). */
const HANDOFF_WAIT_MS = 3000;

/** Per node: the heals of cuts it restarted in (the node on one side of the cut). */
function restartsUnderCut(events: Ev[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const starts: { node: string; t: number }[] = [];
  for (const e of events) if (e.type === 'node.start' && e.t > 0) starts.push({ node: e.node, t: e.t });
  for (const f of faultsOf(events)) {
    if ((f.kind !== 'partition' && f.kind !== 'clog') || f.to === Infinity) continue;
    for (const st of starts) {
      const n = st.node;
      if (st.t < f.from || st.t > f.to || !(f.a.includes(n) || f.b.includes(n))) continue;
      const l = out.get(n) ?? [];
      l.push(f.to);
      out.set(n, l);
    }
  }
  return out;
}

/** A filter as it matches topics: a share group's without its `$share/<group>/` prefix. */
function unshared(f: string): string {
  return f.replace(/^\$share\/[^/]+\//, '');
}

/** What a reordering across a split needs: connections, their ends and the faults. */
function isConnectionEvent(e: Ev): boolean {
  return (
    e.type === 'client.connack' ||
    e.type === 'client.disconnect' ||
    e.type === 'client.kill' ||
    e.type === 'client.closed' ||
    e.type === 'node.start' ||
    e.type === 'node.config' ||
    e.type.startsWith('fault.')
  );
}

export class OrderChecker {
  readonly violations: Violation[] = [];
  private readonly parkedUntil: number;
  private settleMs: number | null = null;
  /** Per client, per publisher|topic|qos stream: the highest sequence seen first so far. */
  private readonly last = new Map<string, Map<string, { seq: number; ev: At<DeliverEvent> }>>();
  /** Per client: the last CONNACK with session present 0, and the old session's messages arriving since. */
  private readonly freshAt = new Map<string, number>();
  private readonly carried = new Map<string, Map<string, { seq: number; ev: At<DeliverEvent> }>>();
  /** Per client: its filters and when each was acknowledged (SUBACK); the filters of SUBSCRIBEs in flight. */
  private readonly subs = new Map<string, { filter: string; at: number }[]>();
  private readonly asked = new Map<string, string[][]>();
  /** Per client: every filter it asked for, acknowledged or not (an unacknowledged one owes nothing). */
  private readonly askedBy = new Map<string, string[]>();
  /** Per message id: the clients that got a first copy (not retained, not DUP). */
  private readonly got = new Map<string, Set<string>>();
  private readonly invokedAt = new Map<string, number>();
  /** Connection and fault events seen so far (when no `overlaps` was given). */
  private readonly seen: Ev[] = [];
  private splits: Overlap[] | null = null;

  private restarts: Map<string, number[]> | null = null;
  /** Per connection (`keyOf`): when the server said Session taken over (0x8E), before its close. */
  private readonly takenOver = new Map<string, number[]>();
  /** Per client: the messages a copy brought that its live session could not wait for (from `handoff.msgs`). */
  private readonly lateCopies = new Map<string, Map<string, string>>();
  /** Per client: the node of its last CONNACK, when; the nodes holding a copy of its session by failover. */
  private readonly home = new Map<string, { node: string; t: number }>();
  private readonly holders = new Map<string, Set<string>>();
  /** Per client: the nodes it was connected on; the forwards passed on to it by one of them (`moved.msgs`). */
  private readonly visited = new Map<string, Set<string>>();
  private readonly relayed = new Map<string, Map<string, { node: string; from: string }>>();
  /** Per connection (`keyOf`): when it was opened, CONNACKed and closed (Infinity: not yet). */
  private readonly conns = new Map<string, { opened: number; acked: number; closed: number }>();

  constructor(
    private readonly opts: SafetyOptions = {},
    private readonly overlaps?: () => Overlap[],
    /** The whole history (batch check); fed alone, the events seen so far are used. */
    private readonly history?: Ev[],
  ) {
    this.parkedUntil = opts.parkedUntil ?? Infinity;
  }

  /** settleOf the history (fed alone: of what came so far; the nodes' configuration comes first). */
  private get settle(): number {
    return (this.settleMs ??= settleOf(this.history ?? this.seen, this.opts));
  }

  /** A message published before the heal of a cut its node restarted in, delivered by it soon after. */
  private parkedAtHeal(e: At<DeliverEvent>, published: number): boolean {
    const restarts = this.history
      ? (this.restarts ??= restartsUnderCut(this.history))
      : restartsUnderCut(this.seen);
    return (
      e.node !== null && !!restarts.get(e.node)?.some((h) => published < h && h <= e.t && e.t <= h + PARK_MS)
    );
  }

  /**
   * Notes the copies a live session could not wait for: a copy handed by a node that failed over a node holding
   * the session (made across a cut or a pause: the session did not know of it), or one that came after the
   * session's wait for the copies it knows of was over. Not one a session that had just resumed waits for.
   */
  private copies(e: Ev): void {
    if (e.type === 'client.connack' && e.rc === 0 && e.node) {
      this.home.set(e.c, { node: e.node, t: e.t });
      const v = this.visited.get(e.c);
      if (v) v.add(e.node);
      else this.visited.set(e.c, new Set([e.node]));
      this.holders.get(e.c)?.delete(e.node); // the copy there is the live session now
    } else if (e.type === 'cluster.failover') {
      const from = String(e.from);
      for (const [c, h] of this.home) {
        const held = this.holders.get(c);
        if (h.node !== from && !held?.has(from)) continue;
        if (held) held.add(e.node);
        else this.holders.set(c, new Set([e.node]));
      }
    } else if (e.type === 'handoff.msgs') {
      const h = this.home.get(e.c);
      const late =
        !!this.holders.get(e.c)?.has(e.from) || (!!h && h.node === e.node && e.t - h.t >= HANDOFF_WAIT_MS);
      if (!late) return;
      let m = this.lateCopies.get(e.c);
      if (!m) this.lateCopies.set(e.c, (m = new Map()));
      for (const id of e.ids.split(' ')) m.set(id, e.node);
    } else if (e.type === 'moved.msgs') {
      if (!this.visited.get(e.c)?.has(e.from) && !this.holders.get(e.c)?.has(e.from)) return;
      let m = this.relayed.get(e.c);
      if (!m) this.relayed.set(e.c, (m = new Map()));
      for (const id of e.ids.split(' ')) m.set(id, { node: e.node, from: e.from });
    }
  }

  /**
   * Whether `e` is a forward a node the session left passed on to it while a fault held that node or the
   * session's (a cut, a clog, a pause or a crash touching either, ending at most PARK_MS before): it came by a
   * second path, which a cut delays apart from the direct one, so it sets no order with the direct path's.
   * Without a fault a passed-on forward is judged.
   */
  private relayedUnderFault(e: At<DeliverEvent>): boolean {
    const r = this.relayed.get(e.c)?.get(e.id);
    if (!r || r.node !== e.node) return false;
    const faults = faultsOf(this.history ?? [...this.seen]);
    const since = e.t - PARK_MS;
    return !!faultTouches(faults, r.from, since, e.t) || !!faultTouches(faults, r.node, since, e.t);
  }

  /** Whether `prev` and `e` came over two processes' connections open at once across a split. */
  private acrossSplit(prev: At<DeliverEvent>, e: At<DeliverEvent>): boolean {
    const settle = this.settle;
    const splits = this.overlaps
      ? (this.splits ??= this.overlaps().filter((o) => o.split))
      : overlapsOf([...this.seen, e], this.settle).filter((o) => o.split);
    return splits.some((o) => {
      if (o.c !== e.c || prev.t < o.from || (o.a.key !== keyOf(prev) && o.b.key !== keyOf(prev)))
        return false;
      // The other process's, during the overlap.
      if (keyOf(prev) !== keyOf(e)) return prev.t <= o.to;
      // The survivor's: what the merge of the two copies brings, from the takeover that ended the overlap until
      // it settled, comes by several paths (the handoff, forwards that follow it) in no order among them.
      const end = o.to + settle;
      return prev.t <= end && this.takeoverOf(o) < e.t && e.t <= end;
    });
  }

  /** When the overlap's takeover began: the first Session taken over (0x8E) in it, else its end. */
  private takeoverOf(o: Overlap): number {
    let at = o.to;
    for (const k of [o.a.key, o.b.key])
      for (const t of this.takenOver.get(k) ?? []) if (t >= o.from && t < at) at = t;
    return at;
  }

  /** Whether `prev` and `e` came over two connections of the client that raced and were both open at `e`. */
  private raced(prev: At<DeliverEvent>, e: At<DeliverEvent>): boolean {
    const a = this.conns.get(keyOf(prev));
    const b = this.conns.get(keyOf(e));
    if (!a || !b || a === b) return false;
    // Raced, or `e` came late on the older connection, still open, that `prev`'s took over: sent before that.
    return ((a.opened < b.acked && b.opened < a.acked) || b.acked <= a.opened) && a.closed >= e.t;
  }

  private connection(e: Ev): void {
    if (e.type === 'client.connect')
      this.conns.set(keyOf(e), { opened: e.t, acked: Infinity, closed: Infinity });
    const k = 'c' in e && typeof e.c === 'string' ? this.conns.get(keyOf(e as { c: string })) : undefined;
    if (e.type === 'client.server-disconnect' && e.rc === 0x8e) {
      const l = this.takenOver.get(keyOf(e)) ?? [];
      this.takenOver.set(keyOf(e), [...l, e.t]);
    }
    if (!k) return;
    if (e.type === 'client.connack' && e.rc === 0) k.acked = e.t;
    else if (e.type === 'client.closed' || e.type === 'client.kill' || e.type === 'client.disconnect') {
      k.closed = Math.min(k.closed, e.t);
      this.asked.delete(keyOf(e as { c: string })); // the SUBACKs it awaited will not come: a later one is not theirs
    }
  }

  private subscribed(e: Ev): void {
    if (e.type === 'sub.invoke') {
      const filters = e.filters.split(',').map(unshared);
      const l = this.asked.get(keyOf(e)) ?? [];
      l.push(filters);
      this.asked.set(keyOf(e), l);
      const all = this.askedBy.get(e.c) ?? [];
      all.push(...filters);
      this.askedBy.set(e.c, all);
    } else if (e.type === 'sub.ok') {
      const filters = this.asked.get(keyOf(e))?.shift() ?? [];
      const l = this.subs.get(e.c) ?? [];
      for (const f of filters) l.push({ filter: f, at: e.t });
      this.subs.set(e.c, l);
    }
  }

  /**
   * Whether a subscription of `c` matching `topic` was acknowledged by `t` (or none is known: judged). One
   * asked for and never acknowledged is known too: what it brings was published before any SUBACK.
   */
  private owedAt(c: string, topic: string, t: number): boolean {
    let matching = false;
    for (const x of this.subs.get(c) ?? []) {
      if (!matches(x.filter, topic)) continue;
      if (x.at <= t) return true;
      matching = true;
    }
    return !matching && !(this.askedBy.get(c) ?? []).some((f) => matches(f, topic));
  }

  /** One event of the history, in order; returns the violation it shows, if any. */
  feed(e: Ev): Violation | undefined {
    if (e.type === 'sub.invoke' || e.type === 'sub.ok') this.subscribed(e);
    this.copies(e);
    if (e.type === 'pub.invoke') this.invokedAt.set(e.id, e.t);
    else if (e.type.startsWith('client.')) this.connection(e);
    if (!this.overlaps && isConnectionEvent(e)) this.seen.push(e);
    // A new session (session present 0) has no order with what the client's previous one got.
    if (e.type === 'client.connack' && e.rc === 0 && !e.present) {
      this.last.delete(e.c);
      this.carried.delete(e.c);
      this.freshAt.set(e.c, e.t);
    }
    // A DUP copy counts when it is the first to arrive (the original went to a connection taken over meanwhile).
    if (e.type !== 'deliver' || e.retain) return undefined;
    const { id, c } = e;
    // Only a message's first arrival at this client counts.
    let got = this.got.get(id);
    if (!got) this.got.set(id, (got = new Set()));
    if (got.has(c)) return undefined;
    got.add(c);
    const colon = id.indexOf(':');
    if (colon < 0) return undefined; // not a scenario publisher's message (a will)
    const invoked = this.invokedAt.get(id);
    if (invoked !== undefined && !this.owedAt(c, e.topic, invoked)) {
      count(this.opts.tally, 'before-subscribe');
      return undefined;
    }
    const seq = Number(id.slice(colon + 1));
    const k = `${id.slice(0, colon)}|${e.topic}|${e.qos}`;
    // Published before the new session began: the old session's, passed on to it (a copy held by a node
    // that was paused or cut off); ordered among themselves, not against the new session's own.
    const old = (invoked ?? Infinity) < (this.freshAt.get(c) ?? -Infinity);
    const book = old ? this.carried : this.last;
    let streams = book.get(c);
    if (!streams) book.set(c, (streams = new Map()));
    const prev = streams.get(k);
    let v: Violation | undefined;
    if (prev && seq < prev.seq) {
      if (
        invoked !== undefined &&
        ((e.t >= this.parkedUntil && invoked < this.parkedUntil) || this.parkedAtHeal(e, invoked))
      ) {
        this.opts.parked?.push(e);
        count(this.opts.tally, 'parked');
      } else if (this.lateCopies.get(c)?.get(id) === e.node) count(this.opts.tally, 'copy-late-order');
      else if (this.relayedUnderFault(e) || this.relayedUnderFault(prev.ev))
        count(this.opts.tally, 'moved-late-order');
      else if (this.acrossSplit(prev.ev, e)) count(this.opts.tally, 'split-connect-order');
      else if (this.raced(prev.ev, e)) count(this.opts.tally, 'connect-race-order');
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
  const checker = new OrderChecker(opts, () => overlapsOf(events, settleOf(events, opts)), events);
  for (const e of events) checker.feed(e);
  return checker.violations;
}
