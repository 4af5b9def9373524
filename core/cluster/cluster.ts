// A cluster node (EMQX's design): a full mesh of authenticated peer links with heartbeats; a
// replicated route table (filter → nodes), each node the single writer of its own routes; a publish
// forwarded once per node with a matching route, share groups served by one node per message;
// retained messages replicated with versions and tombstones; a client id held by one node (newest
// connect wins, its session handed over); persistent sessions replicated to every node. Autoheal is
// each part's resync when a link comes up (linkUp, in this order); autoclean drops a node that was
// unreachable for too long.
//
// This file is the composition root: it wires the parts, each one concept in its own file, and
// dispatches peer frames to them.
//   peer-link.ts          handshake and frames of one link     heartbeat.ts        failure detection, dials
//   membership.ts         members, their states, backups       reliable-channel.ts sequenced, acknowledged frames
//   ack-tracker.ts        ackMode 'replicated' waits           route-replication.ts the cluster route table
//   forwarding.ts         publishes to other nodes             retained-replication.ts retained messages
//   registry.ts           client-id claims and handoff         session-replication.ts session replicas
//   config.ts, events.ts  settings, events and counters        local-node.ts       what the cluster needs of the broker

import type { ByteSink, Clock, Random } from '../env.ts';
import type { Message } from '../message.ts';
import type { Session } from '../session.ts';
import type { Distribution, Resumed, SplitOp } from '../distribution.ts';
import { AckTracker, settle, type Tracker } from './ack-tracker.ts';
import type { ClusterConfig, NodeState } from './config.ts';
import { eventDetail, type ClusterEvent, type ClusterEventDetail, type ClusterEventType } from './events.ts';
import type { ClusterStats } from './events.ts';
import { Forwarding } from './forwarding.ts';
import { Heartbeat, type HeartbeatHost } from './heartbeat.ts';
import type { LocalNode } from './local-node.ts';
import type { Member } from './member.ts';
import { Membership } from './membership.ts';
import { PeerLink, randomHex, type PeerLinkHost } from './peer-link.ts';
import { F, encodeJson, encodeMessage, encodeSeq, toOrphanWire, type Frame } from './peer-protocol.ts';
import { Registry } from './registry.ts';
import { ReliableChannel } from './reliable-channel.ts';
import { RetainedReplicator } from './retained-replication.ts';
import { RouteReplication } from './route-replication.ts';
import type { RouteTable } from './route-table.ts';
import { SessionReplicator, type ReplicaLinks } from './session-replication.ts';

export { defaultClusterConfig } from './config.ts';
export type { ClusterConfig, NodeState } from './config.ts';
export type { ClusterStats, ClusterEvent } from './events.ts';
export type { Tracker } from './ack-tracker.ts';

export class Cluster implements Distribution, PeerLinkHost, ReplicaLinks, HeartbeatHost {
  readonly stats: ClusterStats = {
    forwardedOut: 0,
    forwardedIn: 0,
    netsplitsDetected: 0,
    netsplitsHealed: 0,
    autocleaned: 0,
    handoffsOut: 0,
    handoffsIn: 0,
    authFailures: 0,
    badFrames: 0,
  };
  readonly incarnation: string;
  readonly membership: Membership;
  readonly replicator: SessionReplicator;
  readonly retainedReplicas: RetainedReplicator;
  private readonly acks: AckTracker;
  private readonly channel: ReliableChannel;
  private readonly routeRep: RouteReplication;
  private readonly registry: Registry;
  private readonly forwarding: Forwarding;
  private readonly heartbeat: Heartbeat;
  private midSeq = 0;
  stopped = false;
  /** Observer of the events (the simulator's history, the runtime's log). */
  onEvent: ((type: ClusterEventType, detail: ClusterEventDetail) => void) | null = null;
  /** Observer: a peer acknowledged reliable frames; `ms` from sending the newest of them (includes the delayed ack). */
  onPeerAck: ((peer: string, ms: number) => void) | null = null;

  constructor(
    readonly broker: LocalNode,
    readonly config: ClusterConfig,
  ) {
    const env = broker.env;
    if (!env.crypto || !env.peers) throw new Error('a clustered broker needs env.crypto and env.peers');
    this.incarnation = randomHex(env.random, 8);
    const membership = (this.membership = new Membership(this.node, config.address, () => this.now()));
    this.acks = new AckTracker(config);
    this.channel = new ReliableChannel(config, env.clock, this.acks, {
      dropped: (reason, n) => broker.countDropped(reason, n),
      peerAck: (peer, ms) => this.onPeerAck?.(peer, ms),
    });
    this.replicator = new SessionReplicator(this, broker);
    this.retainedReplicas = new RetainedReplicator(this.node, broker);
    for (const s of config.seeds) if (s.node !== this.node) membership.add(s.node, s.address);
    this.routeRep = new RouteReplication(
      membership,
      broker.router,
      (frame) => this.broadcast(frame),
      (peer) => this.fullTableFrom(peer),
    );
    const send = (m: Member, frame: Buffer, msg?: Message, groups?: string[]): void =>
      this.channel.send(m, frame, msg, groups);
    const emit = (e: ClusterEvent): void => this.emit(e);
    const now = (): number => this.now();
    this.registry = new Registry(broker, {
      membership,
      lingerMs: config.heartbeatTimeoutMs,
      stats: this.stats,
      now,
      sendReliable: send,
      sendReliableTo: (node, frame) => this.sendReliableTo(node, frame),
      broadcast: (frame) => this.broadcast(frame),
      linger: (keys, until) => this.routeRep.linger(keys, until),
      replicaEnded: (clientId) => this.replicator.ended(clientId),
      claimedElsewhere: (clientId, node) => this.replicator.claimedElsewhere(clientId, node),
      emit,
    });
    this.forwarding = new Forwarding(broker, {
      membership,
      table: this.routeRep.table,
      acks: this.acks,
      registry: this.registry,
      replicas: this.replicator,
      retained: this.retainedReplicas,
      stats: this.stats,
      forwardBuffer: config.forwardBuffer,
      now,
      sendReliable: send,
      emit,
    });
    this.heartbeat = new Heartbeat(config, env.clock, env.peers, membership, this, this);
    this.heartbeat.tick();
    broker.distribute(this, this.replicator);
  }

  // ---- getters --------------------------------------------------------------

  get node(): string {
    return this.broker.config.node;
  }

  get address(): string {
    return this.config.address;
  }

  get handshakeTimeoutMs(): number {
    return this.config.heartbeatTimeoutMs;
  }

  get clock(): Clock {
    return this.broker.env.clock;
  }

  get random(): Random {
    return this.broker.env.random;
  }

  /** The cluster route table: route key → nodes. */
  get routes(): RouteTable {
    return this.routeRep.table;
  }

  get members(): ReadonlyMap<string, Member> {
    return this.membership.members;
  }

  now(): number {
    return this.broker.env.clock.now();
  }

  log(m: string): void {
    this.broker.env.log?.warn(`[${this.node}] ${m}`);
  }

  emit(e: ClusterEvent): void {
    if (!this.onEvent) return;
    const { type, detail } = eventDetail(e);
    this.onEvent(type, detail);
  }

  /**
   * The proof that `prover` knows the secret, over the verifier's nonce. It names the verifier and the
   * prover's side of the link, so a proof obtained by dialing one member cannot be replayed to another
   * (an attacker relaying between two nodes dials both: it can only collect acceptor proofs and
   * would have to present dialer proofs).
   */
  mac(nonce: string, prover: string, verifier: string, proverDialed: boolean): string {
    return this.broker.env.crypto!.hmacSha256(
      this.config.secret,
      `mqttlab-peer|${nonce}|${prover}|${verifier}|${proverDialed ? 'dialer' : 'acceptor'}`,
    );
  }

  backupOf(owner: string): string {
    return this.membership.backupOf(owner);
  }

  isRunning(node: string): boolean {
    return this.membership.isRunning(node);
  }

  runningPeers(): string[] {
    return this.membership.runningPeers();
  }

  /** Some member of the cluster cannot be reached right now. */
  get netsplit(): boolean {
    return this.membership.netsplit;
  }

  status(): { node: string; state: NodeState; address: string }[] {
    return this.membership.status();
  }

  /** Whether the client connected again (anywhere) after `at`. */
  claimedSince(clientId: string, at: number): boolean {
    return this.registry.claimedSince(clientId, at);
  }

  /** Messages forwarded to `node` that it has not confirmed yet, oldest first, with the share groups they were for. */
  unconfirmedFor(node: string): { msg: Message; groups: string[] }[] {
    const m = this.membership.get(node);
    return m ? this.channel.unconfirmed(m) : [];
  }

  /**
   * Reliable frames (replication, forwards, handoffs) running peers have not
   * confirmed yet; batched replication acknowledgements are sent first. A
   * graceful stop waits for 0 so the peers hold every session's latest state.
   */
  unconfirmedFrames(): number {
    this.replicator.flush();
    let n = 0;
    for (const m of this.membership.members.values()) if (m.state === 'running') n += m.unacked.length;
    return n;
  }

  // ---- Distribution: what the broker asks of the cluster ---------------------------

  /** A cluster-unique id for a message entering here. */
  nextMid(): string {
    return `${this.node}.${this.incarnation}.${++this.midSeq}`;
  }

  route(msg: Message): number {
    return this.forwarding.route(msg);
  }

  tracked<T>(publish: () => T): { result: T; tracker: Tracker | null } {
    return this.acks.tracked(publish);
  }

  resume(clientId: string): Resumed | null {
    return this.replicator.resume(clientId);
  }

  /**
   * This node holds the session of `s.clientId` (a client connected, or a session failed over here): say so.
   * `from`: it was just resumed from another node's replica; what that node forwarded and never had
   * confirmed is fetched once the claim is out (the old owner hands the session over first).
   */
  claim(s: Session, from?: Resumed): void {
    this.registry.claim(s);
    if (from) this.replicator.fetchOrphans(s, from.owner, from.done);
  }

  replicaOwner(clientId: string): { user: string | undefined } | undefined {
    const r = this.replicator.replicas.get(clientId);
    return r ? { user: r.user } : undefined;
  }

  refuses(op: SplitOp): boolean {
    const c = this.config;
    const allowed =
      op === 'register'
        ? c.allowRegisterDuringNetsplit
        : op === 'publish'
          ? c.allowPublishDuringNetsplit
          : c.allowSubscribeDuringNetsplit;
    return !allowed && this.netsplit;
  }

  willPublished(clientId: string, lostWith: string): void {
    this.emit({ type: 'will', clientId, from: lostWith });
  }

  runningNodes(): string[] {
    return this.status()
      .filter((m) => m.state === 'running')
      .map((m) => m.node)
      .sort();
  }

  // ---- sending ----------------------------------------------------------------

  /** Best effort: state frames that every link-up resynchronises anyway. */
  private broadcast(b: Buffer): void {
    for (const m of this.membership.members.values()) m.link?.write(b);
  }

  sendReliableTo(node: string, frame: Buffer): void {
    const m = this.membership.get(node);
    if (m) this.channel.send(m, frame);
  }

  broadcastReliable(frame: Buffer): void {
    for (const m of this.membership.members.values())
      if (m.state !== 'left' && m.state !== 'stopped') this.channel.send(m, frame);
  }

  // ---- links --------------------------------------------------------------------

  /** An inbound peer connection was accepted by the transport. */
  acceptPeer(sink: ByteSink): { receive(b: Buffer): void; transportClosed(): void } {
    return new PeerLink(this, sink, false, null);
  }

  /** A link finished its handshake: one link per pair, then the full resync (autoheal). */
  linkUp(l: PeerLink): void {
    const m = this.membership.add(l.peer, l.peerAddress);
    if (m.link && m.link.state === 'authed') {
      // One link per pair: the one dialed by the lower node name wins.
      const keepNew = (l.outbound ? this.node : l.peer) < (m.link.outbound ? this.node : l.peer);
      if (!keepNew) {
        l.close();
        return;
      }
      const old = m.link;
      m.link = null;
      old.close();
    }
    l.state = 'authed';
    m.link = l;
    // Its full route table comes with its resync: until then what it may need is kept (Member.stale).
    m.stale ??= [];
    this.replicator.ownerBack(m.node);
    if (m.peerInc !== l.peerInc) {
      // The peer restarted: its state is new, so is our sequence state with it (the
      // resync below rebuilds what it needs). On first contact, what we queued for it stays.
      if (m.peerInc) {
        // It restarted faster than we noticed it was gone: its previous life failed all the same,
        // so its sessions and what it never confirmed go through failover first.
        if (m.state === 'running') {
          this.emit({ type: 'peer.restarted', peer: m.node });
          this.replicator.peerGone(m.node);
          this.failover(m);
        }
        this.channel.dropUnacked(m);
      }
      m.inSeq = 0;
      m.peerInc = l.peerInc;
    }
    const everUp = this.membership.everUp;
    const wasDown = m.state === 'unreachable' || m.state === 'stopped';
    const healed = wasDown && m.downSince > 0 && everUp.has(m.node);
    m.state = 'running';
    everUp.add(m.node);
    if (healed) this.stats.netsplitsHealed++;
    this.emit({ type: 'peer.up', peer: m.node, healed: healed ? 1 : 0 });
    // What the link lost (or never carried) goes again, before anything newer; the peer drops what it already has.
    for (const u of m.unacked) l.write(u.frame);
    // Full resync: membership, routes, retained messages and tombstones, our claims and session replicas.
    l.write(encodeJson(F.Members, { members: this.membership.info() }));
    for (const f of this.routeRep.resync(m.node)) l.write(f);
    for (const f of this.retainedReplicas.resync(this.now())) l.write(f);
    for (const s of this.broker.sessions.values()) {
      l.write(this.registry.claimFrame(s));
      for (const f of this.replicator.snapshot(s)) this.channel.send(m, f);
      const will = this.replicator.willFor(s);
      if (will) this.channel.send(m, will);
    }
  }

  linkDown(l: PeerLink): void {
    const m = this.membership.get(l.peer);
    if (!m || m.link !== l) return;
    m.link = null;
    m.dialStarted = -Infinity; // redial at the next heartbeat, whatever attempts still hang
    // Its routes may change while we cannot hear of them: from now on we keep what it may need.
    if (m.stale) for (const x of m.stale) settle(x);
    else m.stale = [];
    if (m.state === 'running') {
      m.state = 'unreachable';
      m.downSince = this.now();
      this.stats.netsplitsDetected++;
      this.emit({ type: 'peer.down', peer: m.node });
      this.replicator.peerGone(m.node);
      this.failover(m);
    }
  }

  /**
   * A peer became unreachable: messages it never confirmed go to its backup
   * (which may be us), and if we are the backup its sessions come alive here.
   * If it was only cut off, the heal merges both sides without duplicates.
   */
  private failover(m: Member): void {
    const now = this.now();
    const msgs = m.unacked.filter((u) => u.msg).map((u) => toOrphanWire(u.msg!, u.groups, now));
    const backup = this.membership.backupOf(m.node);
    if (msgs.length) {
      // Kept in our own replicas of its sessions too: the backup may itself have restarted empty.
      this.replicator.orphans(m.node, msgs);
      if (backup !== this.node) {
        const b = this.membership.get(backup);
        if (b) this.channel.send(b, encodeJson(F.Orphan, { owner: m.node, msgs }));
      }
    }
    // Publishers waiting on the dead node's confirmation are answered: their messages live on here and at the backup.
    for (const u of m.unacked) settle(u);
    this.replicator.ownerDown(m.node);
    // Only cut off, it gets these frames again when it is back: the share groups one of its sessions
    // here (the failed-over member) was given go no more, so the group gets the message once.
    for (const u of m.unacked) {
      if (!u.msg || !u.groups) continue;
      const left = this.forwarding.groupsNotGiven(m.node, u.msg, u.groups);
      if (left.length === u.groups.length) continue;
      u.groups = left.length ? left : undefined;
      u.frame = encodeSeq(u.seq, encodeMessage(F.Forward, u.msg, now, left));
    }
  }

  /** HeartbeatHost: `m` was unreachable for autocleanMs; it is removed, with its routes and claims. */
  autoclean(m: Member): void {
    m.state = 'stopped';
    if (m.unacked.length) this.broker.countDropped('peer-removed', m.unacked.length);
    this.channel.dropUnacked(m);
    this.dropStale(m);
    const n = this.routeRep.table.purge(m.node);
    this.registry.purge(m.node);
    this.stats.autocleaned++;
    this.emit({ type: 'autoclean', peer: m.node, routes: n });
  }

  /** HeartbeatHost: each part's periodic work. */
  housekeeping(now: number): void {
    this.registry.expire(now);
    this.routeRep.expireLingering(now);
    this.retainedReplicas.gc(now);
  }

  /** A removed peer gets nothing of what was kept for it (counted with its unconfirmed frames). */
  private dropStale(m: Member): void {
    if (!m.stale) return;
    for (const x of m.stale) settle(x);
    if (m.stale.length) this.broker.countDropped('peer-removed', m.stale.length);
    m.stale = null;
  }

  /** A peer's own full route table is in. */
  private fullTableFrom(peer: string): void {
    if (!this.forwarding.routesKnown) this.forwarding.routesLearned();
    const m = this.membership.get(peer);
    if (m) this.forwarding.releaseStale(m);
  }

  // ---- frames -------------------------------------------------------------

  onFrame(l: PeerLink, f: Frame): void {
    const peer = l.peer;
    switch (f.type) {
      case F.Ping: {
        const m = this.membership.get(peer);
        if (m) this.channel.acked(m, f.body.ack);
        return;
      }
      case F.Seq: {
        const m = this.membership.get(peer);
        if (!m || m.link !== l) return;
        if (!this.channel.received(m, f.seq)) return;
        return this.onFrame(l, f.inner);
      }
      case F.Routes:
        return this.routeRep.onRoutes(peer, f.body);
      case F.Forward:
        return this.forwarding.onForward(f.msg, f.groups);
      case F.Moved:
        return this.registry.onMoved(peer, f.body);
      case F.Refused:
        return this.registry.onRefused(peer, f.body.clientId);
      case F.Retain: {
        const reply = this.retainedReplicas.merge(f.msg, f.v, f.deleted, f.notForwarded);
        if (reply) l.write(reply);
        return;
      }
      case F.Members:
        for (const mi of f.body.members) {
          if (mi.node === this.node) continue;
          if (mi.state === 'left') this.forget(mi.node);
          else if (!this.membership.members.has(mi.node) || this.membership.get(mi.node)!.state === 'stopped')
            this.membership.add(mi.node, mi.address);
        }
        return;
      case F.Leave:
        if (f.body.node === this.node) {
          // Forced out by another node: drop cluster data, stop dialing.
          this.emit({ type: 'forced-out', by: f.body.by ?? peer });
          this.leaveLocal();
        } else this.forget(f.body.node);
        return;
      case F.Register:
        return this.registry.onRegister(f.body.clientId, f.body.node, f.body.at, f.body.live);
      case F.Handoff:
        return this.registry.onHandoff(peer, f.body);
      case F.RState:
        return this.replicator.onState(peer, f.body);
      case F.RMsg:
        return this.replicator.onMsg(peer, f.body);
      case F.RDone:
        return this.replicator.onDone(peer, f.body);
      case F.REnd:
        return this.replicator.onEnd(peer, f.body.clientId);
      case F.Orphan:
        return this.replicator.orphans(f.body.owner, f.body.msgs);
      case F.RWill:
        return this.replicator.onWill(peer, f.body);
      case F.OrphanReq:
        return this.replicator.onOrphanReq(peer, f.body.clientId, f.body.owner);
      case F.OrphanReply:
        return this.replicator.onOrphanReply(peer, f.body);
      default:
        this.stats.badFrames++;
        l.close();
    }
  }

  // ---- membership commands ----------------------------------------------------

  /** `cluster join`: contact a node of an existing cluster (manual discovery). */
  join(node: string, address: string): void {
    const ms = this.membership;
    if (ms.selfState === 'left' || ms.everUp.size === 0) {
      // Never part of a cluster since it started (or it left one): discard what this node holds of
      // cluster data (other nodes' routes, session replicas, retained messages) and take the
      // cluster's instead. A member that lost its peers for a while (DNS discovery joining a new
      // pod meanwhile) keeps its data.
      const table = this.routeRep.table;
      for (const n of table.nodes()) if (n !== this.node) table.purge(n);
      this.replicator.replicas.clear();
      this.broker.retained.clear();
      this.retainedReplicas.clear();
      this.forwarding.routesKnown = false;
      ms.selfState = 'running';
      this.emit({ type: 'join.wiped' });
    }
    const m = ms.add(node, address);
    if (m.state === 'left' || m.state === 'stopped') m.state = 'unreachable';
    this.heartbeat.dial(m);
  }

  /** `cluster leave`: tell everyone, drop cluster data, stop dialing. */
  leave(): void {
    this.broadcast(encodeJson(F.Leave, { node: this.node }));
    this.leaveLocal();
  }

  private leaveLocal(): void {
    this.membership.selfState = 'left';
    for (const m of this.membership.members.values()) {
      m.state = 'left';
      m.link?.close();
      this.routeRep.table.purge(m.node);
    }
    this.membership.members.clear();
    this.emit({ type: 'left' });
  }

  /** `cluster force-leave NODE`: remove a (usually dead) node from the cluster. */
  forceLeave(node: string): boolean {
    const m = this.membership.get(node);
    if (!m) return false;
    this.broadcast(encodeJson(F.Leave, { node, by: this.node }));
    this.forget(node);
    return true;
  }

  private forget(node: string): void {
    const m = this.membership.get(node);
    if (!m) return;
    m.state = 'left';
    m.link?.close();
    this.channel.dropUnacked(m);
    this.dropStale(m);
    this.routeRep.table.purge(node);
    this.registry.purge(node);
    this.emit({ type: 'member.left', peer: node });
  }

  stop(): void {
    this.stopped = true;
    this.membership.selfState = 'stopped';
    this.heartbeat.stop();
    for (const m of this.membership.members.values()) m.link?.close();
  }
}
