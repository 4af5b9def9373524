// Wills across the cluster (EMQX #1667: wills of clients on a crashed node were never published).
// The node a client is connected to streams the client's will to every peer; if that node dies, its
// backup publishes it: with the session restored there (at the earlier of its delay and the session's
// expiry), or at once when there is no session to restore (Session Expiry 0), unless the client came
// back meanwhile.

import type { Message } from '../message.ts';
import { RecentSet } from '../recent-set.ts';
import type { Session } from '../session.ts';
import type { Timer } from '../env.ts';
import type { ClusterEvent } from './events.ts';
import type { LocalNode } from './local-node.ts';
import { F, encodeJson, fromWire, toWire, type RWillBody } from './peer-protocol.ts';

/** What the will replicator needs of the cluster (a part of ReplicaLinks). */
export interface WillLinks {
  broadcastReliable(frame: Buffer): void;
  /** Whether the client connected again (anywhere) after `at`. */
  claimedSince(clientId: string, at: number): boolean;
  /** The running node other than `owner` and this one where the connection of `clientId` made at `at` is live. */
  liveElsewhere(clientId: string, at: number, owner: string): string | undefined;
  emit(e: ClusterEvent): void;
}

interface HeldWill {
  owner: string;
  clientId: string;
  at: number;
  msg: Message;
  delay: number;
  expirySec?: number;
  /** Taken over by failover at `owner`: the node the client's connection was lost with. */
  lost?: string;
  timer: Timer | null;
}

export class WillReplicator {
  /**
   * Wills of clients connected on other nodes: published here if that node dies and we are its backup.
   * By `owner clientId`: a client that moved on leaves its old node's will here until that node clears
   * it, so a connection lost with its node still publishes one [MQTT-3.1.2-8], whatever came after.
   */
  private wills = new Map<string, HeldWill>();
  /** The nodes wills came from (a handful: the cluster's members). */
  private owners = new Set<string>();
  /** Connections (`clientId at`) whose will was cleared, published or taken into a session: not adopted again. */
  private cleared = new RecentSet<string>(8192);

  constructor(
    private readonly c: WillLinks,
    private readonly b: LocalNode,
  ) {}

  /** The will of a client connected here was set, discarded or published (`gone`: not moved with its session). */
  changed(s: Session, gone?: boolean): void {
    if (!s.will) this.cleared.add(`${s.clientId} ${s.connectedAt}`);
    this.c.broadcastReliable(this.frame(s, gone));
  }

  private frame(s: Session, gone?: boolean): Buffer {
    const now = this.b.env.clock.now();
    const w = s.will;
    return encodeJson(
      F.RWill,
      w
        ? {
            clientId: s.clientId,
            at: s.connectedAt,
            will: toWire(w.msg, now),
            // Due at the earlier of its delay and the session's end: with Session Expiry 0 the session ends with
            // the connection, so a reconnect (a new session) does not cancel it [MQTT-3.1.2-8, 3.1.3.2.2].
            delay: Math.min(w.delay, s.expiryInterval),
            expirySec: w.expirySec,
            lost: w.origin ?? w.lostWith,
          }
        : { clientId: s.clientId, at: s.connectedAt, ...(gone ? { gone } : {}) },
    );
  }

  /**
   * The will of a client connected here, or of an offline session here whose will is still due, for a
   * peer whose link just came up: a peer that took us for dead published (and forgot) it though the
   * client stayed (split-will), or restarted empty; it must hold it again, should we be lost before it goes.
   */
  frameFor(s: Session): Buffer | null {
    return s.will ? this.frame(s) : null;
  }

  /** F.RWill: the will of a client connected on `from` (absent: cleared). */
  onWill(from: string, b: RWillBody): void {
    const key = `${from} ${b.clientId}`;
    // The same connection's will from another node (one that failed its session over from there) is this
    // one now: only the latest holder's copy counts, so it goes once, or not at all once that node cleared it.
    for (const owner of this.owners) {
      const w = owner === from ? undefined : this.wills.get(`${owner} ${b.clientId}`);
      if (w?.at !== b.at) continue;
      w.timer?.cancel();
      this.wills.delete(`${owner} ${b.clientId}`);
    }
    this.wills.get(key)?.timer?.cancel();
    if (!b.will) {
      this.cleared.add(`${b.clientId} ${b.at}`);
      this.wills.delete(key);
      if (b.gone) this.goneElsewhere(b.clientId, b.at);
      return;
    }
    this.owners.add(from);
    this.wills.set(key, {
      owner: from,
      clientId: b.clientId,
      at: b.at,
      msg: fromWire(b.will, this.b.env.clock.now()),
      delay: b.delay ?? 0,
      expirySec: b.expirySec,
      lost: b.lost,
      timer: null,
    });
  }

  /**
   * The will of `clientId`'s connection made at `at` was published or discarded on another node: the
   * session we failed over from there (taking that node for lost while it was paused or cut off) holds
   * the same will, which goes no more [MQTT-3.1.2-8: once]. A clear that only says the session moved
   * on (handoff, `gone` unset) leaves it: the will follows that session.
   */
  private goneElsewhere(clientId: string, at: number): void {
    const s = this.b.sessions.get(clientId);
    if (s && !s.conn && s.will?.lostWith !== undefined && s.connectedAt === at) this.b.discardWill(s);
  }

  /**
   * Before the session of `clientId` (claimed at `at`) is restored from the dead `owner`: connected
   * elsewhere since, its will goes no more, unless it had no delay (due when the connection died with
   * its node, before any reconnect); nor when the owner held a copy of a session whose connection is
   * live on a node we hear (split-brain).
   */
  forgetIfBack(owner: string, clientId: string, at: number): void {
    const key = `${owner} ${clientId}`;
    const w = this.wills.get(key);
    const since = this.c.claimedSince(clientId, at);
    if (w && ((since && w.delay > 0) || this.c.liveElsewhere(clientId, w.at, owner) !== undefined))
      this.wills.delete(key);
  }

  /**
   * The owner is gone and we are its backup. The will of a client whose session we restored goes
   * with that session (Broker.armWill: at the earlier of its delay and the session's expiry). The
   * others had no replicated session (Session Expiry 0): it ended with the lost connection, so their
   * wills go now, unless the client came back meanwhile.
   */
  arm(owner: string, restored: Session[], only?: ReadonlySet<string>): void {
    for (const s of restored) {
      const w = this.wills.get(`${owner} ${s.clientId}`);
      if (!w) continue;
      this.wills.delete(`${owner} ${s.clientId}`);
      w.timer?.cancel();
      s.will = { msg: w.msg, delay: w.delay, expirySec: w.expirySec, lostWith: owner, origin: w.lost };
      this.changed(s); // held by the others now as ours, should we be lost too
      this.b.armWill(s);
    }
    for (const [key, w] of this.wills) {
      if (w.owner !== owner || w.timer || (only && !only.has(w.clientId))) continue;
      const clientId = w.clientId;
      w.timer = this.b.env.clock.setTimer(0, () => {
        this.wills.delete(key);
        this.cleared.add(`${clientId} ${w.at}`);
        // Reconnected somewhere: no will, unless it had no delay (due when the connection died with its node);
        // nor for a copy of a connection live on a node we hear (the owner had failed it over in a split).
        if (w.delay > 0 && this.c.claimedSince(clientId, w.at)) return;
        if (this.c.liveElsewhere(clientId, w.at, owner) !== undefined) return;
        const now = this.b.env.clock.now();
        const msg: Message = { ...w.msg, receivedAt: now };
        if (w.expirySec !== undefined) msg.expiresAt = now + w.expirySec * 1000;
        this.c.emit({ type: 'will', clientId, from: w.lost ?? owner });
        this.b.publishWillOf(clientId, msg);
        // Published: the others drop their copies of that connection's will (one of them may be next backup).
        this.c.broadcastReliable(encodeJson(F.RWill, { clientId, at: w.at, gone: true }));
      });
    }
  }

  /** The wills held of `owner`'s clients (for its backup, which may lack them: held-replicas.ts). */
  heldOf(owner: string): RWillBody[] {
    const now = this.b.env.clock.now();
    const out: RWillBody[] = [];
    for (const w of this.wills.values()) {
      if (w.owner !== owner) continue;
      const b: RWillBody = { clientId: w.clientId, at: w.at, will: toWire(w.msg, now), delay: w.delay };
      if (w.expirySec !== undefined) b.expirySec = w.expirySec;
      if (w.lost !== undefined) b.lost = w.lost;
      out.push(b);
    }
    return out;
  }

  /** A will a peer held of `owner` (held-replicas.ts): ours too, unless we hold that connection's or it went. */
  adopt(owner: string, b: RWillBody): boolean {
    if (!b.will || this.cleared.has(`${b.clientId} ${b.at}`)) return false;
    for (const w of this.wills.values()) if (w.clientId === b.clientId && w.at >= b.at) return false;
    this.onWill(owner, b);
    return true;
  }

  /** The owner is back (it was cut off, not dead): its clients' wills stay with it. */
  ownerBack(owner: string): void {
    for (const w of this.wills.values()) {
      if (w.owner === owner && w.timer) {
        w.timer.cancel();
        w.timer = null;
      }
    }
  }
}
