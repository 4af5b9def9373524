// Which session is owed an orphan (a message a failed peer never confirmed), and the order that
// releases a held session's messages in (by where each entered the cluster).

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
