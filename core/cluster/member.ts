// A peer node as this node knows it: its link, the reliable channel's state with it, and what is
// kept for it while its routes are unknown.

import type { Timer } from '../env.ts';
import type { Message } from '../message.ts';
import type { Tracker } from './ack-tracker.ts';
import type { NodeState } from './config.ts';
import type { PeerLink } from './peer-link.ts';

export interface Unacked {
  seq: number;
  frame: Buffer;
  msg?: Message;
  /** The share groups a forward was for: if the peer fails, its orphans go to one member of each. */
  groups?: string[];
  tracker?: Tracker;
  /** First sent (broker clock): the acknowledgement's round trip is measured from here. */
  sentAt: number;
}

/** A message held for a peer whose routes we do not know (see Member.stale). */
export interface Stale {
  msg: Message;
  /** Its publisher's acknowledgement, held when the peer was running (link up, routes on their way). */
  tracker?: Tracker;
  /**
   * The share groups (keys) the message went to, one object for all peers it is kept for: served at its
   * publish, or released since to a peer whose table names a member (each group once).
   */
  served?: Set<string>;
}

export interface Member {
  node: string;
  address: string;
  state: NodeState;
  link: PeerLink | null;
  /** When it became unreachable (broker clock). */
  downSince: number;
  /** Incarnation of the peer our sequence state refers to. */
  peerInc: string;
  /**
   * The newest subscription epoch of that incarnation we have heard of (its routes carry it); our
   * forwards to it say so, and reach only its subscriptions of at most that epoch. Unset: none heard.
   */
  epoch?: number;
  /** Monotonic ms: when the link to its current incarnation first came up here. */
  upSince: number;
  /** Monotonic ms: when we last heard its previous link (its last life, once it is lost or restarted). */
  lastHeard: number;
  /** Its last acknowledgement left a frame of ours unconfirmed past two heartbeats: alive, not hearing us (deaf-peer.ts). */
  deaf?: boolean;
  /** Reliable frames sent and not yet acknowledged, oldest first: resent when the link comes back. */
  unacked: Unacked[];
  outSeq: number;
  /** Highest in-order Seq frame received from the peer's current incarnation. */
  inSeq: number;
  /** Highest Seq we confirm: with a data dir, only once what its frames wrote is on disk (<= inSeq). */
  confirmed: number;
  sinceAck: number;
  ackTimer: Timer | null;
  /** Dial attempts not yet opened or failed, and when the newest started. */
  dialing: number;
  dialStarted: number;
  /** The link we dialed last (superseded while still in its handshake when a newer attempt opens). */
  dialHello: PeerLink | null;
  /**
   * Non-null while we do not hold the peer's current routes (it is cut off, or back and its full
   * table not in yet): QoS 1/2 messages published here that were not forwarded to it, oldest
   * first, bounded by `forwardBuffer`. When its table arrives, those matching it go after all.
   */
  stale: Stale[] | null;
}

export function newMember(node: string, address: string, now: number): Member {
  return {
    node,
    address,
    state: 'unreachable',
    link: null,
    downSince: now,
    peerInc: '',
    upSince: 0,
    lastHeard: 0,
    unacked: [],
    outSeq: 0,
    inSeq: 0,
    confirmed: 0,
    sinceAck: 0,
    ackTimer: null,
    dialing: 0,
    dialStarted: 0,
    dialHello: null,
    stale: [],
  };
}
