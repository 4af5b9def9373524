// Replicated persistent sessions: the owner of a persistent session streams its state (subscriptions, and
// every message it accepted that the client has not acknowledged yet) to every other node, which keeps it
// as a replica, neither routed nor delivered. A client reconnecting on another node resumes from that
// node's replica at once; when the owner becomes unreachable, one deterministic backup turns its replicas
// into live offline sessions (routes, queue), so what is published meanwhile is kept too. Copies reaching a
// session by two paths are dropped by message id. Cost: a small frame per peer per message accepted or acked.

import { specsOf } from '../subscription.ts';
import type { SessionJournal } from '../journal.ts';
import type { ClusterEvent } from './events.ts';
import { WillReplicator } from './will-replication.ts';
import { DoneBatch } from './done-batch.ts';
import { replicaMap } from './replica-disk.ts';
import { StoreFetch } from './store-fetch.ts';
import { GivenGroups, midOrigin } from './orphan-rules.ts';
import { CopyKeeper } from './copy-keeper.ts';
import { OrphanLineage } from './orphan-lineage.ts';
import { HeldReplicas, type Lives } from './held-replicas.ts';
import {
  owedByReplicas,
  qos2Frame,
  replicaHandoff,
  replicaQos2,
  replicaSnapshot,
  restoreReplica,
  takenOver,
  type Replica,
} from './replica.ts';
import type { Resumed } from '../distribution.ts';
import type { LocalNode } from './local-node.ts';
import type { Session, Delivery, Inflight, Qos2Step } from '../session.ts';
import type { Message, QoS } from '../message.ts';
import {
  F,
  encodeJson,
  encodeRMsg,
  toOrphanWire,
  fromWire,
  type SubSpec,
  type RStateBody,
  type RMsgBody,
  type RDoneBody,
  type WireMessage,
  type OrphanReplyBody,
  type RWillBody,
  type ROutBody,
} from './peer-protocol.ts';
import type { Timer } from '../env.ts';

/** How long a moved session waits for peers' unconfirmed forwards before it sends anything. */
const FETCH_TIMEOUT_MS = 3000;
const NO_GROUPS: ReadonlySet<string> = new Set();
type Fetching = { owner: string; failed: boolean; waiting: Set<string>; timer: Timer };

/** What the replicator needs of the cluster it runs in (core/cluster/cluster.ts implements it). */
export interface ReplicaLinks {
  readonly node: string;
  /** The node that takes over `owner`'s sessions when it fails. */
  backupOf(owner: string): string;
  isRunning(node: string): boolean;
  runningPeers(): string[];
  /** Reliable frames: to every member, or to one. */
  broadcastReliable(frame: Buffer): void;
  sendReliableTo(node: string, frame: Buffer): void;
  /** Messages forwarded to `node` it has not confirmed yet, oldest first, with their share groups. */
  unconfirmedFor(node: string): { msg: Message; groups: string[]; known?: number }[];
  /** Tells the cluster this node holds the session now. */
  claim(s: Session): void;
  /** Whether the client connected again (anywhere) after `at`. */
  claimedSince(clientId: string, at: number): boolean;
  /** The running node other than `owner` and this one where the connection of `clientId` made at `at` is live. */
  liveElsewhere(clientId: string, at: number, owner: string): string | undefined;
  emit(e: ClusterEvent): void;
  /** Members here were given `mid` for these share groups. */
  servedGroups(mid: string, groups: string[]): void;
  readonly membership?: Lives; // the members' lives as seen here (held-replicas.ts)
}

export class SessionReplicator implements SessionJournal {
  readonly replicas: Map<string, Replica>; // on disk with a data dir (replica-disk.ts)
  /**
   * Sessions moved here from another owner (resumed from its replica, or failed over): clientId → that owner
   * and the session. Orphans of that owner go to that session only, never to one that replaced it afresh.
   */
  private adoptedFrom = new Map<
    string,
    { owner: string; session: Session; subs?: SubSpec[]; failed?: boolean }
  >();
  readonly wills: WillReplicator;
  /** Moved sessions waiting for peers' unconfirmed forwards to their old owner. */
  private fetching = new Map<string, Fetching>();
  /** Share-group orphans of a failed owner given to a member so far (one member each). */
  private given = new GivenGroups();
  /** The lost owners our replicas followed on from (to the node that failed them over): orphan-lineage.ts. */
  private lineage = new OrphanLineage();

  constructor(
    private c: ReplicaLinks,
    private b: LocalNode,
  ) {
    this.replicas = replicaMap(b);
    this.wills = new WillReplicator(c, b);
    this.store = new StoreFetch(b);
    this.kept = new CopyKeeper(c, b, this.replicas);
    this.held = new HeldReplicas(c, b, this.replicas, this.wills, (...a) => this.ownerDown(...a));
    this.doneBatch = new DoneBatch(b.env.clock, (clientId, mids) =>
      c.broadcastReliable(encodeJson(F.RDone, { clientId, mids } satisfies RDoneBody)),
    );
  }
  private readonly doneBatch: DoneBatch;
  /** With an external store, replicas are thin (no messages: `msgs` asks about those): store-fetch.ts. */
  private readonly store: StoreFetch;
  /** What peers' failed-over copies of sessions we replicate from another owner made us keep (copy-keeper.ts). */
  readonly kept: CopyKeeper;
  /** What a lost owner's backup may lack, from us, and what other holders hand us (held-replicas.ts). */
  readonly held: HeldReplicas;
  private replicated(s: Session, msgs = false): boolean {
    return s.expiryInterval > 0 && !(msgs && this.store.thin);
  }

  // ---- owner side ------------------------------------------------------------

  /** Subscriptions, expiry or connect time changed: send the whole state. */
  stateChanged(s: Session): void {
    if (!this.replicated(s)) return;
    this.c.broadcastReliable(encodeJson(F.RState, this.stateOf(s)));
  }

  stateOf(s: Session): RStateBody {
    const st: RStateBody = {
      clientId: s.clientId,
      at: s.connectedAt,
      expiry: s.expiryInterval,
      subs: specsOf(s),
    };
    if (s.inboundQos2.size) st.in2 = [...s.inboundQos2];
    if (s.owner !== undefined) st.user = s.owner;
    return st;
  }

  accepted(s: Session, d: Delivery): void {
    if (!this.replicated(s, true) || d.msg.mid === undefined) return;
    this.c.broadcastReliable(encodeRMsg(s.clientId, d.qos, d.msg, this.b.env.clock.now()));
  }

  /** The client acknowledged a message (batched: done-batch.ts). */
  done(s: Session, d: Delivery): void {
    if (!this.replicated(s) || d.msg.mid === undefined) return;
    this.doneBatch.add(s.clientId, d.msg.mid);
  }

  /** Replicas follow outbound QoS 2 (sent under which id, PUBREL owed): a moved session resends under it. */
  outbound(s: Session, pid: number, step: Qos2Step, f?: Inflight): void {
    if (!this.replicated(s, true) || (f && f.qos !== 2)) return;
    this.c.broadcastReliable(qos2Frame(s.clientId, pid, step, f?.msg.mid));
  }

  /** Sends the batched acknowledgements now (graceful stop). */
  flush(): void {
    if (this.doneBatch.size) this.doneBatch.flush();
  }

  wentOffline(): void {} // the client went offline: its claim says so, the state is unchanged

  /** The session ended here: peers drop their replicas (only a persistent session had any). */
  ended(clientId: string, persistent = true): void {
    if (!persistent) return;
    if (this.doneBatch.has(clientId)) this.doneBatch.flush();
    this.c.broadcastReliable(encodeJson(F.REnd, { clientId }));
  }

  /** Full snapshot of a session for one peer (after its link comes up). */
  snapshot(s: Session): Buffer[] {
    if (!this.replicated(s)) return [];
    return replicaSnapshot(s, this.stateOf(s), this.b.env.clock.now(), this.replicated(s, true));
  }

  // ---- replica side --------------------------------------------------------------

  onState(from: string, st: RStateBody): void {
    if (this.b.sessions.has(st.clientId) && this.b.sessions.get(st.clientId)!.conn) return; // we own it live
    const r = this.replicas.get(st.clientId);
    // A newer owner replicates it already, or this claim's owner still runs (`from` failed it over in a split;
    // not if it restarted since: that life has no session), unless the connection is live at `from` (r came
    // from a split's copy first: claims rank live first too).
    const runs = r && !r.old && this.c.isRunning(r.owner);
    const keep = r && r.owner !== from && (r.at > st.at || (r.at === st.at && runs));
    if (keep && this.c.liveElsewhere(st.clientId, st.at, r.owner) !== from) return;
    // The owner's state (its new life's too, after a restart with its data: it holds the session again).
    if (r && r.owner === from)
      return void Object.assign(r, { ...st, in2: st.in2 ?? [], user: st.user, old: false });
    this.lineage.followed(r, from, st.at, !!r && this.c.isRunning(r.owner), this.b.env.clock.now());
    this.replicas.set(st.clientId, takenOver(from, st, r)); // a failover's copy keeps our orphans (replica.ts)
  }

  onOut(from: string, o: ROutBody): void {
    const r = this.replicas.get(o.clientId);
    if (r && r.owner === from) replicaQos2(r, o);
  }

  onMsg(from: string, m: RMsgBody): void {
    const r = this.replicas.get(m.clientId);
    if (!r || r.owner !== from) return;
    const msg = m.msg;
    if (msg.mid === undefined) return;
    if (r.msgs.get(msg.mid)?.orphan) r.msgs.delete(msg.mid); // kept by takenOver: in the owner's order now
    r.msgs.set(msg.mid, { msg, qos: m.dq });
  }

  onDone(from: string, d: RDoneBody): void {
    const r = this.replicas.get(d.clientId);
    if (!r || r.owner !== from) return;
    for (const mid of d.mids) {
      r.msgs.delete(mid);
      r.done.add(mid);
    }
  }

  onEnd(from: string, clientId: string): void {
    if (this.replicas.get(clientId)?.owner !== from) return;
    this.replicas.delete(clientId);
    this.lineage.ended(clientId);
  }

  /**
   * The client of a replica we hold connected on `node` while the replica's
   * owner is down (or restarted empty): that node could not resume the
   * session, so the owed messages would stay here. Hand the replica over;
   * the session there merges it (message ids drop what it already has).
   */
  claimedElsewhere(clientId: string, node: string): void {
    const r = this.replicas.get(clientId);
    if (r && r.owner !== node && !this.c.isRunning(r.owner)) this.handReplica(r, node);
  }

  /** Our replica `r` goes to `node`, where its session is: the session there merges it. */
  private handReplica(r: Replica, node: string): void {
    this.replicas.delete(r.clientId);
    const body = replicaHandoff(r, this.b.env.clock.now());
    this.c.sendReliableTo(node, encodeJson(F.Handoff, body));
    this.c.emit({ type: 'replica.handed', clientId: r.clientId, to: node, msgs: body.msgs.length });
  }

  /** A client connected here with Clean Start 0 and we have no session: resume from the replica. */
  take(clientId: string): Replica | undefined {
    const r = this.replicas.get(clientId);
    if (r) this.replicas.delete(clientId); // the caller restores it and fetches its orphans (fetchOrphans)
    return r;
  }

  /** The client connected here and a replica of its session is held: the session lives here now. */
  resume(clientId: string): Resumed | null {
    const r = this.take(clientId);
    if (!r) return null;
    return { session: restoreReplica(this.b, r), owner: r.owner, done: r.done, subs: r.subs };
  }

  /** The will of a client connected here was set, discarded or published. */
  willChanged(s: Session, gone?: boolean): void {
    this.wills.changed(s, gone);
  }

  /** The will of a client connected here, for a peer whose link just came up (WillReplicator.frameFor). */
  willFor(s: Session): Buffer | null {
    return this.wills.frameFor(s);
  }

  onWill(from: string, b: RWillBody): void {
    this.wills.onWill(from, b);
  }

  /** The owner is back (it was cut off, not dead): its clients' wills stay with it. */
  ownerBack(owner: string): void {
    // Given to a session here: a member's copy the owner hands us later is not delivered again.
    this.given.drop(owner, (c, mid, g) => this.b.sessions.has(c) && this.c.servedGroups(mid, [g]));
    this.wills.ownerBack(owner);
    this.kept.back(owner);
  }

  // ---- failover --------------------------------------------------------------------

  /**
   * `owner` became unreachable. If this node is its backup (the first
   * running node after it in name order), its replicated sessions become
   * live offline sessions here. `pastLife`: it runs again, restarted empty; only
   * the replicas of its previous life nobody took over (`old`) come alive.
   */
  ownerDown(owner: string, pastLife = false, only?: Replica[], wills?: ReadonlySet<string>): void {
    if (this.held.notBackup(owner, pastLife)) return; // the backup gets what we hold of `owner`: it may lack it
    const restored: Session[] = [];
    for (const r of only ?? [...this.replicas.values()]) {
      if (r.owner !== owner || (pastLife && !r.old)) continue;
      this.replicas.delete(r.clientId);
      if (!this.held.room(r)) continue;
      // Connected elsewhere since (checked before our claim below overwrites the registry): no will, unless
      // it had no delay: that one was due when the connection died with its node, before any reconnect.
      // Nor when the owner held a copy of a session whose connection is live on a node we hear (split-brain).
      this.wills.forgetIfBack(owner, r.clientId, r.at);
      // That copy (the owner took it over in a one-way cut) goes to the live session: an offline one here would
      // take share-group messages no connection gets (scenarios/regressions/explored-oneway-shared-loss.ts).
      const live = this.c.liveElsewhere(r.clientId, r.at, owner);
      if (live !== undefined) {
        this.handReplica(r, live);
        continue;
      }
      const s = restoreReplica(this.b, r);
      this.c.claim(s);
      this.fetchOrphans(s, owner, r.done, true, r.subs);
      for (const f of this.snapshot(s)) this.c.broadcastReliable(f);
      restored.push(s);
    }
    this.wills.arm(owner, restored, wills);
    if (restored.length) this.c.emit({ type: 'failover', from: owner, sessions: restored.length });
  }

  /**
   * Messages the dead `owner` never confirmed: give them to the sessions that came from it (or their
   * replicas). A forward for a share group goes to one member of the group among them (the first).
   */
  orphans(owner: string, msgs: WireMessage[]): void {
    const now = this.b.env.clock.now();
    const all = msgs.map((w) => ({ w, msg: fromWire(w, now), groups: new Set(w.groups ?? []) }));
    for (const { w, msg, groups } of all) {
      for (const r of this.replicas.values()) {
        if (r.owner !== owner || msg.mid === undefined) continue;
        const q = this.given.owed(owner, r.clientId, r.subs, msg, groups, w.known);
        if (q !== null && !r.msgs.has(msg.mid) && !r.done.has(msg.mid))
          r.msgs.set(msg.mid, { msg, qos: q, orphan: groups.size === 0 });
      }
      for (const [clientId, a] of this.adoptedFrom) {
        if (a.owner !== owner) continue;
        const s = this.adoptedSession(clientId, owner);
        const q = s ? this.given.owed(owner, clientId, a.subs ?? specsOf(s), msg, groups, w.known) : null;
        if (q !== null) s!.deliverFront({ msg, qos: q, retain: false });
      }
    }
    // Sessions that came from `owner` by way of a node that failed them over and was lost in turn.
    this.lineage.orphans(owner, all, now, (clientId, msg, qos) => this.movedOn(owner, clientId, msg, qos));
    // Copies `owner` held of sessions we replicate from another owner (copy-keeper.ts): those sessions get theirs.
    this.kept.holderOrphans(
      owner,
      all.map((x) => x.msg),
      (clientId, subs, i) =>
        this.replicas.get(clientId)?.owner === owner || this.adoptedFrom.get(clientId)?.owner === owner
          ? null // given above
          : this.given.owed(owner, clientId, subs, all[i].msg, all[i].groups, all[i].w.known),
    );
  }

  /** An orphan of `owner` for a session that came from it by way of another node lost too: here or its replica. */
  private movedOn(owner: string, clientId: string, msg: Message, qos: QoS): void {
    const r = this.replicas.get(clientId);
    const a = this.adoptedFrom.get(clientId);
    if (r && r.owner !== owner && (r.old || !this.c.isRunning(r.owner))) {
      if (!r.msgs.has(msg.mid!) && !r.done.has(msg.mid!)) r.msgs.set(msg.mid!, { msg, qos });
    } else if (!r && a?.failed && a.owner !== owner)
      this.adoptedSession(clientId, a.owner)?.deliverFront({ msg, qos, retain: false });
  }

  /** Our replicas of `owner`'s sessions: client id -> the time of the claim they replicate. */
  replicaClaims(owner: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.replicas.values()) if (r.owner === owner) out.set(r.clientId, r.at);
    return out;
  }

  /** What our replicas of `owner`'s sessions in `lost` are owed of `msg` (replica.ts: owedByReplicas). */
  owedByReplicas(owner: string, lost: Map<string, number>, msg: Message, served: ReadonlySet<string>) {
    return owedByReplicas(this.replicas, owner, lost, msg, served);
  }

  /** Whether `mid` went for share `group` to a session failed over here from `owner` (`adopted`; not a replica:
   * it goes if the owner is back with it) or to one `owner` held a copy of (copy-keeper.ts). */
  groupGiven(owner: string, mid: string, group: string, adopted = true): boolean {
    const c = this.given.get(owner, mid, group);
    if (c === undefined) return false;
    return (adopted && this.adoptedSession(c, owner) !== undefined) || this.kept.handed(owner, c, mid);
  }

  /**
   * A session just moved here from `owner` (resumed from its replica, or
   * failed over). Messages other nodes forwarded to the owner that it never
   * confirmed are newer than what the owner had accepted (the replica's
   * queue) and older than anything that reaches the session here now: hold
   * the session until every running peer has sent its share, so they go in
   * between and per-publisher order holds. A running owner is asked too: it
   * answers after the handoff our claim made it send (one link, in order), so
   * what it accepted after the replica was taken is merged before anything
   * is sent.
   */
  fetchOrphans(
    s: Session,
    owner: string,
    done: Iterable<string> = [],
    failed = !this.c.isRunning(owner),
    subs: SubSpec[] = specsOf(s), // as the owner made them (epochs): what its orphans may reach
  ): void {
    // Forwards its old owner never confirmed may still come our way as orphans: for this session only.
    this.adoptedFrom.set(s.clientId, { owner, session: s, subs, failed });
    s.hold();
    s.knownDone(done);
    for (const { msg, groups, known } of this.c.unconfirmedFor(owner)) {
      // A running owner serves the share-group forwards it gets itself; only a failed one's are orphans.
      const q = this.given.owed(owner, s.clientId, subs, msg, failed ? new Set(groups) : NO_GROUPS, known);
      if (q !== null) s.deliverFront({ msg, qos: q, retain: false });
    }
    const waiting = new Set(this.c.runningPeers());
    if (failed) this.store.fetch(s, waiting, () => this.finish(s.clientId, waiting));
    if (waiting.size === 0) return s.release(midOrigin);
    this.fetching.get(s.clientId)?.timer.cancel();
    const timer = this.b.env.clock.setTimer(FETCH_TIMEOUT_MS, () => this.finish(s.clientId));
    this.fetching.set(s.clientId, { owner, failed, waiting, timer });
    for (const n of waiting)
      this.c.sendReliableTo(n, encodeJson(F.OrphanReq, { clientId: s.clientId, owner }));
  }

  /** A peer asks for what we forwarded to `owner` unconfirmed. */
  onOrphanReq(from: string, clientId: string, owner: string): void {
    const now = this.b.env.clock.now();
    // A share-group forward the owner may still confirm is the owner's to give to one member (its failover
    // makes it an orphan if it does not): another member taking it too would get it twice in the group.
    const ownerUp = this.c.isRunning(owner);
    const msgs = this.c
      .unconfirmedFor(owner)
      .map(({ msg, groups, known }) => toOrphanWire(msg, ownerUp ? undefined : groups, now, known));
    this.c.sendReliableTo(
      from,
      encodeJson(F.OrphanReply, { clientId, owner, msgs } satisfies OrphanReplyBody),
    );
  }

  onOrphanReply(from: string, r: OrphanReplyBody): void {
    const f = this.fetching.get(r.clientId);
    const s = this.adoptedSession(r.clientId, r.owner);
    if (s) {
      const now = this.b.env.clock.now();
      const subs = this.adoptedFrom.get(r.clientId)?.subs ?? specsOf(s);
      for (const w of r.msgs) {
        const msg = fromWire(w, now);
        const gs = f?.failed ? new Set(w.groups ?? []) : NO_GROUPS;
        const q = this.given.owed(r.owner, s.clientId, subs, msg, gs, w.known);
        if (q !== null) s.deliverFront({ msg, qos: q, retain: false });
      }
    }
    if (!f) return;
    f.waiting.delete(from);
    if (f.waiting.size === 0) this.finish(r.clientId);
  }

  /**
   * The session here that moved from `owner` and asked for its orphans, if it is still the session of
   * `clientId` (not replaced by a Clean Start or another user's, whose session this never was).
   */
  private adoptedSession(clientId: string, owner: string): Session | undefined {
    const a = this.adoptedFrom.get(clientId);
    if (!a) return undefined;
    const s = this.b.sessions.get(clientId);
    if (s === a.session) return a.owner === owner ? s : undefined;
    this.adoptedFrom.delete(clientId);
    return undefined;
  }

  /** Whether we hold replicas of `owner`'s previous life (it restarted) that nobody took over. */
  pastLife(owner: string): boolean {
    for (const r of this.replicas.values()) if (r.owner === owner && r.old) return true;
    return false;
  }

  /** A peer we were waiting for went away: stop waiting for it. */
  peerGone(node: string): void {
    this.kept.lost(node);
    for (const [clientId, f] of this.fetching)
      if (f.waiting.delete(node) && f.waiting.size === 0) this.finish(clientId);
  }

  private finish(clientId: string, only?: Set<string>): void {
    const f = this.fetching.get(clientId);
    if (!f || (only && f.waiting !== only)) return;
    f.timer.cancel();
    this.fetching.delete(clientId);
    this.b.sessions.get(clientId)?.release(midOrigin);
  }
}
