// What happens when a peer is lost: it went unreachable (a crash, or only a cut: the heal merges both
// sides without duplicates), or it was unreachable for autocleanMs and is removed (EMQX autoclean).

import type { Message } from '../message.ts';
import { settle, settleLost, type AckTracker } from './ack-tracker.ts';
import { waitsForPeer } from './deaf-peer.ts';
import type { ClusterEvent, ClusterStats } from './events.ts';
import type { OrphanKeeper } from './forwarding.ts';
import type { Member } from './member.ts';
import type { Membership } from './membership.ts';
import type { Unacked } from './member.ts';
import {
  F,
  decode,
  encodeJson,
  knownOfSeq,
  toOrphanWire,
  type OrphanBody,
  type WireMessage,
} from './peer-protocol.ts';
import { withGroups } from './reliable-channel.ts';

export interface FailoverLinks {
  readonly membership: Membership;
  readonly stats: ClusterStats;
  /** Frames sent within `tracked` count for its tracker (ack-tracker.ts). */
  readonly acks: Pick<AckTracker, 'tracked'>;
  readonly replicas: OrphanKeeper & {
    /** The replicas of `owner`'s sessions come alive here if we are its backup. */
    ownerDown(owner: string, pastLife?: boolean): void;
    /** Whether replicas of `owner`'s previous life (it restarted empty) are held here, taken over by nobody. */
    pastLife(owner: string): boolean;
    peerGone(node: string): void;
  };
  now(): number;
  sendReliable(m: Member, frame: Buffer): void;
  dropUnacked(m: Member): void;
  /** The share groups of a forward to `owner` no session failed over here from it was given. */
  groupsNotGiven(owner: string, msg: Message, groups: string[]): string[];
  /** Forgets a removed node's routes (returns how many) and claims. */
  purge(node: string): number;
  countDropped(reason: string, n: number): void;
  /** The retained entries `node` wrote (retained-replication.ts writtenBy). */
  retainedBy?(node: string): Buffer[];
  /** Before `owner`'s sessions fail over: those whose client connected on another node since go there (replicant.ts). */
  claimedSinceLost?(owner: string): void;
  emit(e: ClusterEvent): void;
}

export class Failover {
  constructor(private readonly c: FailoverLinks) {}

  /** The link to a running peer is gone: from now on it is unreachable. */
  lost(m: Member): void {
    m.state = 'unreachable';
    m.downSince = this.c.now();
    this.c.stats.netsplitsDetected++;
    this.c.emit({ type: 'peer.down', peer: m.node });
    this.c.replicas.peerGone(m.node);
    this.failover(m);
  }

  /** The peer restarted faster than we noticed it was gone: its previous life failed all the same. */
  restarted(m: Member): void {
    this.c.emit({ type: 'peer.restarted', peer: m.node });
    this.c.replicas.peerGone(m.node);
    this.failover(m, true);
  }

  /**
   * A peer became unreachable: messages it never confirmed go to its backup
   * (which may be us), and if we are the backup its sessions come alive here.
   * If it was only cut off, the heal merges both sides without duplicates.
   */
  failover(m: Member, restarted = false): void {
    const now = this.c.now();
    // With the messages of the orphans it never confirmed: the sessions it failed over are its own now.
    const msgs = m.unacked
      .filter((u) => u.msg)
      .map((u) => toOrphanWire(u.msg!, u.groups, now, knownOfSeq(u.frame)));
    // Kept in our own replicas of its sessions too: the backup may itself have restarted empty.
    if (msgs.length) this.c.replicas.orphans(m.node, msgs);
    // Publishers waiting on the dead node's confirmation are answered once the running peers confirmed what we
    // made of their messages: the backup its orphans, every peer the replicas of the sessions failed over here
    // (one whose replica follows the live owner keeps ours beside it: copy-keeper.ts), not on our word alone.
    // With no peer running, at once: they live on here. (In 'quorum' only the dead node's confirmation counts.)
    // Not an outbound QoS 2 step a peer deaf to us never heard: its copies lack it (deaf-peer.ts).
    // Orphans we gave it as an earlier lost owner's backup go to that owner's backup now; their publishers
    // wait for it (their trackers move here, out of reach of the drop of its frames when it restarted).
    // All of them when it restarted: its frames are dropped next (autoheal), which would answer them now.
    const passed = orphansFor(m, now);
    const waiting = m.unacked.filter((u) => !waitsForPeer(m, u));
    const carried = (restarted ? waiting : passed.map(({ u }) => u)).map((u) => {
      const c = { tracker: u.tracker };
      u.tracker = undefined;
      return c;
    });
    const lost = restarted ? carried : [...waiting, ...carried];
    // (A dropped frame ends the wait in 'quorum' too: settle, not settleLost.)
    const answer = restarted ? settle : settleLost;
    const { tracker } = this.c.acks.tracked(() => this.takeOver(m, msgs, passed), true);
    if (tracker) tracker.done = () => lost.forEach((u) => answer(u));
    else lost.forEach((u) => answer(u));
    // Only cut off, it gets these frames again when it is back: the share groups one of its sessions
    // here (the failed-over member) was given go no more, so the group gets the message once.
    for (const u of m.unacked)
      if (u.msg && u.groups) withGroups(u, this.c.groupsNotGiven(m.node, u.msg, u.groups), now);
    // Its retained writes it may not have delivered to every peer: from us to those still running.
    const writes = this.c.retainedBy?.(m.node) ?? [];
    if (writes.length)
      for (const o of this.c.membership.members.values())
        if (o !== m && o.state === 'running') for (const f of writes) this.c.sendReliable(o, f);
  }

  /** What `m` never confirmed goes to its backup (if not us), and the sessions we are the backup of come alive here. */
  private takeOver(m: Member, msgs: WireMessage[], passed: { body: OrphanBody }[] = []): void {
    const ms = this.c.membership;
    const backup = ms.backupOf(m.node);
    const b = msgs.length && backup !== ms.node ? ms.get(backup) : undefined;
    if (b) this.c.sendReliable(b, encodeJson(F.Orphan, { owner: m.node, msgs }));
    // (Ours when we are that backup: kept in our replicas since we failed the owner over.)
    for (const { body } of passed) {
      const next = ms.backupOf(body.owner);
      const n = next !== ms.node && next !== m.node ? ms.get(next) : undefined;
      if (n) this.c.sendReliable(n, encodeJson(F.Orphan, body));
    }
    this.c.claimedSinceLost?.(m.node);
    this.c.replicas.ownerDown(m.node);
    // Owners lost earlier whose backup this was: their sessions come alive at their next backup (maybe us),
    // so which node takes them over does not depend on the order the two losses were noticed in.
    // An owner that restarted empty meanwhile counts too: what we hold of its previous life nobody took over.
    for (const o of ms.members.values())
      if (o !== m && o.state === 'unreachable') this.c.replicas.ownerDown(o.node);
      else if (o !== m && o.state === 'running' && this.c.replicas.pastLife(o.node))
        this.c.replicas.ownerDown(o.node, true);
  }

  /** `m` was unreachable for autocleanMs: it is removed, with its routes and claims. */
  autoclean(m: Member): void {
    m.state = 'stopped';
    if (m.unacked.length) this.c.countDropped('peer-removed', m.unacked.length);
    this.c.dropUnacked(m);
    this.dropStale(m);
    const n = this.c.purge(m.node);
    this.c.stats.autocleaned++;
    this.c.emit({ type: 'autoclean', peer: m.node, routes: n });
  }

  /** A removed peer gets nothing of what was kept for it (counted with its unconfirmed frames). */
  dropStale(m: Member): void {
    if (!m.stale) return;
    for (const x of m.stale) settle(x);
    if (m.stale.length) this.c.countDropped('peer-removed', m.stale.length);
    m.stale = null;
  }
}

/** The orphans for owners other than `m` among the frames `m` never confirmed (we gave them to it as their backup). */
function orphansFor(m: Member, now: number): { u: Unacked; body: OrphanBody }[] {
  const out: { u: Unacked; body: OrphanBody }[] = [];
  for (const u of m.unacked) {
    // A Seq frame: length, F.Seq, the sequence number, then the inner frame (type, body).
    if (u.msg || u.frame[9] !== F.Orphan) continue;
    const f = decode(u.frame.subarray(9), now);
    if (f.type === F.Orphan && f.body.owner !== m.node) out.push({ u, body: f.body });
  }
  return out;
}
