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

/** Share-group orphans of failed owners given to a member so far: `owner mid group` -> client id (one member each). */
export class GivenGroups {
  private given = new Map<string, string>();

  /** The client given `owner`'s orphan `mid` for share group `group`, if any. */
  get(owner: string, mid: string, group: string): string | undefined {
    return this.given.get(`${owner} ${mid} ${group}`);
  }

  /**
   * The QoS a session (or replica) that came from `owner` is owed of an orphan, or null. A share-group
   * orphan (`groups`: the groups its forward was for) goes to one member of the group: the first one asked.
   */
  owed(
    owner: string,
    clientId: string,
    subs: SubSpec[],
    msg: Message,
    groups: ReadonlySet<string>,
    known?: number,
  ): QoS | null {
    const q = orphanQos(knownSubs(subs, known), msg, groups);
    if (q === null || q.group === undefined || msg.mid === undefined) return q?.qos ?? null;
    const key = `${owner} ${msg.mid} ${q.group}`;
    const given = this.given.get(key);
    if (given !== undefined && given !== clientId) return null;
    this.given.set(key, clientId);
    return q.qos;
  }

  /** `owner` is back: forgets what was given of its orphans, each told to `each` (client id, mid, group). */
  drop(owner: string, each: (clientId: string, mid: string, group: string) => void): void {
    for (const [k, c] of this.given) {
      if (!k.startsWith(`${owner} `)) continue;
      this.given.delete(k);
      const rest = k.slice(owner.length + 1);
      const sp = rest.indexOf(' ');
      each(c, rest.slice(0, sp), rest.slice(sp + 1));
    }
  }
}
