// No acknowledged QoS 1/2 message to a persistent subscriber goes missing,
// whatever the broker logged. A drop the broker recorded is no excuse by
// itself; the only excuses are the named, configured trade-offs, each held
// to its bound (docs/verdicts.md):
//   ack-local        the acknowledging node runs ackMode 'local' and a fault hit it within 1 s of the PUBACK
//   queue-overflow   the broker dropped it as queue-full while at least maxQueuedMessages were pending for the client
//   session-expired  the session was gone at the next CONNACK (present 0) after a gap of at least its expiry
//   split-subscribe  the subscription was made while a partition cut its node off the publisher's, published before the heal
//   pending-offline  the subscriber was offline at the end, and the message was published after its last CONNACK

import type { At, DeliverEvent, PubInvokeEvent, PubOkEvent, SubInvokeEvent } from '../events.ts';
import {
  count,
  covers,
  plainFilter,
  faultTouches,
  faultsOf,
  indexOf,
  ms,
  partitionBetween,
  timelineOf,
  type Conn,
  type Ev,
  type Expectation,
  type LossCategory,
  DEFAULT_ACCEPTED,
  type SafetyOptions,
  type Timeline,
  type Violation,
} from './common.ts';

/** How long after its PUBACK a fault on an ackMode 'local' node may still take the message with it. */
export const ACK_LOCAL_WINDOW_MS = 1000;

function reached(ds: At<DeliverEvent>[] | undefined, client: string): boolean {
  if (ds) for (const d of ds) if (d.c === client) return true;
  return false;
}

/** Per subscriber: publish times and first-delivery times of the messages it expects, sorted (for queue depth). */
function queueDepth(events: Ev[], x: Expectation[], client: string): (t: number) => number {
  const { invoked, deliveries } = indexOf(events);
  const filters = x.filter((e) => e.client === client).map((e) => e.filter);
  const pub: number[] = [];
  const got: number[] = [];
  for (const inv of invoked.values()) {
    if (!filters.some((f) => covers(f, inv.topic))) continue;
    pub.push(inv.t);
    const d = deliveries.get(inv.id)?.find((e) => e.c === client);
    if (d) got.push(d.t);
  }
  pub.sort((a, b) => a - b);
  got.sort((a, b) => a - b);
  const upTo = (a: number[], t: number) => {
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return (t) => upTo(pub, t) - upTo(got, t);
}

interface Judged {
  category?: LossCategory;
  /** Why it is not excused, when a trade-off was claimed but out of its bound. */
  why?: string;
}

/** Why an acknowledged message `inv` may be missing at `x.client`, if a trade-off covers it. */
function excuse(
  events: Ev[],
  tl: Timeline,
  inv: At<PubInvokeEvent>,
  ok: At<PubOkEvent>,
  x: Expectation,
  expect: Expectation[],
  depth: Map<string, (t: number) => number>,
): Judged {
  const id = inv.id;
  const drop = indexOf(events).drops.get(id)?.get(x.client);
  const faults = faultsOf(events);
  if (drop?.reason === 'queue-full') {
    const bound = tl.nodes.get(drop.node)?.maxQueued ?? 1000;
    let d = depth.get(x.client);
    if (!d) depth.set(x.client, (d = queueDepth(events, expect, x.client)));
    const pending = d(drop.t);
    if (pending >= bound) return { category: 'queue-overflow' };
    return {
      why: `dropped as queue-full with ${pending} messages pending, under maxQueuedMessages ${bound}`,
    };
  }
  const conns: Conn[] = tl.conns.get(x.client) ?? [];
  // The session ended between the publish and the subscriber's next connection.
  const next = conns.find((c) => c.connackAt > inv.t && !c.present);
  if (next) {
    let gapFrom = -Infinity;
    for (const c of conns) if (c.endAt <= next.connackAt && c.endAt > gapFrom) gapFrom = c.endAt;
    const cfg = tl.clients.get(next.key);
    const expiryMs = cfg ? (cfg.clean && cfg.version < 5 ? 0 : cfg.expiry * 1000) : Infinity;
    const gap = next.connackAt - gapFrom;
    if (gap >= expiryMs - 1) return { category: 'session-expired' };
    return {
      why: `the session was gone at ${ms(next.connackAt)} (session present 0) after ${(gap / 1000).toFixed(1)} s offline, under its expiry of ${expiryMs / 1000} s`,
    };
  }
  const ackNode = ok.node;
  if (
    ackNode &&
    tl.nodes.get(ackNode)?.ackMode === 'local' &&
    faultTouches(faults, ackNode, inv.t, ok.t + ACK_LOCAL_WINDOW_MS)
  )
    return { category: 'ack-local' };
  // Subscribed during a split: what the other side publishes before the heal does not know the route.
  const sub = lastSubscribe(events, x.client, inv.topic, inv.t);
  if (sub && ackNode) {
    const subConn = conns.find((c) => c.connackAt <= sub.t && sub.t <= c.endAt);
    const split = subConn?.node ? partitionBetween(faults, subConn.node, ackNode, sub.t) : undefined;
    if (split && inv.t < split.to) return { category: 'split-subscribe' };
  }
  const last = conns[conns.length - 1];
  if (last && last.endAt !== Infinity && inv.t > last.connackAt) return { category: 'pending-offline' };
  return {};
}

/** The client's last SUBSCRIBE covering `topic` invoked at or before `t`. */
export function lastSubscribe(
  events: Ev[],
  client: string,
  topic: string,
  t: number,
): At<SubInvokeEvent> | undefined {
  let found: At<SubInvokeEvent> | undefined;
  for (const e of indexOf(events).subs.get(client) ?? []) {
    if (e.t > t) break;
    if (e.filters.split(',').some((f) => covers(plainFilter(f), topic))) found = e;
  }
  return found;
}

/**
 * No acknowledged QoS 1/2 message lost: every publish acknowledged to its
 * publisher (pub.ok) whose topic matches an expectation reaches that
 * subscriber, unless one of the named trade-offs the run accepts
 * (`opts.accept`) covers it within its bound (counted in `opts.tally`).
 */
export function checkNoLoss(events: Ev[], expect: Expectation[], opts: SafetyOptions = {}): Violation[] {
  const { invoked, acked, deliveries, drops } = indexOf(events);
  const tl = timelineOf(events);
  const depth = new Map<string, (t: number) => number>();
  const out: Violation[] = [];
  for (const ok of acked) {
    const inv = invoked.get(ok.id);
    if (!inv || inv.qos === 0 || inv.clear) continue;
    const id = inv.id;
    const ds = deliveries.get(id);
    for (const x of expect) {
      if (inv.t < x.from || !covers(x.filter, inv.topic) || reached(ds, x.client)) continue;
      const j = excuse(events, tl, inv, ok, x, expect, depth);
      if (j.category && (opts.accept ?? DEFAULT_ACCEPTED).includes(j.category)) {
        count(opts.tally, j.category);
        continue;
      }
      const drop = drops.get(id)?.get(x.client);
      const logged = drop ? `; the broker logged dropping it (${drop.reason} on ${drop.node})` : '';
      const why = j.category ? `; ${j.category}, not accepted by this run` : j.why ? `; ${j.why}` : '';
      out.push({
        property: 'no-acked-loss',
        detail: `${id} (QoS ${inv.qos} on ${inv.topic}) acknowledged at ${ms(ok.t)} never reached ${x.client}${why}${logged}`,
        excerpt: drop ? [inv, ok, drop] : [inv, ok],
      });
    }
  }
  return out;
}
