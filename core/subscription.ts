// A subscription as it travels and is stored (SubSpec: peers' replicas, handoffs, the disk store),
// and the one conversion each way between it and the live Subscription a session holds.

import type { QoS } from './message.ts';
import type { Session, Subscription } from './session.ts';
import { parseShare } from './topic.ts';

export interface SubSpec {
  /** The subscription's canonical key (Subscription.raw). */
  key: string;
  qos: QoS;
  nl: boolean;
  rap: boolean;
  rh: 0 | 1 | 2;
  subId?: number;
  /** Its epoch on the node it was made (Subscription.epoch): an orphan reaches it only if its sender knew it. */
  e?: number;
}

export function toSpec(x: Subscription): SubSpec {
  return {
    key: x.raw,
    qos: x.qos,
    nl: x.noLocal,
    rap: x.retainAsPublished,
    rh: x.retainHandling,
    subId: x.subId,
    ...(x.epoch ? { e: x.epoch } : {}),
  };
}

/** A session's subscriptions, in the order they were made. */
export function specsOf(s: Session): SubSpec[] {
  const out: SubSpec[] = [];
  for (const x of s.subscriptions.values()) out.push(toSpec(x));
  return out;
}

/** The live subscription a spec stands for, or null when its key is not a valid filter. */
export function fromSpec(session: Session, x: SubSpec): Subscription | null {
  const p = parseShare(x.key);
  if (!p) return null;
  return {
    session,
    raw: x.key,
    filter: p.filter,
    group: p.group,
    qos: x.qos,
    noLocal: x.nl,
    retainAsPublished: x.rap,
    retainHandling: x.rh,
    subId: x.subId,
  };
}
