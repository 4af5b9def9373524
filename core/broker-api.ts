// The broker as a client connection and its packet handlers see it (core/connection.ts,
// core/handlers/*). core/broker.ts implements it. Nothing here is about clustering or the disk:
// those reach the handlers only as the policy and the waits they decide.

import type { SessionLoads } from './session-load.ts';
import type { BrokerConfig } from './config.ts';
import type { Env, StorageFault } from './env.ts';
import type { Message } from './message.ts';
import type { Delivery, DropReason, Session, SessionOutlet, Subscription } from './session.ts';
import type { SessionJournal } from './journal.ts';
import type { AckWait, SplitOp } from './distribution.ts';
import type { FlappingDetector } from './rate-limit.ts';

export interface BrokerStats {
  connectedCount: number;
  connectsAccepted: number;
  connectsRejected: number;
  messagesIn: number;
  messagesOut: number;
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Messages not delivered, by reason. Never silent. */
  dropped: Record<string, number>;
  /** Connections closed by the broker, by v5 reason code. */
  closedByReason: Record<string, number>;
  willsPublished: number;
  sessionsExpired: number;
  takeovers: number;
  /** Refused by the ACL: PUBLISH packets, SUBSCRIBE filters, will messages. */
  denied: { publish: number; subscribe: number; will: number };
  /** CONNECTs refused: bad credentials or not authorized, banned client id, listener over its connect rate; clients cut off for their message rate; bans imposed. */
  auth: {
    failed: number;
    banned: number;
    connectRateExceeded: number;
    messageRateExceeded: number;
    flappingBans: number;
  };
}

/** All counters at zero. */
export function newStats(): BrokerStats {
  return {
    connectedCount: 0,
    connectsAccepted: 0,
    connectsRejected: 0,
    messagesIn: 0,
    messagesOut: 0,
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    dropped: {},
    closedByReason: {},
    willsPublished: 0,
    sessionsExpired: 0,
    takeovers: 0,
    denied: { publish: 0, subscribe: 0, will: 0 },
    auth: { failed: 0, banned: 0, connectRateExceeded: 0, messageRateExceeded: 0, flappingBans: 0 },
  };
}

/** What the transport knows about a connection. */
export interface AcceptInfo {
  /** Listener name: each has its own connect-rate bucket. */
  listener?: string;
  /** Verified TLS client certificate's CN, used as the user name without a password check. */
  certUser?: string;
}

/** Observers for the simulator's history and the runtime's logs. All optional. */
export interface BrokerHooks {
  onDrop?(clientId: string, msg: Message, reason: DropReason): void;
  onConnect?(clientId: string, sessionPresent: boolean): void;
  onDisconnect?(clientId: string, cause: CloseCause): void;
  onWill?(clientId: string, msg: Message): void;
  /** A PUBLISH was written to `clientId`'s connection. */
  onSent?(clientId: string, d: Delivery): void;
}

/** Why a connection ended: decides the will and is reported in stats. */
export type CloseCause =
  | 'client-disconnect'
  | 'client-disconnect-with-will'
  | 'transport'
  | 'keepalive'
  | 'protocol'
  | 'takeover'
  | 'shutdown'
  | 'connect-timeout'
  | 'rejected';

/** What the handlers ask of the data dir: inbound QoS 2 ids, its fault (core/session-store.ts). */
export interface Inbound2Journal {
  holdInbound2(s: Session, pid: number, msg: Message): void;
  releaseInbound2(s: Session, pid: number): boolean;
  resentMid(clientId: string, pid: number): string | undefined;
  /** The fault the data dir's last write met: new persistent work is refused while it lasts (core/disk-fault.ts). */
  fault(): StorageFault | null;
}

export interface BrokerApi {
  readonly config: BrokerConfig;
  readonly env: Env;
  readonly stats: BrokerStats;
  readonly sessions: ReadonlyMap<string, Session>;
  readonly flapping: FlappingDetector | null;
  /** Authentication or authorization is on: sessions belong to the identity that made them. */
  readonly secured: boolean;
  readonly connectedCount: number;
  /** Every journal of persistent sessions (disk, peers' replicas), told at once. */
  readonly journal: SessionJournal;

  /** Takes a token from the listener's connect-rate bucket; false = over the rate. */
  connectAllowed(listener: string): boolean;
  assignClientId(): string;
  countConnack(rc: number): void;
  countClose(rc: number): void;
  countDropped(reason: string, n?: number): void;

  /** The user the session of `clientId` belongs to, if one is held here (live or as another node's replica). */
  priorOwner(clientId: string): { user: string | undefined } | undefined;
  /** Binds a connection to the session of `clientId` (takeover, Clean Start, resume). */
  openSession(
    conn: SessionOutlet,
    clientId: string,
    clean: boolean,
    expiry: number,
  ): { session: Session; present: boolean };
  connectionClosed(conn: SessionOutlet, wasConnected: boolean, cause: CloseCause): void;
  /** Whether the cluster refuses `op` now (a member is unreachable and the configuration says so). */
  refuses(op: SplitOp): boolean;
  /** This node sends clients away (evacuation, rebalance): the Server Reference for them, else null. */
  redirect(): string | null;

  /** Routes an application message; returns how many receivers it has. */
  publish(msg: Message): number;
  /** Clustered: gives `msg` its cluster-wide id now, before it is routed. */
  assignMid(msg: Message): void;
  /** Runs `publish`; the publisher's acknowledgement waits for the returned AckWait when not null. */
  tracked<T>(publish: () => T, all?: boolean): { result: T; tracker: AckWait | null };
  /** The data dir, as a QoS 2 publish needs it (core/session-store.ts); null without one. */
  readonly store: Inbound2Journal | null;
  /** Syncs what the store holds unsynced; true when the caller must wait for whenDurable(). */
  commit(): boolean;
  whenDurable(fn: () => void): void;
  /** Set with an external store: a CONNECT waits for its session from it (core/session-load.ts). */
  readonly loads: SessionLoads | null;

  subscribe(sub: Subscription, replaced: Subscription | undefined): void;
  unsubscribe(sub: Subscription): void;
  sendRetained(sub: Subscription): void;
}
