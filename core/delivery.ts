// What travels through a session toward its client: one delivery, its state while in flight, the will,
// and why a delivery can be dropped. Kept apart from session.ts so peers' wire code needs no Session.

import type { Message, QoS } from './message.ts';

/** One message on its way to this session's client. */
export interface Delivery {
  msg: Message;
  qos: QoS;
  retain: boolean;
  subIds?: number[];
  /** Position of its record in the node's store, while it is stored (see core/session-store.ts). */
  pk?: number;
  /** QoS 2 sent before (by an earlier owner) with this packet id: the client may hold it so, the resend keeps it. */
  sentAs?: number;
}

export interface Inflight extends Delivery {
  /** 'publish': waiting for PUBACK/PUBREC; 'pubrel': PUBREL sent, waiting for PUBCOMP. */
  state: 'publish' | 'pubrel';
  /** Owed a resend on this connection but held back by the client's Receive Maximum. */
  deferred?: boolean;
  /** QoS 2: its PUBLISH or PUBREL waits until the session's copies hold the step (core/qos2-guard.ts). */
  held?: boolean;
}

export interface WillState {
  /** receivedAt/expiresAt are set when it is published. */
  msg: Message;
  /** Will Delay Interval, seconds. */
  delay: number;
  /** Message Expiry Interval of the will, seconds. */
  expirySec?: number;
  /** Set when the session failed over here: the lost node it was taken over from. */
  lostWith?: string;
  /** The node the client's connection was lost with, when another node had taken the will over first. */
  origin?: string;
}

export type DropReason =
  'queue-full' | 'expired' | 'offline-qos0' | 'packet-too-large' | 'session-expired' | 'no-session';

/** What a session needs of the connection its client is on (core/connection.ts implements it). */
export interface SessionOutlet {
  /** PUBLISHes go only once this is 'connected' (its CONNACK is out). */
  readonly state: string;
  /** The client's Receive Maximum: a bound on the inflight window. */
  readonly clientReceiveMaximum: number;
  /** Writes a PUBLISH; false when it is over the client's Maximum Packet Size (not sent). */
  sendPublish(d: Delivery, pid: number, dup: boolean): boolean;
  sendAck(kind: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp', pid: number, rc: number): void;
  /** The client connected again (here or on another node): this connection ends with Session Taken Over. */
  takenOver(): void;
  /** Evacuation: the connection ends with Use Another Server (v5, with `serverReference`; 3.1.1 closed). */
  evict(serverReference: string): void;
}

/** Outbound QoS 2: PUBLISH sent, PUBREC received (PUBREL owed; both with the delivery), PUBCOMP received. */
export type Qos2Step = 'sent' | 'released' | 'completed';

/** Sorts each origin's deliveries by sequence in place, within the slots they occupy; others stay put. */
export function inOriginOrder(
  q: Delivery[],
  origin: (d: Delivery) => { from: string; seq: number } | undefined,
): void {
  const slots = new Map<string, { at: number[]; ds: { d: Delivery; seq: number }[] }>();
  q.forEach((d, i) => {
    const o = origin(d);
    if (!o) return;
    let g = slots.get(o.from);
    if (!g) slots.set(o.from, (g = { at: [], ds: [] }));
    g.at.push(i);
    g.ds.push({ d, seq: o.seq });
  });
  for (const g of slots.values()) {
    g.ds.sort((a, b) => a.seq - b.seq);
    g.at.forEach((i, k) => (q[i] = g.ds[k].d));
  }
}

/** A delivery as it goes in flight (its PUBLISH sent, or about to be). */
export function inFlight(d: Delivery): Inflight {
  return { msg: d.msg, qos: d.qos, retain: d.retain, subIds: d.subIds, state: 'publish', pk: d.pk };
}

/** A message a session is owed as another copy of it (replica, handoff) knew it. */
export type Owed = Pick<Delivery, 'msg' | 'qos' | 'sentAs'>;
