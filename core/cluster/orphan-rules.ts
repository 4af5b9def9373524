// Which session is owed an orphan (a message a failed peer never confirmed), and the order that
// releases a held session's messages in (by where each entered the cluster), and whether a message kept
// during a cut is behind what a session already had from its origin.

import type { Delivery } from '../session.ts';
import type { Message, QoS } from '../message.ts';
import type { SubSpec } from '../subscription.ts';
import { matches, parseShare } from '../topic.ts';

/** Where a message entered the cluster and its sequence there: a mid is `node.incarnation.seq` (Cluster.nextMid). */
export function midOrigin(d: Delivery): { from: string; seq: number } | undefined {
  const mid = d.msg.mid;
  const dot = mid === undefined ? -1 : mid.lastIndexOf('.');
  return dot < 0 ? undefined : { from: mid!.slice(0, dot), seq: Number(mid!.slice(dot + 1)) };
}

/** The highest sequence per origin (`node.incarnation.`) among message ids (Cluster.nextMid). */
export function originMax(mids: Iterable<string>): Map<string, number> {
  const max = new Map<string, number>();
  for (const m of mids) {
    const dot = m.lastIndexOf('.');
    if (dot < 0) continue;
    const from = m.slice(0, dot + 1);
    const seq = Number(m.slice(dot + 1));
    if (!(seq <= (max.get(from) ?? -1))) max.set(from, seq);
  }
  return max;
}

/**
 * Whether `max` (originMax of the ids a session was handed) holds a later message from the origin of `mid`.
 * A message kept for this node during a cut that such a session was not given where it was then is older
 * than its subscription there (the origin would have given it too): delivered now, it breaks the order.
 */
export function laterSeen(max: ReadonlyMap<string, number>, mid: string | undefined): boolean {
  const dot = mid === undefined ? -1 : mid.lastIndexOf('.');
  return dot >= 0 && (max.get(mid!.slice(0, dot + 1)) ?? -1) > Number(mid!.slice(dot + 1));
}

/** The subscriptions an orphan may reach: those its sender knew of (`known`: see WireMessage). */
export function knownSubs(subs: SubSpec[], known: number | undefined): SubSpec[] {
  return known === undefined ? subs : subs.filter((x) => (x.e ?? 0) <= known);
}

/**
 * The QoS an orphan is owed by a session with these subscriptions, or null: the highest among its
 * plain subscriptions matching the message, else that of its subscription in one of `groups` (the
 * share groups the lost forward was for; `group` says which, so it goes to one member only).
 */
export function orphanQos(
  subs: SubSpec[],
  msg: Message,
  groups: ReadonlySet<string>,
): { qos: QoS; group?: string } | null {
  let best: QoS | null = null;
  let shared: { qos: QoS; group: string } | null = null;
  for (const sub of subs) {
    const q = (sub.qos < msg.qos ? sub.qos : msg.qos) as QoS;
    if (groups.has(sub.key)) {
      shared ??= { qos: q, group: sub.key };
      continue;
    }
    const p = parseShare(sub.key);
    if (!p || p.group !== undefined || !matches(p.filter, msg.topic)) continue;
    if (best === null || q > best) best = q;
  }
  return best !== null ? { qos: best } : shared;
}
