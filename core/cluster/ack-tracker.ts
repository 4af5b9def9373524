// ackMode 'replicated': a QoS 1/2 publish is acknowledged to its publisher only once every peer it
// was forwarded or replicated to has confirmed what it caused. While a publish runs, each reliable
// frame (or message held for a peer) it causes counts against its Tracker; confirmations count down.
//
// ackMode 'quorum' (docs/durability.md, "Ack mode quorum"): the acknowledgement waits until a majority
// of the cluster's members hold the message: this node and, of the peers it was sent to, as many as
// make a majority (all of them when fewer were involved: a message only for clean sessions here goes
// at once, as in 'replicated'). A frame for a peer that is cut off counts too and stays counted when
// the peer is taken for lost (in 'replicated' that answers the publisher): only that peer's own
// confirmation, once the link is back, answers it. So a node that finds every peer unreachable (a
// long pause) holds its acknowledgements instead of giving them without any copy elsewhere.

import type { AckWait } from '../distribution.ts';
import type { NodeState } from './config.ts';

export interface Tracker extends AckWait {
  pending: number;
  /** Ack mode 'quorum' only. */
  quorum?: Quorum;
}

interface Quorum {
  /** Peers needed besides this node for a majority of the cluster's members. */
  need: number;
  /** Peers the publish sent something to, and those that confirmed it. */
  peers: Set<string>;
  holders: Set<string>;
  answered: boolean;
  /** Counted once in `stats.quorumHeld`. */
  held: boolean;
  /** Fewer peers than `need` were reachable when the publish came. */
  short?: boolean;
  stats: { quorumHeld: number };
}

/**
 * The tracker a frame or held message counted against is answered: one confirmation fewer to wait for.
 * `peer`: the peer that confirmed it (ack mode 'quorum' counts it as holding the message). Without one
 * (the peer was lost, the frame dropped or handed on), 'quorum' gives no credit.
 */
export function settle(u: { tracker?: Tracker }, peer?: string): void {
  const t = u.tracker;
  if (!t) return;
  u.tracker = undefined;
  --t.pending;
  const q = t.quorum;
  if (!q) {
    if (t.pending === 0) t.done?.();
    return;
  }
  if (peer !== undefined && q.peers.has(peer)) q.holders.add(peer);
  // Answered with a majority; or when nothing is left to confirm it (frames dropped: the peer restarted
  // or was removed), as in 'replicated': the message lives on in the failed-over copies.
  const majority = q.peers.size > 0 && q.holders.size >= Math.min(q.need, q.peers.size);
  if (!q.answered && (majority || t.pending === 0)) {
    q.answered = true;
    t.done?.();
  }
}

/**
 * A frame kept for a peer taken for lost (failover): in 'replicated' its publisher is answered now (the
 * message lives on here and at the backup); in 'quorum' it stays counted until that peer confirms it.
 */
export function settleLost(u: { tracker?: Tracker }): void {
  const q = u.tracker?.quorum;
  if (!q) return settle(u);
  if (!q.answered) countHeld(q);
}

function countHeld(q: Quorum): void {
  if (q.held) return;
  q.held = true;
  q.stats.quorumHeld++;
}

export class AckTracker {
  /** The publish running now, while tracked() (or within()) runs it. */
  current: Tracker | null = null;
  constructor(
    private readonly config: { readonly ackMode: 'replicated' | 'local' | 'quorum' },
    private readonly members: () => Iterable<{ state: NodeState }> = () => [],
    private readonly stats: { quorumHeld: number } = { quorumHeld: 0 },
  ) {}

  /**
   * Runs `publish` and reports what the publisher's acknowledgement must wait
   * for: null when it may go now (ack mode 'local', no peer involved). `all`: every running peer's
   * confirmation, whatever the ack mode (an outbound QoS 2 step: core/qos2-guard.ts). It may run within
   * another publish's (a local delivery): that one's tracking goes on after it.
   */
  tracked<T>(publish: () => T, all = false): { result: T; tracker: Tracker | null } {
    if (this.config.ackMode === 'local' && !all) return { result: publish(), tracker: null };
    const t: Tracker = { pending: 0, done: null };
    if (this.config.ackMode === 'quorum' && !all) t.quorum = this.newQuorum();
    const outer = this.current;
    this.current = t;
    let result: T;
    try {
      result = publish();
    } finally {
      this.current = outer;
    }
    if (t.quorum?.short && t.pending > 0) countHeld(t.quorum);
    return { result, tracker: t.pending > 0 ? t : null };
  }

  /** Runs `send` on behalf of the publish `t` was made for (a message held, and sent later). */
  within(t: Tracker | null, send: () => void): void {
    const outer = this.current; // a publish running now (its forward sends older ones first) goes on after it
    this.current = t;
    try {
      send();
    } finally {
      this.current = outer;
    }
  }

  /** One more confirmation the running publish waits for: its tracker, or undefined when none runs. */
  hold(peer?: string): Tracker | undefined {
    const t = this.current;
    if (!t) return undefined;
    t.pending++;
    if (peer !== undefined) t.quorum?.peers.add(peer);
    return t;
  }

  /** Whether a frame to a peer in `state` counts against the running publish (a cut-off one: 'quorum' only). */
  counts(state: NodeState): boolean {
    return state === 'running' || (this.current?.quorum !== undefined && state === 'unreachable');
  }

  private newQuorum(): Quorum {
    let n = 1;
    let reachable = 1;
    for (const m of this.members()) {
      if (m.state === 'left' || m.state === 'stopped') continue;
      n++;
      if (m.state === 'running') reachable++;
    }
    const need = Math.floor(n / 2);
    const q: Quorum = {
      need,
      peers: new Set(),
      holders: new Set(),
      answered: false,
      held: false,
      stats: this.stats,
    };
    q.short = reachable <= need;
    return q;
  }
}
