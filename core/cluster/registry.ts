// The client-id registry and session handoff (EMQX's emqx_cm): a client id lives on one node. Each
// node claims the ids whose sessions it holds; of two claims the live one wins, then the newer
// connect, then the higher node name, so every node decides alike. The loser hands the session
// over (subscriptions, owed messages, message ids seen), and for a while passes on what still
// reaches it for that session, so a late forward or handoff follows it.

import type { Message, QoS } from '../message.ts';
import type { Session } from '../session.ts';
import type { WillState } from '../delivery.ts';
import { specsOf } from '../subscription.ts';
import { TopicTrie } from '../topic-trie.ts';
import type { ClusterEvent, ClusterStats } from './events.ts';
import type { LocalNode } from './local-node.ts';
import type { Member } from './member.ts';
import type { Membership } from './membership.ts';
import type { ServedShared } from './served-shared.ts';
import type { Timer } from '../env.ts';
import { midOrigin } from './orphan-rules.ts';
import { willIn, willOut } from './handoff-will.ts';

const msgOf = (o: { msg: Message }): Message => o.msg;

/** How long a live session waits for the handoff of a peer's older copy before it sends again. */
const HANDOFF_WAIT_MS = 3000;
/** How long after a cut (Membership.cutWithin) forwards passed on to a live session here are named (order.ts). */
const CUT_WATCH_MS = 10_000;
import {
  F,
  encodeJson,
  encodeRMsg,
  fromWire,
  toWire,
  type HandoffBody,
  type RMsgBody,
} from './peer-protocol.ts';

/** How long a session's old node passes late forwards on to its new one. */
const MOVED_FOLLOW_MS = 5 * 60_000;

/** What the registry needs of the rest of the cluster (core/cluster/cluster.ts wires it). */
export interface RegistryLinks {
  readonly membership: Membership;
  /** How long a handed-off session's routes stay advertised here. */
  readonly lingerMs: number;
  /** A replicant: nodes that are not members (other replicants) are reached through a core (replicant.ts). */
  readonly viaCore?: boolean;
  readonly stats: ClusterStats;
  /** Share-group messages members here were already given. */
  readonly served: ServedShared;
  now(): number;
  sendReliable(m: Member, frame: Buffer, msg?: Message): void;
  sendReliableTo(node: string, frame: Buffer): void;
  /** Best effort to every member (each link-up resends the claims anyway). */
  broadcast(frame: Buffer): void;
  /** Keeps route keys advertised until `until`. */
  linger(keys: string[], until: number): void;
  /** The session of `clientId` is no longer held here: peers drop their replicas of it. */
  replicaEnded(clientId: string): void;
  /** An evacuating node moves the session of `h` here: an empty offline session for it (filled like a handoff). */
  migratedIn(h: HandoffBody): Session;
  /** ...and filled: claim it (what peers forwarded to `from` unconfirmed is fetched) and replicate it. */
  migrated(s: Session, from: string): void;
  /** A live claim by another node for a session we hold no live copy of. */
  claimedElsewhere(clientId: string, node: string): void;
  /**
   * Messages `from` passed on to a live session here: a copy's (`handoff`) or forwards that reached it after the
   * session left (`moved`). If the session sent newer ones already, these come after them.
   */
  passedOn(how: PassedOn, clientId: string, from: string, msgs: Message[]): void;
  emit(e: ClusterEvent): void;
}

/** How a peer passed messages on to a session that moved here: in a copy of it, or as forwards that followed it. */
export type PassedOn = 'handoff' | 'moved';

interface MovedSub {
  qos: QoS;
  epoch?: number;
}

interface Claim {
  node: string;
  at: number;
  live: boolean;
}

export class Registry {
  /** Who holds each client id's session: node, connect time, connected or not (live, then newest, then name wins). */
  private claims = new Map<string, Claim>();
  /** Sessions handed off from here: forwards still on their way to us follow them, until `until`. */
  private moved = new Map<
    string,
    { node: string; filters: string[]; groups?: Map<string, QoS>; until: number }
  >();
  /** Their plain subscriptions by filter (client id -> QoS and epoch): a forward finds them by topic, not by a scan. */
  private movedSubs = new TopicTrie<Map<string, MovedSub>>();
  private movedScratch: Map<string, MovedSub>[] = [];
  /**
   * Sessions here that took over a session handed off by a peer, by peer (the latest handoff from it): what
   * that peer passes on afterwards (F.Moved) is theirs. A session that started afresh with the same client id
   * (Clean Start, another user) or replaced the one that took it over gets none of it.
   */
  private heirs = new WeakMap<Session, Set<string>>();
  /**
   * Live sessions here holding their sends until the peers that also held a copy handed them over: the
   * claimants, and how many handoffs are still due (a copy may come through another node: counted, not named).
   */
  private awaiting = new Map<string, { from: Set<string>; got: Set<string>; due: number; timer: Timer }>();
  /** Per session here: the peers whose copies it took in by handoff, and when (passed on as `via`). */
  private absorbed = new WeakMap<Session, Map<string, number>>();
  /** Wills taken over from a node that has restarted or left since (Registry.purge). */
  private pastLife = new WeakSet<WillState>();

  constructor(
    private readonly local: LocalNode,
    private readonly c: RegistryLinks,
  ) {}

  private get node(): string {
    return this.c.membership.node;
  }

  /** This node holds the session of `s.clientId` (a client connected, or a session failed over here): say so. */
  claim(s: Session, fresh = false): void {
    const live = s.conn !== null;
    // A flag on the session, not a WeakSet of them: with 100,000 sessions the collector's ephemeron
    // pass over such a set took seconds per full GC.
    s.freshClaim = fresh && live;
    // A claim we already heard of was made before this connect, whatever the clocks say (they differ
    // between nodes by a millisecond or more): ours must order after it, or neither node gives way.
    const known = this.claims.get(s.clientId);
    if (live && known && known.node !== this.node && known.at >= s.connectedAt) s.connectedAt = known.at + 1;
    // The session is here again: what followed it elsewhere stops (a follow must never point back at us).
    this.unfollow(s.clientId);
    this.claims.set(s.clientId, { node: this.node, at: s.connectedAt, live });
    this.c.broadcast(this.claimFrame(s));
  }

  /** Our claim on the session of `s`, as sent to a peer at link-up. */
  claimFrame(s: Session): Buffer {
    return encodeJson(F.Register, {
      clientId: s.clientId,
      at: s.connectedAt,
      node: this.node,
      live: s.conn !== null,
      ...(s.conn && s.freshClaim ? { fresh: true } : {}),
    });
  }

  /** Whether the client connected again (anywhere) after `at`. */
  claimedSince(clientId: string, at: number): boolean {
    const r = this.claims.get(clientId);
    return !!r && r.at > at;
  }

  /** The live claim on `clientId`'s session, if the newest claim known here is one. */
  liveClaim(clientId: string): { node: string; at: number } | undefined {
    const r = this.claims.get(clientId);
    return r?.live ? r : undefined;
  }

  /** The running node other than `owner` and this one where the connection of `clientId` made at `at` is live. */
  liveElsewhere(clientId: string, at: number, owner: string): string | undefined {
    const r = this.claims.get(clientId);
    const live = !!r && r.live && r.at === at && r.node !== owner && this.c.membership.isRunning(r.node);
    return live ? r.node : undefined;
  }

  /** F.Register: `node` claims the session of `clientId`. */
  onRegister(clientId: string, node: string, at: number, live: boolean, fresh = false): void {
    const s = this.local.sessions.get(clientId);
    if (s) {
      // Live beats offline, then the newer connect, then the node name: every node decides alike.
      const mine = s.conn !== null;
      const theirsWins = live !== mine ? live : at !== s.connectedAt ? at > s.connectedAt : node > this.node;
      // Theirs is an offline copy (a failover during a split): it comes here with messages older than what
      // reaches us from now on (forwards it kept while we were cut off), so nothing is sent until it is in.
      if (!theirsWins && mine && !live) this.awaitHandoff(s, node);
      if (!theirsWins) return;
      // The old connection's close claims the session as offline here: the winner's claim goes in after it,
      // or a later connect here would not order itself after that claim.
      if (s.conn) this.local.takenOver(s);
      // Its client was told it has a new session since this one's connect: this one ended for it, so its will
      // is due now [MQTT-3.1.2-8]. (A copy of that same connection's session has its connect time.) Not from a
      // copy we failed over from a node we hear again (this life): that node knows its connection's fate.
      if (fresh && live && s.will && at > s.connectedAt && !this.ownerDecides(s.will))
        this.local.publishWill(s);
      this.claims.set(clientId, { node, at, live });
      // The session may have ended with its connection (Session Expiry 0).
      if (this.local.sessions.get(clientId) === s) this.handOff(s, node);
      return;
    }
    const cur = this.claims.get(clientId);
    if (!cur || live || !cur.live) this.claims.set(clientId, { node, at, live });
    if (live) this.c.claimedElsewhere(clientId, node);
  }

  /** A will we failed over from a node running again, in the same life: its will is that node's to publish. */
  private ownerDecides(w: WillState): boolean {
    return w.lostWith !== undefined && this.c.membership.isRunning(w.lostWith) && !this.pastLife.has(w);
  }

  /** Forgets the claims of a node removed from the cluster. */
  purge(node: string): void {
    for (const [id, r] of this.claims) if (r.node === node) this.claims.delete(id);
    // Wills we took over from its lost life: what its new life hands us (a copy it failed over) says nothing of them.
    for (const s of this.local.sessions.values()) if (s.will?.lostWith === node) this.pastLife.add(s.will);
  }

  /** Evacuation: hands the offline session `s` over to `node`, where it becomes a session (evacuation.ts). */
  migrate(s: Session, node: string): void {
    this.handOff(s, node, true);
  }

  private handOff(s: Session, node: string, migrate = false): void {
    const m = this.c.membership.get(node);
    if (!m && !this.c.viaCore) return;
    const now = this.c.now();
    const body: HandoffBody = {
      clientId: s.clientId,
      expiry: s.expiryInterval,
      subs: specsOf(s),
      msgs: s.pending().map((d) => toWire(d.msg, now, d.qos, d.sentAs)),
      seen: s.seen ? [...s.seen] : undefined,
      in2: s.inboundQos2.size ? [...s.inboundQos2] : undefined,
    };
    const rel = s.releasing();
    if (rel.length) body.rel = rel;
    Object.assign(body, willOut(s, now)); // its will (handoff-will.ts)
    // Another user connecting with this client id starts afresh there, even without a replica to tell it whose it was.
    if (s.owner !== undefined) body.user = s.owner;
    if (migrate) Object.assign(body, { migrate: true, at: s.connectedAt });
    // Copies taken in lately: a receiver waiting for their holders' handoffs has them with this one.
    const via = [...(this.absorbed.get(s) ?? [])].filter(([, t]) => t >= now - HANDOFF_WAIT_MS);
    if (via.length) body.via = via.map(([n]) => n);
    this.c.stats.handoffsOut++;
    this.followMoved(s, node, now);
    // Our routes for its filters stay up a while: a publisher that has not learned the new owner's
    // route yet still forwards here (and we pass it on) instead of to no one.
    this.c.linger(this.moved.get(s.clientId)!.filters, now + this.c.lingerMs);
    if (m) this.c.sendReliable(m, encodeJson(F.Handoff, body));
    else this.c.sendReliableTo(node, encodeJson(F.Handoff, body)); // to another replicant, through a core
    this.c.emit({ type: 'handoff.out', clientId: s.clientId, to: node, msgs: body.msgs.length });
    this.local.dropSession(s);
    this.local.store?.ended(s.clientId); // it lives there now: a restart here must not bring back this copy
    this.c.replicaEnded(s.clientId);
  }

  private followMoved(s: Session, node: string, now: number): void {
    this.unfollow(s.clientId);
    const filters: string[] = [];
    let groups: Map<string, QoS> | undefined;
    for (const x of s.subscriptions.values()) {
      if (x.group !== undefined) {
        (groups ??= new Map()).set(x.raw, x.qos);
        continue;
      }
      filters.push(x.raw);
      this.movedSubs.getOrCreate(x.raw, () => new Map()).set(s.clientId, { qos: x.qos, epoch: x.epoch });
    }
    // Kept without filters too: a handoff still on its way here follows the session.
    this.moved.set(s.clientId, { node, filters, groups, until: now + MOVED_FOLLOW_MS });
  }

  /**
   * A forward for share group `key` that no member here serves any more: it goes to a member that moved on
   * from here (the sender picked this node before it learned of the move). False: none did.
   */
  forwardMovedGroup(msg: Message, key: string): boolean {
    for (const [clientId, e] of this.moved) {
      const qos = e.groups?.get(key);
      const m = qos === undefined ? undefined : this.movedTo(clientId);
      if (!m) continue;
      const dq = Math.min(qos!, msg.qos) as QoS;
      this.c.sendReliable(m, encodeRMsg(clientId, dq, msg, this.c.now(), F.Moved), msg);
      return true;
    }
    return false;
  }

  /** The node a session handed off from here went to, if it left recently and is not back. */
  private movedTo(clientId: string): Member | undefined {
    const e = this.moved.get(clientId);
    if (!e || this.c.now() > e.until || this.local.sessions.has(clientId)) return undefined;
    return this.c.membership.get(e.node);
  }

  private unfollow(clientId: string): void {
    const e = this.moved.get(clientId);
    if (!e) return;
    this.moved.delete(clientId);
    for (const f of e.filters) {
      const subs = this.movedSubs.get(f);
      if (subs?.delete(clientId) && subs.size === 0) this.movedSubs.delete(f);
    }
  }

  /** Stops following sessions whose follow time is up. */
  expire(now: number): void {
    for (const [clientId, e] of this.moved) if (now > e.until) this.unfollow(clientId);
  }

  /** Whether any session handed off from here is still followed. */
  get following(): boolean {
    return this.moved.size > 0;
  }

  /**
   * A forward that arrived after the session it was meant for moved on (the
   * sender routed it before it learned of the move): pass it to the new owner,
   * whose session drops it if it already has it (message ids). `known`: as in
   * Forwarding.onForward (a publish here: every subscription is older).
   */
  forwardMoved(msg: Message, skip?: Map<string, string[]>, known = Infinity): void {
    const now = this.c.now();
    const matched = this.movedSubs.match(msg.topic, this.movedScratch);
    const dqs = new Map<string, number>();
    for (const subs of matched)
      for (const [clientId, x] of subs) {
        // Made here after the sender routed it: the message came before the subscription (see dispatch).
        if (x.epoch !== undefined && x.epoch > known) continue;
        dqs.set(clientId, Math.max(dqs.get(clientId) ?? -1, Math.min(x.qos, msg.qos)));
      }
    matched.length = 0;
    for (const [clientId, dq] of dqs) {
      const e = this.moved.get(clientId)!;
      if (now > e.until || this.local.sessions.has(clientId)) {
        this.unfollow(clientId);
        continue;
      }
      const m = skip?.has(e.node) ? undefined : this.c.membership.get(e.node);
      if (m) this.c.sendReliable(m, encodeRMsg(clientId, dq as QoS, msg, now, F.Moved), msg);
    }
  }

  /** F.Moved: a message the sender owed a session it handed over to us. */
  onMoved(peer: string, body: RMsgBody): void {
    const s = this.local.sessions.get(body.clientId);
    const next = s ? undefined : this.movedTo(body.clientId);
    // Owed to the session the sender handed over: only the session that took that one over gets it.
    if (s && this.heirs.get(s)?.has(peer)) {
      s.deliver({ msg: body.msg, qos: body.dq, retain: false });
      // Named only around a cut (where a second path may overtake or lag the direct one): not every follow.
      if (s.conn && this.c.membership.cutWithin(CUT_WATCH_MS))
        this.c.passedOn('moved', body.clientId, peer, [body.msg]);
    } else if (next)
      this.c.sendReliable(
        next,
        encodeRMsg(body.clientId, body.dq, body.msg, this.c.now(), F.Moved),
        body.msg,
      );
    else this.local.countDrop(body.clientId, body.msg, 'no-session');
  }

  /** F.Refused: `peer` did not take over the session we handed it. */
  onRefused(peer: string, clientId: string): void {
    // Only if it still follows that session to the refusing node (a later move may point elsewhere).
    if (this.moved.get(clientId)?.node === peer) this.unfollow(clientId);
  }

  private awaitHandoff(s: Session, from: string): void {
    const a = this.awaiting.get(s.clientId);
    if (a && !a.from.has(from)) {
      a.from.add(from);
      a.due++;
    }
    if (a) return;
    s.hold();
    const timer = this.local.env.clock.setTimer(HANDOFF_WAIT_MS, () => this.handoffIn(s.clientId, true));
    this.awaiting.set(s.clientId, { from: new Set([from]), got: new Set(), due: 1, timer });
  }

  /**
   * An awaited handoff is in (`all`: or they never came): once all are, the session sends, older first. It came
   * from `nodes[0]` with the copies of the others inside; one that no claimant sent counts for one.
   */
  private handoffIn(clientId: string, all = false, nodes: string[] = []): void {
    const a = this.awaiting.get(clientId);
    if (!a) return;
    const named = nodes.filter((n) => a.from.has(n) && !a.got.has(n));
    for (const n of named) a.got.add(n);
    a.due -= Math.max(1, named.length);
    if (a.due > 0 && !all) return;
    a.timer.cancel();
    this.awaiting.delete(clientId);
    this.local.sessions.get(clientId)?.release(midOrigin);
  }

  /** F.Handoff: `from` hands us the session of `h.clientId`. */
  onHandoff(from: string, h: HandoffBody): void {
    this.c.stats.handoffsIn++;
    const now = this.c.now();
    let s = this.local.sessions.get(h.clientId);
    this.c.emit({ type: 'handoff.in', clientId: h.clientId, from, msgs: h.msgs.length });
    let fresh = false;
    if (!s && h.migrate) {
      // Moved here by an evacuation: a session here, unless its client connected on another node since.
      const cur = this.claims.get(h.clientId);
      const since = cur?.live && cur.at > (h.at ?? Infinity) && cur.node !== this.node && cur.node !== from;
      const away = since ? cur.node : undefined;
      if (away === undefined) {
        s = this.c.migratedIn(h);
        fresh = true;
      } else
        return this.c.sendReliableTo(
          away,
          encodeJson(F.Handoff, { ...h, migrate: undefined, at: undefined }),
        );
    }
    const next = s ? undefined : this.movedTo(h.clientId);
    if (next) {
      // The session moved on from here before this handoff arrived (a takeover race): it follows.
      this.c.sendReliable(next, encodeJson(F.Handoff, h));
      this.c.emit({ type: 'handoff.follow', clientId: h.clientId, to: next.node, msgs: h.msgs.length });
      return;
    }
    if (!s || s.expiryInterval === 0 || s.cleanStarted || (h.user !== undefined && h.user !== s.owner)) {
      // The client started clean here (or is gone): nothing to resume; the owed messages are dropped, counted.
      for (const w of h.msgs) this.local.countDrop(h.clientId, fromWire(w, now), 'no-session');
      // Nor what still reaches the sender for that session: it stops passing it on, and what is already
      // on its way here is not for the session now here.
      if (s) this.heirs.get(s)?.delete(from);
      this.c.sendReliableTo(from, encodeJson(F.Refused, { clientId: h.clientId }));
      return;
    }
    let took = this.heirs.get(s);
    if (!took) this.heirs.set(s, (took = new Set()));
    took.add(from);
    let abs = this.absorbed.get(s);
    if (!abs) this.absorbed.set(s, (abs = new Map()));
    for (const n of [from, ...(h.via ?? [])]) abs.set(n, now);
    // The client started this session afresh (session present 0): packet ids of the old one mean nothing to it, so
    // what the old one sent goes as new (DUP 0), and its QoS 2 ids must not drop the client's new packets.
    const afresh = s.freshClaim;
    // Not held for handoffs, with messages not sent yet: the copy's go among them in each origin's sequence (a
    // failed-over copy got newer ones of an origin whose older ones this copy brings).
    const sorted = !s.holding && s.queued > 0;
    if (sorted) s.hold();
    // A share-group forward the peer failed over to this session while we served it to a member here
    // (we were paused or cut off, not down): the group had it.
    const owed = h.msgs
      .filter((w) => !this.c.served.servedHere(w, h.subs))
      .map((w) => ({
        msg: fromWire(w, now),
        qos: (w.dq ?? w.qos) as 0 | 1 | 2,
        sentAs: afresh ? undefined : w.sentAs,
      }));
    this.local.adoptSession(s, h.subs, owed);
    if (s.conn && owed.length > 0) this.c.passedOn('handoff', h.clientId, from, owed.map(msgOf));
    if (h.seen) {
      // What it still owed is in its seen set too, and not done: dropping those from what we hold would lose them.
      const due = new Set(h.msgs.map((w) => w.mid));
      s.knownDone(h.seen.filter((mid) => !due.has(mid)));
    }
    if (h.in2 && !afresh) for (const p of h.in2) s.addInboundQos2(p);
    if (h.rel && !afresh) for (const p of h.rel) s.addReleasing(p);
    if (sorted) s.release(midOrigin);
    this.handoffIn(h.clientId, false, [from, ...(h.via ?? [])]);
    willIn(this.local, s, from, h, this.pastLife); // its will (handoff-will.ts)
    if (fresh) this.c.migrated(s, from);
  }
}
