// How a broker shares its work with other nodes, as the broker needs it. A standalone broker has
// none; core/cluster/cluster.ts implements it for a cluster (routes, client-id claims, replicas).
// The broker calls only this: it knows no cluster file.

import type { Message } from './message.ts';
import type { Session } from './session.ts';
import type { SubSpec } from './subscription.ts';

/** A publisher's acknowledgement waiting on other nodes: `done` is called when they confirmed. */
export interface AckWait {
  done: (() => void) | null;
  /**
   * An outbound QoS 2 step's gate (core/qos2-guard.ts): a peer lost while it did not hear us (a one-way cut,
   * core/cluster/deaf-peer.ts) does not answer it; only its own confirmation, its restart or its removal does.
   */
  untilHeard?: boolean;
}

/** A session resumed here from another node's replica, and where it came from. */
export interface Resumed {
  session: Session;
  /** The node that owned it. */
  owner: string;
  /** Message ids that node had completed recently: not to be delivered again. */
  done: Set<string>;
  /** Its subscriptions as that node made them (their epochs there: what orphans for it may reach). */
  subs?: SubSpec[];
}

/** What a cluster may refuse while one of its members is unreachable (VerneMQ's allow_*_during_netsplit). */
export type SplitOp = 'register' | 'publish' | 'subscribe';

export interface Distribution {
  /** A cluster-unique id for a message entering at this node. */
  nextMid(): string;
  /** Routes a message published here to local sessions and other nodes; returns the number of receivers. */
  route(msg: Message): number;
  /** Runs `publish`; the publisher's acknowledgement waits for the returned AckWait when not null. */
  tracked<T>(publish: () => T, all?: boolean): { result: T; tracker: AckWait | null };
  /** Resumes `clientId`'s session from a replica another node made of it, if one is held here. */
  resume(clientId: string): Resumed | null;
  /** This node holds the session of `s` now (connected, offline, or `from` a replica just resumed); `fresh`:
   * its connection was told session present 0. */
  claim(s: Session, from?: Resumed, fresh?: boolean): void;
  /** The user a replica of `clientId`'s session belongs to, if a replica is held here. */
  replicaOwner(clientId: string): { user: string | undefined } | undefined;
  /** Whether `op` is refused now (a member is unreachable and the configuration says so). */
  refuses(op: SplitOp): boolean;
  /** While this node is evacuated (or gives up clients in a rebalance): the Server Reference connects get. */
  redirect(): string | null;
  /** The will of a client lost with node `lostWith` was published here. */
  willPublished(clientId: string, lostWith: string): void;
  /** The nodes running now, this one included (for `$SYS/brokers`). */
  runningNodes(): string[];
  stop(): void;
}
