// A replica: a peer's persistent session as this node keeps it (neither routed nor delivered), and the
// handoff that gives it to the node where the session lives.

import type { Message, QoS } from '../message.ts';
import { toWire, type HandoffBody, type SubSpec } from './peer-protocol.ts';

export interface Replica {
  clientId: string;
  owner: string;
  at: number;
  expiry: number;
  subs: SubSpec[];
  /** Owed messages in order, by message id. */
  msgs: Map<string, { msg: Message; qos: QoS }>;
  /** Recently completed message ids: a copy still on its way (an orphan) must not be delivered again. */
  done: Set<string>;
  in2: number[];
  user?: string;
}

/** The handoff of `r` to the node its session is on: the session there merges it (message ids drop what it has). */
export function replicaHandoff(r: Replica, now: number): HandoffBody {
  const body: HandoffBody = {
    clientId: r.clientId,
    subs: r.subs,
    expiry: r.expiry,
    msgs: [...r.msgs.values()].map((o) => toWire(o.msg, now, o.qos)),
    seen: [...r.done],
  };
  if (r.user !== undefined) body.user = r.user;
  return body;
}
