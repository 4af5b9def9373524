// Retained messages across the cluster. Every set or clear gets a version (peer-protocol's RetainVersion):
// the writer's clock, but never below the version it replaces (a hybrid logical clock per topic), a
// counter, then the writer node's name. A write that follows another (it was acknowledged before the next
// began: the acknowledgement waits for the running peers to hold it) therefore always wins, whatever the
// clocks say; writes on both sides of a split that never saw each other are ordered by their times, then
// by node name, and every node picks the same one.
//
// A clear leaves a tombstone with its version, so a node cut off during the clear cannot bring the old
// value back: the link-up resync sends every entry, tombstones included, and the older version loses.
//
// A writer lost (or restarted) before every peer confirmed its write takes the frames with it: the peers
// still running send each other what they hold of its writes (writtenBy), so one the writer had given up on
// (declared down, its acknowledgement not waiting for it) gets it from another (explored-power-retained-diverge).
//
// Garbage collection: a tombstone (or the version of a message that expired) is dropped TOMBSTONE_MS
// (24 h) after this node saw the message go, by this node's clock. The highest version dropped is the
// horizon: a set from a peer for a topic we know nothing of, with a version at or below it, may be a value
// whose clear we forgot; it is refused and a tombstone above it is stored and sent back, so every node
// drops it. The bounded trade-off: a retained message set only on one side of a split that lasted longer
// than 24 h, and not written since, may be dropped at the heal instead of spreading. Nothing newer than
// the horizon is affected, and the stores always converge.

import type { LocalNode } from './local-node.ts';
import type { Message } from '../message.ts';
import { encodeRetain, type RetainVersion } from './peer-protocol.ts';

/** How long a tombstone outlives its clear (this node's clock). */
export const TOMBSTONE_MS = 24 * 3600_000;
/** How often tombstones are looked through for ones to drop. */
const GC_EVERY_MS = 60_000;

/** a > b: 1, a < b: -1, same write: 0. */
export function compareVersions(a: RetainVersion, b: RetainVersion): number {
  if (a.l !== b.l) return a.l > b.l ? 1 : -1;
  if (a.c !== b.c) return a.c > b.c ? 1 : -1;
  return a.n === b.n ? 0 : a.n > b.n ? 1 : -1;
}

interface Entry {
  v: RetainVersion;
  /** Since when (this node's clock) the topic has no message here: cleared, or expired. */
  gone: number | null;
}

export class RetainedReplicator {
  private entries = new Map<string, Entry>();
  /** Highest version of a tombstone dropped since this node started (or wiped its cluster data). */
  private horizon: RetainVersion | null = null;
  private lastGc = 0;

  constructor(
    private node: string,
    private broker: LocalNode,
    /** The time from which a write read now may have been sent (earlier than now after a freeze). */
    private sentSince: (now: number) => number = (now) => now,
  ) {}

  private now(): number {
    return this.broker.env.clock.now();
  }

  /** A set or clear published on this node (already in its store): its version, above anything seen for the topic. */
  local(msg: Message): RetainVersion {
    const now = this.now();
    // A write read as a frozen node wakes may predate what its client did elsewhere meanwhile: it is
    // versioned from the moment the node froze, so a write acknowledged elsewhere since wins.
    const at = this.sentSince(now);
    const e = this.entries.get(msg.topic)?.v;
    const cur =
      e && this.horizon && compareVersions(this.horizon, e) > 0 ? this.horizon : (e ?? this.horizon);
    const v: RetainVersion =
      cur && cur.l >= at ? { l: cur.l, c: cur.c + 1, n: this.node } : { l: at, c: 0, n: this.node };
    this.entries.set(msg.topic, { v, gone: msg.payload.length === 0 ? now : null });
    return v;
  }

  /**
   * A set or clear from a peer: applied when newer than what we hold. Returns a frame to answer with
   * when a set is refused as possibly cleared and forgotten (see the horizon above).
   */
  merge(msg: Message, v: RetainVersion, deleted: boolean, notForwarded: boolean): Buffer | null {
    const now = this.now();
    const cur = this.entry(msg.topic);
    if (cur && compareVersions(cur.v, v) >= 0) return null;
    if (!cur && !deleted && this.horizon && compareVersions(v, this.horizon) <= 0) {
      const t: RetainVersion = { l: this.horizon.l, c: this.horizon.c + 1, n: this.node };
      this.entries.set(msg.topic, { v: t, gone: now });
      return encodeRetain(tombstone(msg.topic), t, now, true, false);
    }
    this.entries.set(msg.topic, { v, gone: deleted ? now : null });
    if (deleted) {
      if (this.broker.retained.get(msg.topic)) this.broker.storeRetained(tombstone(msg.topic));
      return null;
    }
    this.broker.storeRetained(msg);
    if (notForwarded) this.broker.retainedForLateSubscribers(msg);
    return null;
  }

  /** The full resync a link-up sends: every entry, tombstones included ($SYS is per node). */
  *resync(now: number, writer?: string): IterableIterator<Buffer> {
    for (const m of this.broker.retained.all()) if (!m.topic.startsWith('$SYS/')) this.entry(m.topic);
    for (const [topic, e] of this.entries) {
      if (writer !== undefined && e.v.n !== writer) continue;
      const msg = e.gone === null ? this.broker.retained.get(topic) : undefined;
      if (msg) yield encodeRetain(msg, e.v, now, false, false);
      else {
        e.gone ??= now;
        yield encodeRetain(tombstone(topic), e.v, now, true, false);
      }
    }
  }

  /**
   * The entries `writer` wrote (tombstones included), for the running peers when it is lost or restarted: it
   * took the writes it had not yet delivered with it, and a peer whose link to us never broke gets no resync.
   */
  writtenBy(writer: string, now: number): Buffer[] {
    return [...this.resync(now, writer)];
  }

  /** Drops tombstones older than TOMBSTONE_MS (looked through once a minute). */
  gc(now: number): void {
    if (now - this.lastGc < GC_EVERY_MS) return;
    this.lastGc = now;
    for (const [topic, e] of this.entries) {
      if (e.gone === null) {
        if (!this.broker.retained.get(topic)) e.gone = now; // expired since
        continue;
      }
      if (now - e.gone < TOMBSTONE_MS) continue;
      this.entries.delete(topic);
      if (!this.horizon || compareVersions(e.v, this.horizon) > 0) this.horizon = e.v;
    }
  }

  /** The node takes the cluster's retained messages instead of its own (cluster join). */
  clear(): void {
    this.entries.clear();
    this.horizon = null;
  }

  /** Tombstones and versions held (for tests and stats). */
  get size(): number {
    return this.entries.size;
  }

  /** The entry of `topic`; a stored message that has none (stored before clustering) gets one from its receive time. */
  private entry(topic: string): Entry | undefined {
    const e = this.entries.get(topic);
    if (e) return e;
    const m = this.broker.retained.get(topic);
    if (!m) return undefined;
    const adopted: Entry = { v: { l: m.receivedAt, c: 0, n: '' }, gone: null };
    this.entries.set(topic, adopted);
    return adopted;
  }
}

function tombstone(topic: string): Message {
  return { topic, payload: Buffer.alloc(0), qos: 0, retain: true, from: '', receivedAt: 0 };
}
