// The local broker as the cluster sees it: what core/cluster/* may ask of the node it runs on.
// core/broker.ts implements it; the cluster never holds the Broker class.

import type { Env } from '../env.ts';
import type { Message, QoS } from '../message.ts';
import type { Session, DropReason } from '../session.ts';
import type { Owed } from '../delivery.ts';
import type { SubSpec } from '../subscription.ts';
import type { Distribution } from '../distribution.ts';
import type { SessionJournal } from '../journal.ts';
import type { RetainStore } from '../retain-store.ts';
import type { SessionLoads } from '../session-load.ts';

/** The node-local subscription index, as the route table follows it (core/subscription-index.ts). */
export interface LocalRoutes {
  /** Called when the first subscription of a route key comes or the last one goes. */
  onRouteChange: ((key: string, added: boolean) => void) | null;
  /** Gives a new plain subscription its epoch (called before its route change, if any). */
  onSubscribed: (() => number) | null;
  routeKeys(): IterableIterator<string>;
  holds(key: string): boolean;
  /** Whether share group `key` (`$share/{group}/{filter}`) has a member here. */
  servesGroup(key: string): boolean;
}

export interface LocalNode {
  readonly env: Env;
  readonly config: { readonly node: string };
  readonly sessions: ReadonlyMap<string, Session>;
  readonly subscriptions: LocalRoutes;
  readonly retained: RetainStore;
  /** The data dir's store, if any: commit() syncs what was written, whenDurable() waits until it is on disk. */
  readonly store: {
    commit(): boolean;
    whenDurable(fn: () => void): void;
    ended(clientId: string): void;
    /** Records of the cluster's own (replicas of other nodes' sessions: replica-disk.ts). */
    record?(key: string, value: Uint8Array | null): void;
    records?(prefix: string): [string, Uint8Array][];
  } | null;

  /** Set with an external store (sessions loaded from it: core/session-load.ts; thin replicas). */
  readonly loads?: SessionLoads | null;

  /** The cluster takes over routing, claims and replicas (called once, when it starts). */
  distribute(d: Distribution, journal: SessionJournal): void;

  /** Delivers to local sessions only; `groups` are the share groups this node serves the message to. */
  dispatchLocal(msg: Message, groups: ReadonlySet<string>, known?: number): number;
  /** Stores (or clears) a retained message here. */
  storeRetained(msg: Message): void;
  /** A replicated retained message the publishing node did not forward here: serve subscribers it did not know of. */
  retainedForLateSubscribers(msg: Message): void;
  publishWillOf(clientId: string, msg: Message): void;
  /** Publishes a message as a client's publish is (retained, routed, forwarded): one that came over a cluster link. */
  publish(msg: Message): number;

  /** Recreates an offline persistent session from a replica (failover, or a resume on this node). */
  restoreSession(clientId: string, expiry: number, at: number, subs: SubSpec[], owed: Owed[]): Session;
  /** Merges a session handed over from another node into the local one. */
  adoptSession(s: Session, subs: SubSpec[], owed: Owed[]): void;
  /** The session moved to another node: forget it here without a will or drops. */
  dropSession(s: Session): void;
  /** Closes the live connection of `s`: its client connected again on another node. */
  takenOver(s: Session): void;
  /** The will of `s` goes no more from here: published or discarded where its connection was. */
  discardWill(s: Session): void;
  /** Publishes the will of `s` now (its session ended for the client), if it still has one. */
  publishWill(s: Session): void;
  /** Arms the will of an offline session (its delay, or the session's end if sooner). */
  armWill(s: Session): void;

  countDrop(clientId: string, msg: Message, reason: DropReason): void;
  countDropped(reason: string, n?: number): void;
}
