// The frames of the peer protocol between cluster nodes and what each carries. Their encoding is
// core/cluster/peer-protocol.ts.

import type { Message, QoS } from '../message.ts';
import type { SubSpec } from '../subscription.ts';
import type { Qos2Step } from '../delivery.ts';

export type { SubSpec };

// 2: RMsg is a binary message record (was JSON with a base64 payload); the handshake MAC names prover,
// verifier and side of the link; replicated session state carries its user.
// 3: Retain frames carry the write's version (hybrid time, counter, writer node) in front of the record, and
// a clear is a tombstone with its version (see retained-replication.ts).
// 4: Refused: a handoff the receiver did not take over tells the sender to stop passing that session's messages on.
// 5: outbound QoS 2 state follows a session (ROut; sentAs on handed-off messages, rel on handoffs); noWill;
// Rebalance (evacuation and rebalance, maintenance.ts); a Handoff with `migrate` moves an offline session.
// 6: subscription epochs: Routes carry the node's epoch (`e`), a Forward the receiver's epoch its sender knew;
// OrphanGiven.
// 7: Held (what a holder of a lost owner's replicas and wills hands its backup); a Handoff carries a will its
// sender took over by failover (willLost, willOrigin, willAt).
export const PROTOCOL_VERSION = 7;
export const MAX_FRAME = 64 * 1024 * 1024;

export const enum F {
  Hello = 1,
  Auth = 2,
  Ping = 3,
  Routes = 4,
  Forward = 5,
  Retain = 6,
  Members = 7,
  Leave = 8,
  Register = 9,
  Handoff = 10,
  /** A frame that must survive link loss: [u32 seq][inner frame without length]. */
  Seq = 11,
  /** Session replication: the owner's view of a persistent session. */
  RState = 12,
  RMsg = 13,
  RDone = 14,
  REnd = 15,
  /** Messages forwarded to a node that died before confirming them, for its sessions' new home. */
  Orphan = 16,
  /** A session moved here from `owner`: send me what you forwarded to it unconfirmed. */
  OrphanReq = 17,
  OrphanReply = 18,
  /** The will of a client connected on the sender (absent: cleared), for survivors to publish if the sender dies. */
  RWill = 19,
  /** A message that reached a session's old node after the session moved on: for the new owner, by client id. Binary like RMsg. */
  Moved = 20,
  /**
   * The handoff of this client id's session from the recipient was not taken over here (Clean Start, another
   * user, no session): what it owed is not the session now here, so the recipient stops passing it on.
   */
  Refused = 21,
  /** An outbound QoS 2 step of a replicated session (session.ts Qos2Step): replicas resend under the same id. */
  ROut = 22,
  /** Cluster rebalance: a participant's connection count asked and told, a donor's order, its release. */
  Rebalance = 23,
  /**
   * Core/replicant relay (replicant.ts): [u16 n][JSON RelayHeader][inner frame without length]. A replicant asks a
   * core to pass the inner frame on (`to`); a core passes on what a replicant sent (`from`).
   */
  Relay = 24,
  /** From a dead owner's backup to a node that sent it orphans: the share groups it gave failed-over members. */
  OrphanGiven = 25,
  /**
   * From a node that failed `owner` over without being its backup, to that backup: the replicas and wills it
   * held of `owner` (the backup may have been cut off from it: held-replicas.ts).
   */
  Held = 26,
}

export interface HeldBody {
  owner: string;
  /** The owner's life these are of, as the sender was linked to it... */
  inc?: string;
  /** ...or the sender saw it restart: that life is over. */
  ended?: true;
  replicas: HeldReplica[];
  wills: RWillBody[];
}

/** A replica as held (replica.ts): its claim's time, its QoS 2 state, the packet id last sent under. */
export interface HeldReplica extends HandoffBody {
  at: number;
  lastSent?: number;
}

export interface OrphanGivenBody {
  owner: string;
  given: { mid: string; groups: string[] }[];
}

export interface RelayHeader {
  /** The node the inner frame comes from (a replicant). */
  from: string;
  /** To a core: the nodes to pass it on to, each with the share groups a forward serves there. */
  to?: [string, string[]][];
}

export interface ROutBody {
  clientId: string;
  pid: number;
  step: Qos2Step;
  /** 'sent': the message sent with `pid`. */
  mid?: string;
}

export interface RebalanceBody {
  op: 'load?' | 'load' | 'evict' | 'stop';
  /** load?, load: the coordinator's measuring round. */
  round?: number;
  /** load: live connections; evict: how many to close. */
  conns?: number;
  /** evict: connections closed a second, the health-check wait (ms), the nodes clients are pointed to. */
  rate?: number;
  waitMs?: number;
  to?: string[];
  /** evict: how long (ms) the donor stays unhealthy after its quota, unless released first. */
  holdMs?: number;
}

export interface RWillBody {
  clientId: string;
  at: number;
  will?: WireMessage;
  delay?: number;
  expirySec?: number;
  /** A will the sender took over by failover: the node its client's connection was lost with. */
  lost?: string;
  /** A clear (no `will`): published or discarded by a clean DISCONNECT, not moved with its session. */
  gone?: boolean;
}

export interface OrphanReqBody {
  clientId: string;
  owner: string;
}
export interface OrphanReplyBody {
  clientId: string;
  owner: string;
  msgs: WireMessage[];
}

export interface RStateBody {
  clientId: string;
  at: number;
  expiry: number;
  subs: SubSpec[];
  /** Inbound QoS 2 packet ids received and not yet released: a resend of one must not be routed again. */
  in2?: number[];
  /** User name that made the session (with authentication on, only it may resume the session elsewhere). */
  user?: string;
}
export interface RMsgBody {
  clientId: string;
  msg: Message;
  /** QoS of the delivery (the subscription's, at most the message's). */
  dq: QoS;
}
export interface RDoneBody {
  clientId: string;
  mids: string[];
}
export interface REndBody {
  clientId: string;
}
export interface OrphanBody {
  owner: string;
  msgs: WireMessage[];
}

export interface HelloBody {
  v: number;
  node: string;
  address: string;
  nonce: string;
  /** Changes with every start of the node: sequence numbers are per incarnation. */
  inc: string;
  /** Only a replicant says so (core/cluster/replicant.ts); a core's Hello is unchanged. */
  role?: 'replicant';
}
export interface AuthBody {
  mac: string;
}
export interface PingBody {
  t: number;
  /** Highest Seq frame received from the recipient, in order (cumulative ack). */
  ack: number;
}
/** Route changes of the sending node; `full` replaces everything known of it. */
/** A message published on the sender for our sessions (message-record.ts). */
export interface ForwardFrame {
  type: F.Forward;
  msg: Message;
  /** The share groups we serve it to. */
  groups: string[];
  /** The newest of our subscription epochs the sender had heard of (route-replication.ts). */
  known?: number;
}

export interface RoutesBody {
  full: boolean;
  add: string[];
  del: string[];
  /** A full table of another node's routes, as the sender knows them (lets a restarted node learn the whole table from one peer). */
  of?: string;
  /** The subscription epoch of the node the routes are of, as of this table or change (route-replication.ts). */
  e?: number;
}
export interface MemberInfo {
  node: string;
  address: string;
  state: 'running' | 'left';
}
export interface MembersBody {
  members: MemberInfo[];
}
export interface LeaveBody {
  node: string;
  /** Set when another node forces `node` out. */
  by?: string;
}
export interface RegisterBody {
  clientId: string;
  /** Connect time on the registering node's clock, and a tiebreak. */
  at: number;
  node: string;
  /** The client is connected there (a live claim beats an offline one). */
  live: boolean;
  /** Its connection started a new session there (session present 0): any older one ended for the client. */
  fresh?: true;
}
export interface HandoffBody {
  clientId: string;
  subs: SubSpec[];
  expiry: number;
  /** Undelivered messages, in order (inflight first). */
  msgs: WireMessage[];
  /** Ids of messages the session already had (delivered or owed): copies arriving later are dropped. */
  seen?: string[];
  in2?: number[];
  /** Outbound QoS 2 packet ids past PUBREC: the new owner owes their PUBRELs. */
  rel?: number[];
  /** The sender's session holds no will (published, or discarded by a clean DISCONNECT, where the client was). */
  noWill?: boolean;
  /** The user the session belongs to (a replica handed over): another user's session does not take it. */
  user?: string;
  /** An evacuating node moves its offline session here: it becomes a session here even if none is. */
  migrate?: true;
  /** With migrate: the session's last connect (a live claim made after it is the client's, elsewhere). */
  at?: number;
  /** Peers whose copies of the session the sender took in just before (their handoffs come inside this one). */
  via?: string[];
  /** Its client's connection was lost on the sender: ms until the will there was due. */
  willIn?: number;
  /** With willIn: that will, its Will Delay (s) and Message Expiry (s). */
  will?: WireMessage;
  willDelay?: number;
  willExpiry?: number;
  /** With willIn: the will was taken over on the sender by a failover of this node (WillState.lostWith)... */
  willLost?: string;
  /** ...first taken over from this one (WillState.origin), for the connection made at willAt. */
  willOrigin?: string;
  willAt?: number;
}
/**
 * The version of a retained set or clear: the writer's clock, never below the version it replaces (a hybrid
 * logical clock per topic), a counter for writes within one millisecond, then the writer node as a tiebreak.
 */
export interface RetainVersion {
  l: number;
  c: number;
  n: string;
}

export interface WireMessage {
  topic: string;
  payload: string; // base64
  qos: QoS;
  retain: boolean;
  from: string;
  receivedAt: number;
  expiresIn?: number;
  props?: Message['props'];
  /** Delivery QoS for handoffs. */
  dq?: QoS;
  mid?: string;
  /** Orphans: the share groups (`$share/g/filter`) the unconfirmed forward was for. */
  groups?: string[];
  /** Handoffs: QoS 2 sent to the client with this packet id, its PUBREC not received. */
  sentAs?: number;
  /** Orphans: the owner's newest subscription epoch the forward's sender knew of (route-replication.ts). */
  known?: number;
}

export type Frame =
  | { type: F.Hello; body: HelloBody }
  | { type: F.Auth; body: AuthBody }
  | { type: F.Ping; body: PingBody }
  | { type: F.Routes; body: RoutesBody }
  | ForwardFrame
  | { type: F.Retain; msg: Message; v: RetainVersion; deleted: boolean; notForwarded: boolean }
  | { type: F.Members; body: MembersBody }
  | { type: F.Leave; body: LeaveBody }
  | { type: F.Register; body: RegisterBody }
  | { type: F.Handoff; body: HandoffBody }
  | { type: F.Seq; seq: number; inner: Frame }
  | { type: F.RState; body: RStateBody }
  | { type: F.RMsg; body: RMsgBody }
  | { type: F.Moved; body: RMsgBody }
  | { type: F.RDone; body: RDoneBody }
  | { type: F.REnd; body: REndBody }
  | { type: F.Orphan; body: OrphanBody }
  | { type: F.OrphanGiven; body: OrphanGivenBody }
  | { type: F.Held; body: HeldBody }
  | { type: F.OrphanReq; body: OrphanReqBody }
  | { type: F.OrphanReply; body: OrphanReplyBody }
  | { type: F.RWill; body: RWillBody }
  | { type: F.Refused; body: REndBody }
  | { type: F.ROut; body: ROutBody }
  | { type: F.Rebalance; body: RebalanceBody }
  | { type: F.Relay; head: RelayHeader; inner: Frame; raw: Buffer };

/** A malformed, unknown or oversized frame: the link is closed. */
export class FrameError extends Error {}
