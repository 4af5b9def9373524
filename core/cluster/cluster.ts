// Cluster membership and message routing between nodes (EMQX's design):
// full mesh of authenticated peer links with heartbeats; a replicated
// route table (filter → nodes) with each node the single writer of its own
// routes; a publish is forwarded once per node with a matching route;
// shared groups are served by one node per message; retained messages are
// replicated with versions and tombstones (retained-replication.ts); a client id lives on one node
// (newest connect wins, its session is handed over). Autoheal is the
// full resync every link does when it comes up; autoclean drops a node
// unreachable for too long.

import type { ByteSink, Timer } from '../env.ts';
import type { Broker } from '../broker.ts';
import type { Message, QoS } from '../message.ts';
import { TopicTrie } from '../topic-trie.ts';
import type { Session } from '../session.ts';
import { RouteTable } from './route-table.ts';
import { SessionReplicator } from './session-replication.ts';
import { RetainedReplicator } from './retained-replication.ts';
import {
  F,
  FrameReader,
  PROTOCOL_VERSION,
  encodeJson,
  encodeMessage,
  encodePing,
  encodeRMsg,
  encodeRetain,
  encodeSeq,
  toWire,
  toOrphanWire,
  fromWire,
  type Frame,
  type HandoffBody,
  type MemberInfo,
  type WireMessage,
} from './peer-protocol.ts';
import { matches } from '../topic.ts';

export interface ClusterConfig {
  /** Shared secret: peers prove they know it with an HMAC over a fresh nonce. */
  secret: string;
  /** This node's peer address as others dial it. */
  address: string;
  discovery: 'static' | 'manual';
  /** Static discovery: every node of the cluster (this one may be included). */
  seeds: { node: string; address: string }[];
  heartbeatIntervalMs: number;
  /** No frame from a peer for this long: it is unreachable. */
  heartbeatTimeoutMs: number;
  reconnectIntervalMs: number;
  /** Unreachable this long: its routes are purged and it is removed (EMQX autoclean). */
  autocleanMs: number;
  /**
   * 'replicated': a QoS 1/2 publish is acknowledged to its publisher once every
   * node it was forwarded or replicated to has confirmed it (safe against the
   * loss of one node). 'local': as soon as it is routed here (faster, but lost
   * if this node dies in that instant).
   */
  ackMode: 'replicated' | 'local';
  /** Frames kept per unreachable peer, sent when it comes back (ten times this for a running but slow one). */
  forwardBuffer: number;
  /**
   * Consistency switches (VerneMQ's allow_*_during_netsplit): false refuses
   * connects, publishes or subscribes while any member is unreachable.
   */
  allowRegisterDuringNetsplit: boolean;
  allowPublishDuringNetsplit: boolean;
  allowSubscribeDuringNetsplit: boolean;
}

export function defaultClusterConfig(address: string): ClusterConfig {
  return {
    secret: '',
    address,
    discovery: 'static',
    seeds: [],
    heartbeatIntervalMs: 1000,
    heartbeatTimeoutMs: 5000,
    reconnectIntervalMs: 1000,
    autocleanMs: 300_000,
    forwardBuffer: 10_000,
    ackMode: 'replicated',
    allowRegisterDuringNetsplit: true,
    allowPublishDuringNetsplit: true,
    allowSubscribeDuringNetsplit: true,
  };
}

export type NodeState = 'running' | 'unreachable' | 'stopped' | 'left';

/** How long a node may sit on received reliable frames before confirming them. */
const ACK_DELAY_MS = 5;

/** A publish whose acknowledgement to its publisher waits until peers confirm what it caused. */
/** How long a session's old node passes late forwards on to its new one. */
const MOVED_FOLLOW_MS = 5 * 60_000;

export interface Tracker {
  pending: number;
  done: (() => void) | null;
}

interface Unacked {
  seq: number;
  frame: Buffer;
  msg?: Message;
  /** The share groups a forward was for: if the peer fails, its orphans go to one member of each. */
  groups?: string[];
  tracker?: Tracker;
  /** First sent (broker clock): the acknowledgement's round trip is measured from here. */
  sentAt: number;
}

function settle(u: { tracker?: Tracker }): void {
  const t = u.tracker;
  if (!t) return;
  u.tracker = undefined;
  if (--t.pending === 0) t.done?.();
}

interface Member {
  node: string;
  address: string;
  state: NodeState;
  link: PeerLink | null;
  /** When it became unreachable (broker clock). */
  downSince: number;
  /** Incarnation of the peer our sequence state refers to. */
  peerInc: string;
  /** Reliable frames sent and not yet acknowledged, oldest first: resent when the link comes back. */
  unacked: Unacked[];
  outSeq: number;
  /** Highest in-order Seq frame received from the peer's current incarnation. */
  inSeq: number;
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

/** A message held for a peer whose routes we do not know (see Member.stale). */
interface Stale {
  msg: Message;
  /** Its publisher's acknowledgement, held when the peer was running (link up, routes on their way). */
  tracker?: Tracker;
}

export interface ClusterStats {
  forwardedOut: number;
  forwardedIn: number;
  netsplitsDetected: number;
  netsplitsHealed: number;
  autocleaned: number;
  handoffsOut: number;
  handoffsIn: number;
  authFailures: number;
  badFrames: number;
}

class PeerLink {
  state: 'hello' | 'authed' | 'closed' = 'hello';
  peer = '';
  peerAddress = '';
  peerInc = '';
  private reader = new FrameReader();
  private frames: Frame[] = [];
  readonly nonce: string;
  lastRx: number;
  private gotAuth = false;
  private sentAuth = false;

  constructor(
    private c: Cluster,
    private sink: ByteSink,
    readonly outbound: boolean,
    readonly expect: string | null,
  ) {
    this.nonce = randomHex(c.broker, 16);
    this.lastRx = c.now();
    this.write(
      encodeJson(F.Hello, {
        v: PROTOCOL_VERSION,
        node: c.node,
        address: c.config.address,
        nonce: this.nonce,
        inc: c.incarnation,
      }),
    );
    // Heartbeats only watch authenticated links: one that never completes the handshake is cut here.
    this.helloTimer = c.broker.env.clock.setTimer(c.config.heartbeatTimeoutMs, () => {
      if (this.state === 'hello') this.fail(`no handshake within ${c.config.heartbeatTimeoutMs} ms`);
    });
  }

  private helloTimer: Timer | null = null;

  write(b: Buffer): void {
    if (this.state !== 'closed') this.sink.write(b);
  }

  receive(bytes: Buffer): void {
    if (this.state === 'closed') return;
    this.lastRx = this.c.now();
    const frames = this.frames;
    frames.length = 0;
    try {
      this.reader.push(bytes, this.c.now(), frames);
    } catch (e) {
      this.c.stats.badFrames++;
      this.c.log(`peer link ${this.peer || '?'}: ${(e as Error).message}; closing`);
      this.close();
      return;
    }
    for (const f of frames) {
      if ((this.state as string) === 'closed') return;
      this.handle(f);
    }
  }

  private handle(f: Frame): void {
    if (this.state === 'hello') {
      if (f.type === F.Hello) {
        if (f.body.v !== PROTOCOL_VERSION)
          return this.fail(`peer protocol version ${f.body.v} not supported`);
        if (this.expect && f.body.node !== this.expect)
          return this.fail(`expected ${this.expect}, reached ${f.body.node}`);
        if (f.body.node === this.c.node) return this.fail('connected to itself');
        this.peer = f.body.node;
        this.peerAddress = f.body.address;
        this.peerInc = f.body.inc;
        this.write(
          encodeJson(F.Auth, { mac: this.c.mac(f.body.nonce, this.c.node, this.peer, this.outbound) }),
        );
        this.sentAuth = true;
        if (this.gotAuth) this.c.linkUp(this);
        return;
      }
      if (f.type === F.Auth && this.peer) {
        if (!sameString(f.body.mac, this.c.mac(this.nonce, this.peer, this.c.node, !this.outbound))) {
          this.c.stats.authFailures++;
          return this.fail(`peer ${this.peer} failed authentication`);
        }
        this.gotAuth = true;
        if (this.sentAuth) this.c.linkUp(this);
        return;
      }
      return this.fail('frame before authentication');
    }
    this.c.onFrame(this, f);
  }

  private fail(why: string): void {
    this.c.log(`peer link: ${why}`);
    this.close();
  }

  close(): void {
    if (this.state === 'closed') return;
    const was = this.state;
    this.state = 'closed';
    this.helloTimer?.cancel();
    this.sink.close();
    if (was === 'authed') this.c.linkDown(this);
  }

  transportClosed(): void {
    if (this.state === 'closed') return;
    const was = this.state;
    this.state = 'closed';
    this.helloTimer?.cancel();
    if (was === 'authed') this.c.linkDown(this);
  }
}

function randomHex(b: Broker, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(b.env.random.next() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

export class Cluster {
  readonly routes = new RouteTable();
  readonly members = new Map<string, Member>();
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
  /** Who holds each client id's session: node, connect time, connected or not (live, then newest, then name wins). */
  private registry = new Map<string, { node: string; at: number; live: boolean }>();
  readonly replicator: SessionReplicator;
  readonly retainedReplicas: RetainedReplicator;
  private midSeq = 0;
  private rr = new Map<string, number>();
  private timer: Timer | null = null;
  private stopped = false;
  onEvent: ((type: string, detail: Record<string, string | number>) => void) | null = null;
  /** Observer: a peer acknowledged reliable frames; `ms` from sending the newest of them (includes the delayed ack). */
  onPeerAck: ((peer: string, ms: number) => void) | null = null;
  readonly incarnation: string;

  constructor(
    readonly broker: Broker,
    readonly config: ClusterConfig,
  ) {
    if (!broker.env.crypto || !broker.env.peers)
      throw new Error('a clustered broker needs env.crypto and env.peers');
    this.incarnation = randomHex(broker, 8);
    this.replicator = new SessionReplicator(this, broker);
    this.retainedReplicas = new RetainedReplicator(broker.config.node, broker);
    for (const s of config.seeds) if (s.node !== this.node) this.addMember(s.node, s.address);
    this.routesKnown = this.members.size === 0;
    broker.router.onRouteChange = (key, added) => this.localRoute(key, added);
    for (const k of broker.router.routeKeys()) this.routes.add(this.node, k);
    this.tick();
  }

  get node(): string {
    return this.broker.config.node;
  }

  now(): number {
    return this.broker.env.clock.now();
  }

  log(m: string): void {
    this.broker.env.log?.warn(`[${this.node}] ${m}`);
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

  emit(type: string, detail: Record<string, string | number> = {}): void {
    this.onEvent?.(type, detail);
  }

  /** A cluster-unique id for a message entering here. */
  nextMid(): string {
    return `${this.node}.${this.incarnation}.${++this.midSeq}`;
  }

  /** The node that takes over `owner`'s sessions: the first running node after it in name order. */
  backupOf(owner: string): string {
    const up = [
      this.node,
      ...[...this.members.values()].filter((m) => m.state === 'running').map((m) => m.node),
    ]
      .filter((n) => n !== owner)
      .sort();
    return up.find((n) => n > owner) ?? up[0];
  }

  private addMember(node: string, address: string): Member {
    let m = this.members.get(node);
    if (!m) {
      m = {
        node,
        address,
        state: 'unreachable',
        link: null,
        downSince: this.now(),
        peerInc: '',
        unacked: [],
        outSeq: 0,
        inSeq: 0,
        sinceAck: 0,
        ackTimer: null,
        dialing: 0,
        dialStarted: 0,
        dialHello: null,
        stale: [],
      };
      this.members.set(node, m);
    } else if (address) m.address = address;
    return m;
  }

  // ---- links ------------------------------------------------------------

  /** An inbound peer connection was accepted by the transport. */
  acceptPeer(sink: ByteSink): { receive(b: Buffer): void; transportClosed(): void } {
    return new PeerLink(this, sink, false, null);
  }

  private dial(m: Member): void {
    if (m.link || this.stopped) return;
    // A connect into a partition hangs until the transport gives up, and one started just before a heal
    // does not notice it: a new attempt starts every reconnect interval meanwhile (each transport
    // attempt ends at its own timeout), so a link comes back within an interval of the heal. One
    // handshake at a time: an attempt that opens supersedes one still in its handshake (a connection
    // a proxy accepted during the cut may never carry a byte). A member removed (autoclean, stopped)
    // is tried at the slower heartbeat-timeout pace.
    const every = m.state === 'stopped' ? this.config.heartbeatTimeoutMs : this.config.reconnectIntervalMs;
    if (m.dialing > 0 && this.now() - m.dialStarted < every) return;
    m.dialing++;
    m.dialStarted = this.now();
    let link: PeerLink | null = null;
    let pending = true;
    const ended = (): void => {
      if (pending) m.dialing--;
      pending = false;
    };
    this.broker.env.peers!.connect(m.address, {
      open: (sink) => {
        ended();
        if (m.link || this.stopped) {
          sink.close();
          return;
        }
        if (m.dialHello?.state === 'hello') m.dialHello.close();
        link = m.dialHello = new PeerLink(this, sink, true, m.node);
      },
      data: (b) => link?.receive(b),
      closed: () => {
        ended();
        link?.transportClosed();
      },
    });
  }

  linkUp(l: PeerLink): void {
    const m = this.addMember(l.peer, l.peerAddress);
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
          this.emit('peer.restarted', { peer: m.node });
          this.replicator.peerGone(m.node);
          this.failover(m);
        }
        this.dropUnacked(m);
        const lost = this.replicator.replicaClaims(m.node);
        if (lost.size) this.restarted.set(m.node, lost);
      }
      m.inSeq = 0;
      m.peerInc = l.peerInc;
    }
    const wasDown = m.state === 'unreachable' || m.state === 'stopped';
    const healed = wasDown && m.downSince > 0 && this.everUp.has(m.node);
    m.state = 'running';
    this.everUp.add(m.node);
    if (healed) this.stats.netsplitsHealed++;
    this.emit('peer.up', { peer: m.node, healed: healed ? 1 : 0 });
    // What the link lost (or never carried) goes again, before anything newer; the peer drops what it already has.
    for (const u of m.unacked) l.write(u.frame);
    // Full resync: membership, our routes, our retained messages and tombstones, our connected clients.
    l.write(encodeJson(F.Members, { members: this.memberInfo() }));
    // The routes we hold of the other running nodes first, then ours: when ours arrive the peer knows the whole table.
    for (const o of this.members.values()) {
      if (o.node !== m.node && o.state === 'running')
        l.write(
          encodeJson(F.Routes, { full: true, add: [...this.routes.keysOf(o.node)], del: [], of: o.node }),
        );
    }
    l.write(encodeJson(F.Routes, { full: true, add: [...this.routes.keysOf(this.node)], del: [] }));
    const now = this.now();
    for (const f of this.retainedReplicas.resync(now)) l.write(f);
    // Our claims on client ids, and replicas of our persistent sessions.
    for (const s of this.broker.sessions.values()) {
      l.write(
        encodeJson(F.Register, {
          clientId: s.clientId,
          at: s.connectedAt,
          node: this.node,
          live: s.conn !== null,
        }),
      );
      for (const f of this.replicator.snapshot(s)) this.sendReliable(m, f);
      const will = this.replicator.willFor(s);
      if (will) this.sendReliable(m, will);
    }
  }

  private everUp = new Set<string>();

  linkDown(l: PeerLink): void {
    const m = this.members.get(l.peer);
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
      this.emit('peer.down', { peer: m.node });
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
    const backup = this.backupOf(m.node);
    if (msgs.length) {
      // Kept in our own replicas of its sessions too: the backup may itself have restarted empty.
      this.replicator.orphans(m.node, msgs);
      if (backup !== this.node) {
        const b = this.members.get(backup);
        if (b) this.sendReliable(b, encodeJson(F.Orphan, { owner: m.node, msgs }));
      }
    }
    // Publishers waiting on the dead node's confirmation are answered: their messages live on here and at the backup.
    for (const u of m.unacked) settle(u);
    this.replicator.ownerDown(m.node);
    // Only cut off, it gets these frames again when it is back: the share groups one of its sessions
    // here (the failed-over member) was given go no more, so the group gets the message once.
    for (const u of m.unacked) {
      if (!u.msg || !u.groups) continue;
      const left = this.groupsNotGiven(m.node, u.msg, u.groups);
      if (left.length === u.groups.length) continue;
      u.groups = left.length ? left : undefined;
      u.frame = encodeSeq(u.seq, encodeMessage(F.Forward, u.msg, now, left));
    }
  }

  /** The share groups of a forward to `owner` that no session failed over here from it was given as an orphan. */
  private groupsNotGiven(owner: string, msg: Message, groups: string[]): string[] {
    if (msg.mid === undefined || this.backupOf(owner) !== this.node) return groups;
    return groups.filter((g) => !this.replicator.groupGiven(owner, msg.mid!, g));
  }

  private memberInfo(): MemberInfo[] {
    const out: MemberInfo[] = [{ node: this.node, address: this.config.address, state: 'running' }];
    for (const m of this.members.values()) {
      if (m.state === 'left') out.push({ node: m.node, address: m.address, state: 'left' });
      else if (m.state !== 'stopped') out.push({ node: m.node, address: m.address, state: 'running' });
    }
    return out;
  }

  /** Heartbeats, failure detection, redials, autoclean. */
  private tick = (): void => {
    if (this.stopped) return;
    const now = this.now();
    for (const m of this.members.values()) {
      if (m.state === 'left') continue;
      const l = m.link;
      if (l) {
        if (now - l.lastRx > this.config.heartbeatTimeoutMs) {
          this.log(`no heartbeat from ${m.node} for ${Math.round(now - l.lastRx)} ms`);
          l.close();
        } else {
          l.write(encodePing(now, m.inSeq));
          m.sinceAck = 0;
        }
        continue;
      }
      if (m.state !== 'stopped' && now - m.downSince > this.config.autocleanMs) this.autoclean(m);
      // The lower name dials; a node that joined by hand dials its seed whatever the names.
      if (this.node < m.node || !this.everUp.has(m.node)) this.dial(m);
    }
    for (const [clientId, e] of this.moved) if (now > e.until) this.unfollow(clientId);
    for (const [key, until] of this.lingering) {
      if (now <= until) continue;
      this.lingering.delete(key);
      if (!this.broker.router.holds(key)) this.localRoute(key, false);
    }
    this.retainedReplicas.gc(now);
    this.timer = this.broker.env.clock.setTimer(this.config.heartbeatIntervalMs, this.tick);
  };

  private autoclean(m: Member): void {
    m.state = 'stopped';
    if (m.unacked.length) this.broker.countDropped('peer-removed', m.unacked.length);
    this.dropUnacked(m);
    this.dropStale(m);
    const n = this.routes.purge(m.node);
    for (const [id, r] of this.registry) if (r.node === m.node) this.registry.delete(id);
    this.stats.autocleaned++;
    this.emit('autoclean', { peer: m.node, routes: n });
  }

  private broadcast(b: Buffer): void {
    for (const m of this.members.values()) this.sendTo(m, b);
  }

  /** Best effort: state frames that every link-up resynchronises anyway. */
  private sendTo(m: Member, b: Buffer): void {
    m.link?.write(b);
  }

  /**
   * At least once over any number of link failures, deduplicated by the
   * receiver: forwards and handoffs. Kept until acknowledged, bounded.
   */
  private sendReliable(m: Member, frame: Buffer, msg?: Message, groups?: string[]): void {
    const seq = ++m.outSeq;
    const f = encodeSeq(seq, frame);
    // A running peer is only slow to confirm (a starved CPU, a burst): its backlog may grow to ten
    // times the buffer before anything is given up. One that is cut off keeps `forwardBuffer`.
    const running = m.state === 'running';
    if (m.unacked.length >= (running ? this.config.forwardBuffer * 10 : this.config.forwardBuffer)) {
      settle(m.unacked.shift()!);
      this.broker.countDropped(running ? 'peer-backlog' : 'peer-unreachable', 1);
    }
    const u: Unacked = { seq, frame: f, msg, sentAt: this.now() };
    if (groups?.length) u.groups = groups;
    // Only a running peer can make the message safe sooner; one cut off keeps it in our buffer either way.
    if (this.tracking && m.state === 'running') {
      this.tracking.pending++;
      u.tracker = this.tracking;
    }
    m.unacked.push(u);
    m.link?.write(f);
  }

  private sendAck(m: Member): void {
    m.ackTimer?.cancel();
    m.ackTimer = null;
    m.sinceAck = 0;
    m.link?.write(encodePing(this.now(), m.inSeq));
  }

  private dropUnacked(m: Member): void {
    for (const u of m.unacked) settle(u);
    m.unacked = [];
  }

  /** A removed peer gets nothing of what was kept for it (counted with its unconfirmed frames). */
  private dropStale(m: Member): void {
    if (!m.stale) return;
    for (const x of m.stale) settle(x);
    if (m.stale.length) this.broker.countDropped('peer-removed', m.stale.length);
    m.stale = null;
  }

  private tracking: Tracker | null = null;

  /**
   * Runs `publish` and reports what the publisher's acknowledgement must wait
   * for: null when it may go now (ack mode 'local', no peer involved).
   */
  tracked<T>(publish: () => T): { result: T; tracker: Tracker | null } {
    if (this.config.ackMode === 'local') return { result: publish(), tracker: null };
    const t: Tracker = { pending: 0, done: null };
    this.tracking = t;
    let result: T;
    try {
      result = publish();
    } finally {
      this.tracking = null;
    }
    return { result, tracker: t.pending > 0 ? t : null };
  }

  isRunning(node: string): boolean {
    return this.members.get(node)?.state === 'running';
  }

  sendReliableTo(node: string, frame: Buffer): void {
    const m = this.members.get(node);
    if (m) this.sendReliable(m, frame);
  }

  /** Messages forwarded to `node` that it has not confirmed yet, oldest first, with the share groups they were for. */
  unconfirmedFor(node: string): { msg: Message; groups: string[] }[] {
    const m = this.members.get(node);
    if (!m) return [];
    const out: { msg: Message; groups: string[] }[] = [];
    for (const u of m.unacked) if (u.msg) out.push({ msg: u.msg, groups: u.groups ?? [] });
    return out;
  }

  /** Some member of the cluster cannot be reached right now. */
  get netsplit(): boolean {
    for (const m of this.members.values()) if (m.state === 'unreachable') return true;
    return false;
  }

  runningPeers(): string[] {
    return [...this.members.values()].filter((m) => m.state === 'running').map((m) => m.node);
  }

  broadcastReliable(frame: Buffer): void {
    for (const m of this.members.values())
      if (m.state !== 'left' && m.state !== 'stopped') this.sendReliable(m, frame);
  }

  private acked(m: Member, seq: number): void {
    const u = m.unacked;
    let i = 0;
    while (i < u.length && u[i].seq <= seq) settle(u[i++]);
    if (i === 0) return;
    this.onPeerAck?.(m.node, this.now() - u[i - 1].sentAt);
    m.unacked = i === u.length ? [] : u.slice(i);
  }

  // ---- frames -------------------------------------------------------------

  onFrame(l: PeerLink, f: Frame): void {
    const peer = l.peer;
    switch (f.type) {
      case F.Ping: {
        const m = this.members.get(peer);
        if (m) this.acked(m, f.body.ack);
        return;
      }
      case F.Seq: {
        const m = this.members.get(peer);
        if (!m || m.link !== l) return;
        if (f.seq <= m.inSeq) return; // already have it (resent after a link loss)
        m.inSeq = f.seq;
        // Delayed acknowledgement (like TCP's): publishers in ack mode 'replicated' wait for it.
        if (++m.sinceAck >= 256) this.sendAck(m);
        else m.ackTimer ??= this.broker.env.clock.setTimer(ACK_DELAY_MS, () => this.sendAck(m));
        return this.onFrame(l, f.inner);
      }
      case F.Routes:
        if (f.body.of !== undefined) {
          // Second-hand: only for a node we have not heard from ourselves since we started.
          if (f.body.of !== this.node && this.members.has(f.body.of) && !this.routesFrom.has(f.body.of))
            this.routes.replace(f.body.of, f.body.add);
        } else if (f.body.full) {
          this.routes.replace(peer, f.body.add);
          this.routesFrom.add(peer);
          if (!this.routesKnown) this.routesLearned();
          const m = this.members.get(peer);
          if (m) this.releaseStale(m);
        } else {
          for (const k of f.body.add) this.routes.add(peer, k);
          for (const k of f.body.del) this.routes.remove(peer, k);
        }
        return;
      case F.Forward:
        this.stats.forwardedIn++;
        this.broker.dispatchLocal(f.msg, new Set(f.groups));
        if (f.groups?.length) this.noteServed(f.msg, f.groups);
        if (this.moved.size) this.forwardMoved(f.msg);
        return;
      case F.Moved: {
        const s = this.broker.sessions.get(f.body.clientId);
        const next = s ? undefined : this.movedTo(f.body.clientId);
        // Owed to the session the sender handed over: only the session that took that one over gets it.
        if (s && this.heirs.get(s)?.has(peer)) s.deliver({ msg: f.body.msg, qos: f.body.dq, retain: false });
        else if (next)
          this.sendReliable(
            next,
            encodeRMsg(f.body.clientId, f.body.dq, f.body.msg, this.now(), F.Moved),
            f.body.msg,
          );
        else this.broker.countDrop(f.body.clientId, f.body.msg, 'no-session');
        return;
      }
      case F.Refused:
        // Only if it still follows that session to the refusing node (a later move may point elsewhere).
        if (this.moved.get(f.body.clientId)?.node === peer) this.unfollow(f.body.clientId);
        return;
      case F.Retain: {
        const reply = this.retainedReplicas.merge(f.msg, f.v, f.deleted, f.notForwarded);
        if (reply) l.write(reply);
        return;
      }
      case F.Members:
        for (const mi of f.body.members) {
          if (mi.node === this.node) continue;
          if (mi.state === 'left') this.forget(mi.node);
          else if (!this.members.has(mi.node) || this.members.get(mi.node)!.state === 'stopped')
            this.addMember(mi.node, mi.address);
        }
        return;
      case F.Leave:
        if (f.body.node === this.node) {
          // Forced out by another node: drop cluster data, stop dialing.
          this.emit('forced-out', { by: f.body.by ?? peer });
          this.leaveLocal();
        } else this.forget(f.body.node);
        return;
      case F.Register:
        return this.onRegister(f.body.clientId, f.body.node, f.body.at, f.body.live);
      case F.Handoff:
        return this.onHandoff(peer, f.body);
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

  // ---- routing --------------------------------------------------------------

  private localRoute(key: string, added: boolean): void {
    if (added) this.lingering.delete(key);
    else if (this.lingering.has(key)) return; // a moved session's route: withdrawn when the linger ends
    if (added) this.routes.add(this.node, key);
    else this.routes.remove(this.node, key);
    this.broadcast(encodeJson(F.Routes, { full: false, add: added ? [key] : [], del: added ? [] : [key] }));
  }

  /**
   * Routes a message published on this node: one forward per node with a
   * matching route, one node per shared group. Returns the number of
   * receivers known here (local deliveries + remote nodes).
   */
  route(msg: Message): number {
    const targets = this.targetsOf(msg);
    const now = this.now();
    if (msg.retain) this.replicateRetained(msg, targets, now);
    // Started as a cluster member and not synced with any peer yet: the route table is not
    // known, so "no remote subscriber" proves nothing. The acknowledgement waits for the sync.
    if (!this.routesKnown && this.tracking && msg.qos > 0) {
      this.tracking.pending++;
      this.parked.push({ msg, tracker: this.tracking });
    }
    if (msg.qos > 0) this.holdForStale(msg, targets);
    if (this.restarted.size && msg.qos > 0 && msg.mid !== undefined)
      this.orphanForRestarted(msg, targets, now);
    if (!targets) return 0;
    let n = 0;
    let plain: Buffer | null = null;
    for (const [node, groups] of targets) {
      if (node === this.node) {
        n += this.broker.dispatchLocal(msg, new Set(groups));
        // A session that just moved on from here: its new owner's route may not have reached us yet.
        if (this.moved.size) this.forwardMoved(msg, targets);
        continue;
      }
      const m = this.members.get(node);
      if (!m || m.state === 'left' || m.state === 'stopped') continue;
      // Its sessions failed over when it went down: they get the message now (it may come back empty).
      let gs = groups;
      if (m.state === 'unreachable' && msg.qos > 0 && msg.mid !== undefined) {
        this.orphanNow(m.node, msg, groups, now);
        gs = this.groupsNotGiven(m.node, msg, groups); // served here: the peer, back, must not serve them again
      }
      const frame = gs.length
        ? encodeMessage(F.Forward, msg, now, gs)
        : (plain ??= encodeMessage(F.Forward, msg, now));
      this.sendReliable(m, frame, msg, gs);
      this.stats.forwardedOut++;
      n++;
    }
    return n;
  }

  /**
   * A QoS 1/2 message not forwarded to peers whose routes we do not know: kept for them (Member.stale).
   * Without this, a subscription made on the other side of a split lost what was published here until
   * the link and its routes were back, acknowledged all the same.
   */
  private holdForStale(msg: Message, targets: Map<string, string[]> | null): void {
    if (!this.routesKnown) return; // parked instead, for every peer (routesLearned)
    for (const m of this.members.values()) {
      const st = m.stale;
      if (!st || m.state === 'left' || m.state === 'stopped' || targets?.has(m.node)) continue;
      if (st.length >= this.config.forwardBuffer) {
        settle(st.shift()!);
        this.broker.countDropped('peer-unreachable', 1);
      }
      const x: Stale = { msg };
      // Back but its table not in yet: the acknowledgement waits for it, as for any running peer.
      if (this.tracking && m.state === 'running') {
        this.tracking.pending++;
        x.tracker = this.tracking;
      }
      st.push(x);
    }
  }

  /** The peer's full route table is in: what we kept for it goes now if the table matches it (acknowledgements follow). */
  private releaseStale(m: Member): void {
    const st = m.stale;
    if (!st) return;
    m.stale = null;
    const now = this.now();
    let n = 0;
    for (const x of st) {
      if (this.routes.match(x.msg.topic).some((e) => e.nodes.has(m.node))) {
        this.tracking = x.tracker ?? null;
        try {
          this.sendReliable(m, encodeMessage(F.Forward, x.msg, now), x.msg);
        } finally {
          this.tracking = null;
        }
        this.stats.forwardedOut++;
        n++;
      }
      settle(x);
    }
    if (n) this.emit('stale.released', { peer: m.node, messages: n });
  }

  /**
   * Peers that came back empty while we hold replicas of their sessions (client id -> the claim's time):
   * their routes went with their old life, and until a new claim re-owns our replica (the backup's restore,
   * or the client connecting again) no route leads to those sessions.
   */
  private restarted = new Map<string, Map<string, number>>();

  /** A message those sessions are owed goes to them as an orphan (our replicas, the backup), not to no one. */
  private orphanForRestarted(msg: Message, targets: Map<string, string[]> | null, now: number): void {
    const served = new Set<string>();
    for (const gs of targets?.values() ?? []) for (const g of gs) served.add(g);
    for (const [owner, lost] of [...this.restarted]) {
      const owed = this.replicator.owedByReplicas(owner, lost, msg, served);
      if (!owed) this.restarted.delete(owner);
      else if (owed.plain || owed.groups.length) this.orphanNow(owner, msg, owed.groups, now);
    }
  }

  /** A message for a node that is down: into our replicas of its sessions, and to its backup. */
  private orphanNow(owner: string, msg: Message, groups: string[], now: number): void {
    const w = [toOrphanWire(msg, groups, now)];
    this.replicator.orphans(owner, w);
    const backup = this.backupOf(owner);
    const b = backup === this.node ? undefined : this.members.get(backup);
    if (b && b.state === 'running') this.sendReliable(b, encodeJson(F.Orphan, { owner, msgs: w }));
  }

  /** Nodes with a matching route, each with the share groups it serves the message to. */
  private targetsOf(msg: Message): Map<string, string[]> | null {
    const entries = this.routes.match(msg.topic);
    let targets: Map<string, string[]> | null = null;
    for (const e of entries) {
      for (const n of e.nodes) {
        targets ??= new Map();
        if (!targets.has(n)) targets.set(n, []);
      }
      if (e.groups) {
        for (const [g, nodes] of e.groups) {
          const key = `$share/${g}/${e.filter}`;
          const n = this.pickNode(key, nodes);
          targets ??= new Map();
          const gs = targets.get(n);
          if (gs) gs.push(key);
          else targets.set(n, [key]);
        }
      }
    }
    return targets;
  }

  /** Whether this node has learned the cluster's routes since it started (or joined). */
  private routesKnown: boolean;
  /** Nodes whose full route table came from themselves since we started. */
  private routesFrom = new Set<string>();
  /** QoS 1/2 publishes accepted before that, their acknowledgements held. */
  private parked: { msg: Message; tracker: Tracker }[] = [];

  /**
   * The first full route table from a peer: publishes parked before it go to
   * the remote subscribers it names (local ones had them at once), and their
   * publishers' acknowledgements follow those forwards.
   */
  private routesLearned(): void {
    this.routesKnown = true;
    const parked = this.parked;
    this.parked = [];
    if (parked.length) this.emit('parked.released', { messages: parked.length });
    const now = this.now();
    for (const p of parked) {
      const targets = this.targetsOf(p.msg);
      this.tracking = p.tracker;
      try {
        if (targets)
          for (const [node, groups] of targets) {
            const m = node === this.node ? undefined : this.members.get(node);
            if (!m || m.state === 'left' || m.state === 'stopped') continue;
            this.sendReliable(
              m,
              groups.length
                ? encodeMessage(F.Forward, p.msg, now, groups)
                : encodeMessage(F.Forward, p.msg, now),
              p.msg,
              groups,
            );
            this.stats.forwardedOut++;
          }
      } finally {
        this.tracking = null;
      }
      if (--p.tracker.pending === 0) p.tracker.done?.();
    }
  }

  /** Round robin over the nodes serving a share group, in name order (deterministic). */
  private pickNode(key: string, nodes: Set<string>): string {
    const list = [...nodes].filter((n) => n === this.node || this.members.get(n)?.state === 'running').sort();
    const pool = list.length ? list : [...nodes].sort();
    const i = this.rr.get(key) ?? 0;
    this.rr.set(key, i + 1);
    return pool[i % pool.length];
  }

  // ---- retained ---------------------------------------------------------------

  /**
   * A retained publish (or clear) on this node goes to every running node, reliably: its publisher's
   * acknowledgement (ack mode 'replicated') waits until they hold it, so a set or clear acknowledged
   * before another begins is older than it everywhere. Nodes cut off get it from the link-up resync.
   * A node we do not forward it to may still have subscribers we do not know of yet (their route is
   * in flight): the flag tells it to serve them, which closes the publish-then-subscribe race that
   * loses retained messages in VerneMQ (#2251).
   */
  private replicateRetained(msg: Message, targets: Map<string, string[]> | null, now: number): void {
    const deleted = msg.payload.length === 0;
    const v = this.retainedReplicas.local(msg);
    let fwd: Buffer | null = null;
    let notFwd: Buffer | null = null;
    for (const m of this.members.values()) {
      if (m.state !== 'running') continue;
      const nf = !deleted && !targets?.has(m.node);
      this.sendReliable(
        m,
        nf
          ? (notFwd ??= encodeRetain(msg, v, now, false, true))
          : (fwd ??= encodeRetain(msg, v, now, deleted, false)),
      );
    }
  }

  // ---- client registry and session handoff --------------------------------------

  /** This node holds the session of `s.clientId` (a client connected, or a session failed over here): say so. */
  claim(s: Session): void {
    const live = s.conn !== null;
    // A claim we already heard of was made before this connect, whatever the clocks say (they differ
    // between nodes by a millisecond or more): ours must order after it, or neither node gives way.
    const known = this.registry.get(s.clientId);
    if (live && known && known.node !== this.node && known.at >= s.connectedAt) s.connectedAt = known.at + 1;
    // The session is here again: what followed it elsewhere stops (a follow must never point back at us).
    this.unfollow(s.clientId);
    this.registry.set(s.clientId, { node: this.node, at: s.connectedAt, live });
    this.broadcast(
      encodeJson(F.Register, { clientId: s.clientId, at: s.connectedAt, node: this.node, live }),
    );
  }

  /** Whether the client connected again (anywhere) after `at`. */
  claimedSince(clientId: string, at: number): boolean {
    const r = this.registry.get(clientId);
    return !!r && r.at > at;
  }

  private onRegister(clientId: string, node: string, at: number, live: boolean): void {
    const s = this.broker.sessions.get(clientId);
    if (s) {
      // Live beats offline, then the newer connect, then the node name: every node decides alike.
      const mine = s.conn !== null;
      const theirsWins = live !== mine ? live : at !== s.connectedAt ? at > s.connectedAt : node > this.node;
      if (!theirsWins) return;
      // The old connection's close claims the session as offline here: the winner's claim goes in after it,
      // or a later connect here would not order itself after that claim.
      if (s.conn) this.broker.takenOver(s);
      this.registry.set(clientId, { node, at, live });
      // The session may have ended with its connection (Session Expiry 0).
      if (this.broker.sessions.get(clientId) === s) this.handOff(s, node);
      return;
    }
    const cur = this.registry.get(clientId);
    if (!cur || live || !cur.live) this.registry.set(clientId, { node, at, live });
    if (live) this.replicator.claimedElsewhere(clientId, node);
  }

  private handOff(s: Session, node: string): void {
    const m = this.members.get(node);
    if (!m) return;
    const now = this.now();
    const body: HandoffBody = {
      clientId: s.clientId,
      expiry: s.expiryInterval,
      subs: [...s.subscriptions.values()].map((x) => ({
        key: x.raw,
        qos: x.qos,
        nl: x.noLocal,
        rap: x.retainAsPublished,
        rh: x.retainHandling,
        subId: x.subId,
      })),
      msgs: s.pending().map((d) => toWire(d.msg, now, d.qos)),
      seen: s.seen ? [...s.seen] : undefined,
      in2: s.inboundQos2.size ? [...s.inboundQos2] : undefined,
    };
    // Another user connecting with this client id starts afresh there, even without a replica to tell it whose it was.
    if (s.owner !== undefined) body.user = s.owner;
    this.stats.handoffsOut++;
    this.followMoved(s, node, now);
    // Our routes for its filters stay up a while: a publisher that has not learned the new owner's
    // route yet still forwards here (and we pass it on) instead of to no one.
    for (const f of this.moved.get(s.clientId)!.filters)
      if (!this.lingering.has(f)) this.lingering.set(f, now + this.config.heartbeatTimeoutMs);
    this.sendReliable(m, encodeJson(F.Handoff, body));
    this.emit('handoff.out', { clientId: s.clientId, to: node, msgs: body.msgs.length });
    this.broker.dropSession(s);
    this.replicator.ended(s.clientId);
  }

  /** Route keys of sessions handed off from here, still advertised until the time given. */
  private lingering = new Map<string, number>();
  /** Sessions handed off from here: forwards still on their way to us follow them, until `until`. */
  private moved = new Map<string, { node: string; filters: string[]; until: number }>();
  /** Their plain subscriptions by filter (client id -> QoS): a forward finds them by topic, not by a scan. */
  private movedSubs = new TopicTrie<Map<string, QoS>>();
  private movedScratch: Map<string, QoS>[] = [];
  /**
   * Sessions here that took over a session handed off by a peer, by peer (the latest handoff from it): what
   * that peer passes on afterwards (F.Moved) is theirs. A session that started afresh with the same client id
   * (Clean Start, another user) or replaced the one that took it over gets none of it.
   */
  private heirs = new WeakMap<Session, Set<string>>();

  private followMoved(s: Session, node: string, now: number): void {
    this.unfollow(s.clientId);
    const filters: string[] = [];
    for (const x of s.subscriptions.values()) {
      if (x.raw.startsWith('$share/') || x.raw.startsWith('$queue/')) continue;
      filters.push(x.raw);
      this.movedSubs.getOrCreate(x.raw, () => new Map()).set(s.clientId, x.qos);
    }
    // Kept without filters too: a handoff still on its way here follows the session.
    this.moved.set(s.clientId, { node, filters, until: now + MOVED_FOLLOW_MS });
  }

  /** The node a session handed off from here went to, if it left recently and is not back. */
  private movedTo(clientId: string): Member | undefined {
    const e = this.moved.get(clientId);
    if (!e || this.now() > e.until || this.broker.sessions.has(clientId)) return undefined;
    return this.members.get(e.node);
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

  /**
   * A forward that arrived after the session it was meant for moved on (the
   * sender routed it before it learned of the move): pass it to the new owner,
   * whose session drops it if it already has it (message ids).
   */
  private forwardMoved(msg: Message, skip?: Map<string, string[]>): void {
    const now = this.now();
    const matched = this.movedSubs.match(msg.topic, this.movedScratch);
    const dqs = new Map<string, number>();
    for (const subs of matched)
      for (const [clientId, qos] of subs)
        dqs.set(clientId, Math.max(dqs.get(clientId) ?? -1, Math.min(qos, msg.qos)));
    matched.length = 0;
    for (const [clientId, dq] of dqs) {
      const e = this.moved.get(clientId)!;
      if (now > e.until || this.broker.sessions.has(clientId)) {
        this.unfollow(clientId);
        continue;
      }
      const m = skip?.has(e.node) ? undefined : this.members.get(e.node);
      if (m) this.sendReliable(m, encodeRMsg(clientId, dq as QoS, msg, now, F.Moved), msg);
    }
  }

  /** Share-group forwards a member here was given (mid -> group keys), the latest `forwardBuffer` of them. */
  private servedShared = new Map<string, string[]>();

  private noteServed(msg: Message, groups: string[]): void {
    if (msg.mid !== undefined)
      this.servedGroups(
        msg.mid,
        groups.filter((g) => this.broker.router.servesGroup(g)),
      );
  }

  /** Share groups a member here was given `mid` for: a forward served here, or an orphan given to a session here. */
  servedGroups(mid: string, groups: string[]): void {
    if (!groups.length) return;
    this.servedShared.set(mid, [...(this.servedShared.get(mid) ?? []), ...groups]);
    if (this.servedShared.size > this.config.forwardBuffer)
      this.servedShared.delete(this.servedShared.keys().next().value!);
  }

  /** A handed-over message owed only through a share group that a member here was already given it for. */
  private servedHere(w: WireMessage, subs: HandoffBody['subs']): boolean {
    const gs = w.mid === undefined ? undefined : this.servedShared.get(w.mid);
    if (!gs) return false;
    const plain = subs.some((x) => !x.key.startsWith('$share/') && matches(x.key, w.topic));
    return !plain && subs.some((x) => gs.includes(x.key));
  }

  private onHandoff(from: string, h: HandoffBody): void {
    this.stats.handoffsIn++;
    const now = this.now();
    const s = this.broker.sessions.get(h.clientId);
    this.emit('handoff.in', { clientId: h.clientId, from, msgs: h.msgs.length });
    const next = s ? undefined : this.movedTo(h.clientId);
    if (next) {
      // The session moved on from here before this handoff arrived (a takeover race): it follows.
      this.sendReliable(next, encodeJson(F.Handoff, h));
      this.emit('handoff.follow', { clientId: h.clientId, to: next.node, msgs: h.msgs.length });
      return;
    }
    if (!s || s.expiryInterval === 0 || s.cleanStarted || (h.user !== undefined && h.user !== s.owner)) {
      // The client started clean here (or is gone): nothing to resume; the owed messages are dropped, counted.
      for (const w of h.msgs) this.broker.countDrop(h.clientId, fromWire(w, now), 'no-session');
      // Nor what still reaches the sender for that session: it stops passing it on, and what is already
      // on its way here is not for the session now here.
      if (s) this.heirs.get(s)?.delete(from);
      this.sendReliableTo(from, encodeJson(F.Refused, { clientId: h.clientId }));
      return;
    }
    let took = this.heirs.get(s);
    if (!took) this.heirs.set(s, (took = new Set()));
    took.add(from);
    // A share-group forward the peer failed over to this session while we served it to a member here
    // (we were paused or cut off, not down): the group had it.
    this.broker.adoptSession(
      s,
      h.subs,
      h.msgs
        .filter((w) => !this.servedHere(w, h.subs))
        .map((w) => ({ msg: fromWire(w, now), qos: (w.dq ?? w.qos) as 0 | 1 | 2 })),
    );
    if (h.seen) {
      // What it still owed is in its seen set too, and not done: dropping those from what we hold would lose them.
      const owed = new Set(h.msgs.map((w) => w.mid));
      s.knownDone(h.seen.filter((mid) => !owed.has(mid)));
    }
    if (h.in2) for (const p of h.in2) s.addInboundQos2(p);
  }

  // ---- membership commands ----------------------------------------------------

  /** `cluster join`: contact a node of an existing cluster (manual discovery). */
  join(node: string, address: string): void {
    if (this.selfState === 'left' || this.everUp.size === 0) {
      // Never part of a cluster since it started (or it left one): discard what this node holds of
      // cluster data (other nodes' routes, session replicas, retained messages) and take the
      // cluster's instead. A member that lost its peers for a while (DNS discovery joining a new
      // pod meanwhile) keeps its data.
      for (const n of this.routes.nodes()) if (n !== this.node) this.routes.purge(n);
      this.replicator.replicas.clear();
      this.broker.retained.clear();
      this.retainedReplicas.clear();
      this.routesKnown = false;
      this.selfState = 'running';
      this.emit('join.wiped', {});
    }
    const m = this.addMember(node, address);
    if (m.state === 'left' || m.state === 'stopped') m.state = 'unreachable';
    this.dial(m);
  }

  /** `cluster leave`: tell everyone, drop cluster data, stop dialing. */
  leave(): void {
    this.broadcast(encodeJson(F.Leave, { node: this.node }));
    this.leaveLocal();
  }

  /** This node's own membership: 'left' after leave or being forced out, 'stopped' after stop(). */
  private selfState: NodeState = 'running';

  private leaveLocal(): void {
    this.selfState = 'left';
    for (const m of this.members.values()) {
      m.state = 'left';
      m.link?.close();
      this.routes.purge(m.node);
    }
    this.members.clear();
    this.emit('left', {});
  }

  /** `cluster force-leave NODE`: remove a (usually dead) node from the cluster. */
  forceLeave(node: string): boolean {
    const m = this.members.get(node);
    if (!m) return false;
    this.broadcast(encodeJson(F.Leave, { node, by: this.node }));
    this.forget(node);
    return true;
  }

  private forget(node: string): void {
    const m = this.members.get(node);
    if (!m) return;
    m.state = 'left';
    m.link?.close();
    this.dropUnacked(m);
    this.dropStale(m);
    this.routes.purge(node);
    for (const [id, r] of this.registry) if (r.node === node) this.registry.delete(id);
    this.emit('member.left', { peer: node });
  }

  status(): { node: string; state: NodeState; address: string }[] {
    const out: { node: string; state: NodeState; address: string }[] = [
      { node: this.node, state: this.selfState, address: this.config.address },
    ];
    for (const m of this.members.values()) out.push({ node: m.node, state: m.state, address: m.address });
    return out.sort((a, b) => (a.node < b.node ? -1 : 1));
  }

  /**
   * Reliable frames (replication, forwards, handoffs) running peers have not
   * confirmed yet; batched replication acknowledgements are sent first. A
   * graceful stop waits for 0 so the peers hold every session's latest state.
   */
  unconfirmedFrames(): number {
    this.replicator.flush();
    let n = 0;
    for (const m of this.members.values()) if (m.state === 'running') n += m.unacked.length;
    return n;
  }

  stop(): void {
    this.stopped = true;
    this.selfState = 'stopped';
    this.timer?.cancel();
    for (const m of this.members.values()) m.link?.close();
  }
}

/** Compares without stopping at the first difference (the MAC check must not leak how much matched). */
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}
