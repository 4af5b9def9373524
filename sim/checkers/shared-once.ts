// A shared subscription's message goes to one member of the group [MQTT-4.8.2]:
// per message and group ($share/{group}/{filter}, or $queue/{filter}), at most
// one member gets it, except that the spec lets the server send it to another
// member once the first one's connection broke (or its node failed) before
// the acknowledgement: such a second member, with the first one's connection
// closed or a fault on its node between the two deliveries, is counted as
// `shared-redelivery`, not failed. Nor is a second member's copy after the
// publisher's connection broke before the message was acknowledged: the
// publisher sent it again after reconnecting, to a server with no state of
// it (QoS 1: at least once; QoS 2 from a publisher that starts clean, whose
// session keeps no packet ids: docs/guarantees.md): `publisher-resend`.
// The documented limit of a forward the first member's node delivered as a
// fault on it ended (waiting in its inbox through a pause, or on a clogged
// link), while its sender had failed it over to another member: counted as
// `shared-late-forward` when the first delivery came within 1 s of the end
// of a fault on its node, or (the other order: the failed-over member's
// client came back first) when the second member's node was under a fault
// at the first delivery and delivered within 1 s of that fault's end.

import type { At, DeliverEvent } from '../events.ts';
import {
  connAt,
  count,
  covers,
  faultTouches,
  faultsOf,
  indexOf,
  keyOf,
  timelineOf,
  type Ev,
  type FaultWindow,
  type SafetyOptions,
  type Violation,
} from './common.ts';

/** How soon after a fault on its node a member's delivery may still be a forward that waited out the fault. */
const LATE_FORWARD_MS = 1000;

export function checkSharedOnce(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  // group|filter -> members; members with a plain subscription to the same topics are not judged.
  const groups = new Map<string, { filter: string; members: Set<string> }>();
  const plain = new Map<string, string[]>();
  for (const e of events) {
    if (e.type !== 'sub.invoke') continue;
    for (const f of String(e.filters).split(',')) {
      const m = /^\$share\/([^/]+)\/(.*)$/.exec(f) ?? /^(\$queue)\/(.*)$/.exec(f);
      if (!m) {
        const l = plain.get(e.c) ?? [];
        l.push(f);
        plain.set(e.c, l);
        continue;
      }
      const k = `${m[1]}|${m[2]}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { filter: m[2], members: new Set() }));
      g.members.add(e.c);
    }
  }
  if (groups.size === 0) return [];
  const tl = timelineOf(events);
  const faults = faultsOf(events);
  const { invoked, ackOf, deliveries } = indexOf(events);
  // When the publisher's connection broke with the message not yet acknowledged (Infinity: it did not).
  const resentAfter = (id: string): number => {
    const inv = invoked.get(id);
    const conn = inv && connAt(tl, inv.c as string, keyOf(inv), inv.t);
    if (!inv || !conn || conn.endAt === Infinity) return Infinity;
    const ok = ackOf.get(id);
    if (ok && ok.t < conn.endAt) return Infinity;
    // A persistent publisher's QoS 2 resend is deduplicated with its session's packet ids.
    if ((inv.qos as number) === 2 && !tl.clients.get(keyOf(inv))?.clean) return Infinity;
    return conn.endAt;
  };
  const out: Violation[] = [];
  for (const [id, ds] of deliveries) {
    const topic = ds[0].topic;
    for (const [k, g] of groups) {
      if (!covers(g.filter, topic)) continue;
      let first: At<DeliverEvent> | undefined;
      for (const d of ds) {
        const c = d.c;
        if (d.retain || !g.members.has(c) || plain.get(c)?.some((f) => covers(f, topic))) continue;
        if (!first) {
          first = d;
          continue;
        }
        if (d.c === first.c) continue;
        const conn = connAt(tl, first.c, keyOf(first), first.t);
        const broke =
          (conn && conn.endAt <= d.t) || (conn?.node && faultTouches(faults, conn.node, first.t, d.t));
        if (broke) {
          count(opts.tally, 'shared-redelivery');
          first = d;
        } else if (
          (conn?.node && faultTouches(faults, conn.node, first.t - LATE_FORWARD_MS, first.t)) ||
          lateAfter(faults, connAt(tl, d.c, keyOf(d), d.t)?.node, first.t, d.t)
        ) {
          count(opts.tally, 'shared-late-forward');
          first = d;
        } else if (d.t >= resentAfter(id)) {
          count(opts.tally, 'publisher-resend');
          first = d;
        } else {
          out.push({
            property: 'shared-once',
            detail: `${id} on ${topic} went to ${first.c} and ${d.c} of group ${k.split('|')[0]}, with ${first.c}'s connection still up`,
            excerpt: [first, d],
          });
          break;
        }
      }
    }
  }
  return out;
}

/** A fault on `node` already on at `firstAt` ended within LATE_FORWARD_MS before `at`: a forward that waited it out. */
function lateAfter(
  faults: FaultWindow[],
  node: string | null | undefined,
  firstAt: number,
  at: number,
): boolean {
  if (!node) return false;
  return faults.some(
    (f) =>
      (f.a.includes(node) || f.b.includes(node)) &&
      f.from <= firstAt &&
      f.to <= at &&
      f.to >= at - LATE_FORWARD_MS,
  );
}
