// A cluster node (EMQX's design): a full mesh of authenticated peer links with heartbeats; a
// replicated route table (filter → nodes), each node the single writer of its own routes; a publish
// forwarded once per node with a matching route, share groups served by one node per message;
// retained messages replicated with versions and tombstones; a client id held by one node (newest
// connect wins, its session handed over); persistent sessions replicated to every node. Autoheal is
// each part's resync when a link comes up (autoheal.ts, in the order the constructor registers them);
// autoclean drops a node that was unreachable for too long. This file is the composition root: it wires
// the parts (one concept per file, see docs/ARCHITECTURE.md) and dispatches peer frames to them.

import { previousLife } from './replica.ts';
import type { ByteSink, Clock, Random } from '../env.ts';
import type { Message } from '../message.ts';
import type { Session } from '../session.ts';
import type { Distribution, Resumed, SplitOp } from '../distribution.ts';
import { AckTracker, settle, type Tracker } from './ack-tracker.ts';
import { allowedDuringNetsplit, type ClusterConfig, type NodeState } from './config.ts';
import { eventDetail, newClusterStats, type ClusterEvent, type ClusterStats } from './events.ts';
import type { ClusterEventDetail, ClusterEventType } from './events.ts';
import { confirmWhenDurable, rejoinRestored } from './durable.ts';
import { Autoheal } from './autoheal.ts';
import { Failover } from './failover.ts';
import { Forwarding } from './forwarding.ts';
import { Heartbeat, type HeartbeatHost } from './heartbeat.ts';
import type { LocalNode } from './local-node.ts';
import type { Member } from './member.ts';
import { Maintenance } from './maintenance.ts';
import { Membership, type MemberStatus } from './membership.ts';
import { migrationLinks } from './migration.ts';
import { MembershipChanges } from './membership-changes.ts';
import { PeerLink, peerProof, randomHex, type PeerLinkHost } from './peer-link.ts';
import { F, encodeJson, type Frame } from './peer-protocol.ts';
import { Registry, type PassedOn } from './registry.ts';
import { handleFrame, type FrameParts } from './frames.ts';
import { Replicants } from './replicant.ts';
import { ReliableChannel, type Unconfirmed } from './reliable-channel.ts';
import { RetainedReplicator } from './retained-replication.ts';
import { RouteReplication } from './route-replication.ts';
import { ServedShared } from './served-shared.ts';
import type { RouteTable } from './route-table.ts';
import { SessionReplicator, type ReplicaLinks } from './session-replication.ts';
import { linksOf, type ClusterLinks } from '../link/links.ts';

export { defaultClusterConfig, type ClusterConfig, type NodeState } from './config.ts';
export type { ClusterStats, ClusterEvent } from './events.ts';
export type { Tracker } from './ack-tracker.ts';

export class Cluster implements Distribution, PeerLinkHost, ReplicaLinks, HeartbeatHost {
  readonly stats: ClusterStats = newClusterStats();
  readonly incarnation: string;
  readonly membership: Membership;
  readonly replicator: SessionReplicator;
  readonly retainedReplicas: RetainedReplicator;
  readonly maintenance: Maintenance;
  /** Core and replicant roles: what the cores pass on between replicants (replicant.ts). */
  readonly relay: Replicants;
  readonly links: ClusterLinks | null;
  private readonly acks: AckTracker;
  private readonly channel: ReliableChannel;
  private readonly routeRep: RouteReplication;
  private readonly registry: Registry;
  private readonly forwarding: Forwarding;
  private readonly heartbeat: Heartbeat;
  private readonly failover: Failover;
  private readonly served: ServedShared;
  private readonly changes: MembershipChanges;
  private readonly autoheal: Autoheal;
  private readonly parts: FrameParts;
  private midSeq = 0;
  stopped = false;
  // Observers (history, log, metrics): the events; a peer's ack of reliable frames, `ms` from sending the newest
  // (with the delayed ack); messages a peer passed on to a live session here (after what it sent already).
  onEvent: ((type: ClusterEventType, detail: ClusterEventDetail) => void) | null = null;
  onPeerAck: ((peer: string, ms: number) => void) | null = null;
  onPassedOn: ((how: PassedOn, clientId: string, from: string, msgs: Message[]) => void) | null = null;

  constructor(
    readonly broker: LocalNode,
    readonly config: ClusterConfig,
  ) {
    const env = broker.env;
    if (!env.crypto || !env.peers) throw new Error('a clustered broker needs env.crypto and env.peers');
    this.incarnation = randomHex(env.random, 8);
    const membership = (this.membership = new Membership(this.node, config.address, () => this.now()));
    this.acks = new AckTracker(config, () => membership.members.values(), this.stats);
    this.channel = new ReliableChannel(config, env.clock, this.acks, {
      dropped: (reason, n) => broker.countDropped(reason, n),
      peerAck: (peer, ms) => this.onPeerAck?.(peer, ms),
      durable: confirmWhenDurable(broker.store),
    });
    this.replicator = new SessionReplicator(this, broker);
    this.retainedReplicas = new RetainedReplicator(this.node, broker, (t) => this.heartbeat.sentSince(t));
    for (const s of config.seeds) if (s.node !== this.node) membership.add(s.node, s.address);
    this.served = new ServedShared(config.forwardBuffer, (key) => broker.subscriptions.servesGroup(key));
    this.routeRep = new RouteReplication(
      membership,
      broker.subscriptions,
      broker.env.clock,
      (frame) => this.broadcast(frame),
      (peer) => this.fullTableFrom(peer),
    );
    this.relay = new Replicants(config.role === 'replicant', {
      membership,
      table: this.routes,
      sendReliable: (m, frame) => this.channel.send(m, frame),
      forwardTo: (node, groups, msg, now) => this.forwarding.forwardTo(node, groups, msg, now),
      dispatch: (from, f) => handleFrame(this.parts, from, f),
      countDropped: (reason, n) => broker.countDropped(reason, n),
      now: () => this.now(),
    });
    const send = (m: Member, frame: Buffer, msg?: Message, groups?: string[]): void =>
      this.channel.send(m, frame, msg, groups);
    const emit = (e: ClusterEvent): void => this.emit(e);
    const now = (): number => this.now();
    this.registry = new Registry(broker, {
      membership,
      served: this.served,
      lingerMs: config.heartbeatTimeoutMs,
      viaCore: config.role === 'replicant',
      stats: this.stats,
      now,
      sendReliable: send,
      sendReliableTo: (node, frame) => this.sendReliableTo(node, frame),
      broadcast: (frame) => this.broadcast(frame),
      linger: (keys, until) => this.routeRep.linger(keys, until),
      replicaEnded: (clientId) => this.replicator.ended(clientId),
      claimedElsewhere: (clientId, node) => this.replicator.claimedElsewhere(clientId, node),
      passedOn: (how, clientId, from, msgs) => this.onPassedOn?.(how, clientId, from, msgs),
      ...migrationLinks(broker, this),
      emit,
    });
    this.maintenance = new Maintenance(this, broker, (s, node) => this.registry.migrate(s, node));
    this.forwarding = new Forwarding(broker, {
      membership,
      table: this.routeRep.table,
      acks: this.acks,
      registry: this.registry,
      replicas: this.replicator,
      retained: this.retainedReplicas,
      served: this.served,
      stats: this.stats,
      forwardBuffer: config.forwardBuffer,
      now,
      sendReliable: send,
      relay: this.relay.self ? (msg, targets, at) => this.relay.forward(msg, targets, at) : undefined,
      emit,
    });
    this.failover = new Failover({
      membership,
      stats: this.stats,
      acks: this.acks,
      replicas: this.replicator,
      now,
      sendReliable: send,
      dropUnacked: (m) => this.channel.dropUnacked(m),
      groupsNotGiven: (owner, msg, groups) => this.forwarding.groupsNotGiven(owner, msg, groups),
      purge: (node) => this.purge(node),
      countDropped: (reason, n) => broker.countDropped(reason, n),
      retainedBy: (node) => this.retainedReplicas.writtenBy(node, now()),
      claimedSinceLost: (o) =>
        this.relay.lost(
          o,
          this.replicator.replicaClaims(o),
          (id) => this.registry.liveClaim(id),
          (id, n) => this.replicator.claimedElsewhere(id, n),
        ),
      emit,
    });
    this.changes = new MembershipChanges({
      membership,
      broadcast: (frame) => this.broadcast(frame),
      dial: (m) => this.heartbeat.dial(m),
      removed: (m) => {
        this.channel.dropUnacked(m);
        this.failover.dropStale(m);
        this.purge(m.node);
      },
      purgeRoutes: (node) => this.routeRep.table.purge(node),
      wipe: () => {
        for (const n of this.routeRep.table.nodes()) if (n !== this.node) this.routeRep.table.purge(n);
        this.replicator.replicas.clear();
        broker.retained.clear();
        this.retainedReplicas.clear();
        this.forwarding.routesKnown = false;
      },
      emit,
    });
    // Autoheal: each part's resync, in this order.
    const heal = (this.autoheal = new Autoheal({
      membership,
      stats: this.stats,
      ownerBack: (node) => this.replicator.ownerBack(node),
      restarted: (m) => this.failover.restarted(m),
      dropUnacked: (m) => this.channel.dropUnacked(m),
      // Its claims and sessions went with its old life (it claims again what it restored): none may point at it.
      cameBackEmpty: (node) => {
        this.registry.purge(node);
        this.forwarding.cameBackEmpty(node);
        previousLife(this.replicator.replicas, node);
      },
      emit,
    }));
    heal.add((_m, l) => l.write(encodeJson(F.Members, { members: membership.info() })));
    // Claims before forwards and routes: a live session the peer also holds waits for the peer's copy (older
    // messages, the packet ids its client holds) before what the peer kept or queued for our routes.
    heal.add((_m, l) => {
      for (const s of this.broker.sessions.values()) l.write(this.registry.claimFrame(s));
    });
    heal.add((m, l) => m.unacked.forEach((u) => l.write(u.frame))); // what the link lost, or never carried
    heal.add((m, l) => this.routeRep.resync(m.node).forEach((f) => l.write(f)));
    heal.add((_m, l) => [...this.retainedReplicas.resync(this.now())].forEach((f) => l.write(f)));
    heal.add((m) => {
      // Replicas of our persistent sessions, and their wills (to cores only).
      if (!this.relay.replicatesTo(m)) return;
      for (const s of this.broker.sessions.values()) {
        for (const f of this.replicator.snapshot(s)) this.channel.send(m, f);
        const will = this.replicator.willFor(s);
        if (will) this.channel.send(m, will);
      }
    });
    const { routeRep, forwarding, registry, changes, maintenance, relay, replicator } = this;
    this.parts = { routeRep, forwarding, registry, changes, maintenance, relay, replicator };
    this.heartbeat = new Heartbeat(config, env.clock, env.peers, membership, this, this);
    this.heartbeat.tick();
    broker.distribute(this, this.replicator);
    rejoinRestored(broker.sessions.values(), (s) => this.registry.claim(s));
    this.links = linksOf(this);
  }
  // ---- getters --------------------------------------------------------------
  get node(): string {
    return this.broker.config.node;
  }
  get address(): string {
    return this.config.address;
  }
  get replicant(): boolean {
    return this.config.role === 'replicant';
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
    if (this.onEvent) this.onEvent(e.type, eventDetail(e).detail);
  }

  /** PeerLinkHost: the handshake proof (peerProof). */
  mac(nonce: string, prover: string, verifier: string, proverDialed: boolean): string {
    return peerProof(this.broker.env.crypto!, this.config.secret, nonce, prover, verifier, proverDialed);
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

  status(): MemberStatus[] {
    return this.membership.status();
  }

  /** ReplicaLinks: members here were given `mid` for these share groups. */
  servedGroups(mid: string, groups: string[]): void {
    this.served.note(mid, groups);
  }

  /** The running node other than `owner` and this one where the connection of `clientId` made at `at` is live. */
  liveElsewhere(clientId: string, at: number, owner: string): string | undefined {
    return this.registry.liveElsewhere(clientId, at, owner);
  }

  /** Whether the client connected again (anywhere) after `at`. */
  claimedSince(clientId: string, at: number): boolean {
    return this.registry.claimedSince(clientId, at);
  }

  /** Messages forwarded to `node` that it has not confirmed yet, oldest first, with the share groups they were for. */
  unconfirmedFor(node: string): Unconfirmed[] {
    const m = this.membership.get(node);
    return m ? this.channel.unconfirmed(m) : [];
  }

  /** Reliable frames (replication, forwards, handoffs) running peers have not confirmed yet, batched replication
   * acknowledgements sent first. A graceful stop waits for 0 so the peers hold every session's latest state. */
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
    this.links?.publish(msg);
    return this.forwarding.route(msg);
  }

  tracked<T>(publish: () => T, all?: boolean): { result: T; tracker: Tracker | null } {
    return this.acks.tracked(publish, all);
  }

  resume(clientId: string): Resumed | null {
    return this.replicator.resume(clientId);
  }

  /** This node holds the session of `s.clientId` (connected, failed over, migrated here): say so. `from`: resumed
   * from that node's replica; what it was forwarded unconfirmed is fetched once the claim is out (after its handoff). */
  claim(s: Session, from?: Resumed, fresh = false): void {
    this.registry.claim(s, fresh);
    if (from) this.replicator.fetchOrphans(s, from.owner, from.done, undefined, from.subs);
  }

  replicaOwner(clientId: string): { user: string | undefined } | undefined {
    const r = this.replicator.replicas.get(clientId);
    return r ? { user: r.user } : undefined;
  }

  redirect(): string | null {
    return this.maintenance.redirect();
  }

  refuses(op: SplitOp): boolean {
    return !allowedDuringNetsplit(this.config, op) && this.netsplit;
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
    else if (this.relay.self) this.relay.sendTo(node, frame);
  }

  broadcastReliable(frame: Buffer): void {
    for (const m of this.membership.members.values())
      if (m.state !== 'left' && m.state !== 'stopped' && this.relay.replicatesTo(m))
        this.channel.send(m, frame);
  }

  // ---- links --------------------------------------------------------------------

  /** An inbound peer connection was accepted by the transport. */
  acceptPeer(sink: ByteSink): { receive(b: Buffer): void; transportClosed(): void } {
    return new PeerLink(this, sink, false, null);
  }

  /** A link finished its handshake: one link per pair, then the full resync (autoheal.ts). */
  linkUp(l: PeerLink): void {
    this.relay.linkUp(l);
    this.autoheal.up(l);
  }

  linkDown(l: PeerLink): void {
    const m = this.membership.get(l.peer);
    if (!m || m.link !== l) return;
    m.link = null;
    this.relay.coreDown(m.node);
    m.lastHeard = Math.max(m.lastHeard, l.lastRx);
    m.dialStarted = -Infinity; // redial at the next heartbeat, whatever attempts still hang
    // Its routes may change while we cannot hear of them: from now on we keep what it may need.
    if (m.stale) for (const x of m.stale) settle(x);
    else m.stale = [];
    if (m.state === 'running') this.failover.lost(m);
  }

  /** HeartbeatHost: `m` was unreachable for autocleanMs. */
  autoclean(m: Member): void {
    this.failover.autoclean(m);
  }

  /** HeartbeatHost: each part's periodic work. */
  housekeeping(now: number): void {
    this.registry.expire(now);
    this.routeRep.expireLingering(now);
    this.retainedReplicas.gc(now);
  }

  /** Forgets a removed node's routes (returns how many) and claims. */
  private purge(node: string): number {
    const n = this.routeRep.table.purge(node);
    this.registry.purge(node);
    this.relay.removed(node);
    return n;
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
        if (!this.channel.received(m, f.seq, f.inner.type === F.ROut)) return;
        return this.onFrame(l, f.inner);
      }
      case F.Retain: {
        const reply = this.retainedReplicas.merge(f.msg, f.v, f.deleted, f.notForwarded);
        if (reply) l.write(reply);
        return this.relay.retain(peer, f.msg, f.v, f.deleted);
      }
      default:
        if (!handleFrame(this.parts, peer, f)) {
          this.stats.badFrames++;
          l.close();
        }
    }
  }

  // ---- membership commands ----------------------------------------------------

  /** `cluster join`: contact a node of an existing cluster (manual discovery). */
  join(node: string, address: string): void {
    this.changes.join(node, address);
  }

  /** `cluster leave`: tell everyone, drop cluster data, stop dialing. */
  leave(): void {
    this.changes.leave();
  }

  /** `cluster force-leave NODE`: remove a (usually dead) node from the cluster. */
  forceLeave(node: string): boolean {
    return this.changes.forceLeave(node);
  }

  stop(): void {
    this.stopped = true;
    this.membership.selfState = 'stopped';
    this.heartbeat.stop();
    this.maintenance.stop();
    for (const m of this.membership.members.values()) m.link?.close();
  }
}
