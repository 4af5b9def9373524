// The broker: registry of sessions and connections, routing of messages to
// sessions, retained store, wills and session expiry. A pure state machine:
// transports call accept()/receive()/transportClosed(), the clock calls timers.

import { RecentSet } from './recent-set.ts';
import type { ByteSink, Env } from './env.ts';
import { brokerConfig, NEVER_EXPIRE, type BrokerConfig } from './config.ts';
import { guardOutbound } from './qos2-guard.ts';
import { Connection } from './connection.ts';
import {
  newStats,
  type AcceptInfo,
  type BrokerApi,
  type BrokerHooks,
  type BrokerStats,
  type CloseCause,
} from './broker-api.ts';
import type { AckWait, Distribution, Resumed, SplitOp } from './distribution.ts';
import { Journals, type SessionJournal } from './journal.ts';
import { Session, type Delivery, type DropReason, type SessionSink, type Subscription } from './session.ts';
import type { Owed } from './delivery.ts';
import { SubscriptionIndex } from './subscription-index.ts';
import { RetainStore } from './retain-store.ts';
import { isExpired, type Message, type QoS } from './message.ts';
import { RC } from './reason-codes.ts';
import { SysPublisher } from './sys-topics.ts';
import { SessionStore, type LoadedState } from './session-store.ts';
import { restoreLoaded, type RestoreCounts } from './restore.ts';
import { sessionLoads, type SessionLoads } from './session-load.ts';
import { fromSpec, type SubSpec } from './subscription.ts';
import { FlappingDetector, TokenBucket } from './rate-limit.ts';

export { VERSION } from './version.ts';
export type { AcceptInfo, BrokerHooks, BrokerStats } from './broker-api.ts';

export class Broker implements BrokerApi {
  readonly config: BrokerConfig;
  readonly sessions = new Map<string, Session>();
  readonly connections = new Set<Connection>();
  readonly subscriptions: SubscriptionIndex;
  readonly retained = new RetainStore();
  readonly startedAt: number;
  readonly stats: BrokerStats = newStats();
  hooks: BrokerHooks = {};
  /** Set when clustered (see distribute). */
  private distribution: Distribution | null = null;
  readonly journal = new Journals();
  /** Set when the env has storage: persistent sessions and retained messages written to disk. */
  readonly store: SessionStore | null;
  /** Set when the storage is external (shared by nodes): sessions loaded as their clients connect. */
  readonly loads: SessionLoads | null;
  readonly flapping: FlappingDetector | null;
  private connectBuckets = new Map<string, TokenBucket>();
  private idCounter = 0;
  private sys: SysPublisher | null = null;
  private readonly books: SessionSink;
  private readonly deliverTo = (s: Session, d: Delivery): void => s.deliver(d);

  constructor(
    readonly env: Env,
    config?: Partial<BrokerConfig> | BrokerConfig,
  ) {
    this.config = brokerConfig(config);
    this.subscriptions = new SubscriptionIndex(this.config.sharedSubscriptionStrategy, env.random);
    this.startedAt = env.clock.now();
    this.store = env.storage ? new SessionStore(env.storage, env.clock, env.log) : null;
    if (this.store) this.journal.add(this.store);
    this.loads = sessionLoads(env, this.store, this);
    const journal = this.journal;
    this.books = {
      dropped: (s, d, reason) => {
        this.countDrop(s.clientId, d.msg, reason);
        journal.done(s, d);
      },
      sent: (s, d) => this.hooks.onSent?.(s.clientId, d),
      accepted: (s, d) => journal.accepted(s, d),
      done: (s, d) => journal.done(s, d),
      outbound: (s, pid, step, f) => guardOutbound(this, s, pid, step, f),
    };
    this.flapping = this.config.security.flapping.enabled
      ? new FlappingDetector(this.config.security.flapping, env.clock)
      : null;
    if (this.config.sysInterval > 0) this.sys = new SysPublisher(this);
  }

  /** Whether authentication or authorization is on: then sessions belong to the identity that made them. */
  get secured(): boolean {
    return this.env.authenticator !== undefined || this.env.authorizer !== undefined;
  }

  /** Takes a token from the listener's connect-rate bucket; false = over the rate. */
  connectAllowed(listener: string): boolean {
    const rate = this.config.security.maxConnectRate;
    if (rate === 0) return true;
    let b = this.connectBuckets.get(listener);
    if (!b) this.connectBuckets.set(listener, (b = new TokenBucket(rate, rate, this.env.clock)));
    return b.take();
  }

  get connectedCount(): number {
    return this.stats.connectedCount;
  }

  /** A transport accepted a connection. Feed it bytes with `receive`. Without `remote`, sink.peerAddress() gives it when asked. */
  accept(sink: ByteSink, remote?: string, info: AcceptInfo = {}): Connection {
    const c = new Connection(this, sink, remote);
    if (info.listener !== undefined) c.listener = info.listener;
    c.certUser = info.certUser;
    this.connections.add(c);
    return c;
  }

  assignClientId(): string {
    const r = Math.floor(this.env.random.next() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
    return `${this.config.node}-${(++this.idCounter).toString(36)}-${r}`;
  }

  /** The connection `s` is on. Only openSession binds connections to sessions, and only this broker's own. */
  connectionOf(s: Session): Connection | null {
    return s.conn as Connection | null;
  }

  countConnack(rc: number): void {
    if (rc < 0x80) this.stats.connectsAccepted++;
    else this.stats.connectsRejected++;
  }

  countClose(rc: number): void {
    const k = '0x' + rc.toString(16).padStart(2, '0');
    this.stats.closedByReason[k] = (this.stats.closedByReason[k] ?? 0) + 1;
  }

  /**
   * Binds `conn` to the session of `clientId`: takes over a live connection,
   * discards the old session on Clean Start, otherwise resumes it.
   */
  openSession(
    conn: Connection,
    clientId: string,
    clean: boolean,
    expiry: number,
  ): { session: Session; present: boolean } {
    let s = this.sessions.get(clientId);
    if (s?.conn) {
      this.takenOver(s); // schedules the old will per its delay; a resume below cancels it
      s = this.sessions.get(clientId); // gone if its Session Expiry was 0
    }
    if (s && clean) {
      this.endSession(s, 'no-session');
      s = undefined;
    }
    let present = s !== undefined;
    let resumed: Resumed | null = null;
    if (!s && !clean && this.distribution) {
      // Another node owned this session and replicated it here: resume it now.
      resumed = this.distribution.resume(clientId);
      if (resumed) {
        s = resumed.session;
        present = true;
      }
    }
    if (!s) {
      s = this.newSession(clientId);
    } else {
      // A new connection before the will delay elapsed cancels the will [MQTT-3.1.3-9].
      s.willTimer?.cancel();
      s.willTimer = null;
      s.expiryTimer?.cancel();
      s.expiryTimer = null;
    }
    s.expiryInterval = expiry;
    s.cleanStarted = clean;
    s.conn = conn;
    s.connectedAt = this.env.clock.now();
    this.stats.connectedCount++;
    // Claim first: the old owner then hands the session over before it answers the orphan request.
    this.distribution?.claim(s, resumed ?? undefined, !present);
    this.journal.stateChanged(s);
    this.hooks.onConnect?.(clientId, present);
    return { session: s, present };
  }

  private sessionLimits: ConstructorParameters<typeof Session>[1] | null = null;

  private newSession(clientId: string): Session {
    // One limits object for all sessions (the config does not change while running).
    this.sessionLimits ??= {
      maxInflight: this.config.limits.maxInflight,
      maxQueued: this.config.limits.maxQueuedMessages,
      dropOldest: this.config.session.dropPolicy === 'drop-oldest',
      queueQos0: this.config.session.queueQos0,
    };
    const s = new Session(clientId, this.sessionLimits, this.books, this.env.clock);
    if (this.distribution) s.seen = new RecentSet(8192);
    this.sessions.set(clientId, s);
    return s;
  }

  /** Recreates an offline persistent session from replicated state (failover, or resume on another node). */
  restoreSession(clientId: string, expiry: number, at: number, subs: SubSpec[], owed: Owed[]): Session {
    const s = this.newSession(clientId);
    s.expiryInterval = expiry;
    s.connectedAt = at;
    s.disconnectedAt = this.env.clock.now();
    this.adoptSession(s, subs, owed);
    this.startExpiry(s);
    return s;
  }

  private startExpiry(s: Session, delayMs = s.expiryInterval * 1000): void {
    if (s.expiryInterval === NEVER_EXPIRE) return;
    s.expiryTimer = this.env.clock.setTimer(delayMs, () => {
      if (this.sessions.get(s.clientId) === s && !s.conn) {
        this.stats.sessionsExpired++;
        this.endSession(s, 'session-expired');
      }
    });
  }

  connectionClosed(conn: Connection, wasConnected: boolean, cause: CloseCause): void {
    this.connections.delete(conn);
    const s = conn.session;
    if (!wasConnected || !s || s.conn !== conn) return;
    s.conn = null;
    this.stats.connectedCount--;
    s.disconnectedAt = this.env.clock.now();
    this.hooks.onDisconnect?.(s.clientId, cause);
    if (cause === 'client-disconnect' && s.will) {
      s.will = null; // normal DISCONNECT discards the will [MQTT-3.1.2-10]
      this.journal.willChanged(s, true);
    }

    if (s.expiryInterval === 0) return this.endSession(s, 'session-expired');
    this.armWill(s);
    this.startExpiry(s);
    this.distribution?.claim(s);
    this.journal.wentOffline(s);
  }

  /**
   * The client of `s` is gone: its will goes out after the Will Delay, or when the session ends if
   * that is sooner (endSession publishes it then) [MQTT-3.1.2-8, MQTT-3.1.3.2.2]. A new connection
   * cancels it (openSession). Also for a session failed over from a lost node.
   */
  armWill(s: Session): void {
    if (!s.will) return;
    const delay = Math.min(s.will.delay, s.expiryInterval);
    if (delay === 0) this.publishWill(s);
    else s.willTimer = this.env.clock.setTimer(delay * 1000, () => this.publishWill(s));
  }

  /** Removes a session: its subscriptions, owed messages (counted as dropped) and pending will. */
  private endSession(s: Session, reason: DropReason): void {
    if (s.will && !s.conn) this.publishWill(s);
    s.willTimer?.cancel();
    s.expiryTimer?.cancel();
    for (const sub of s.subscriptions.values()) this.subscriptions.remove(sub);
    s.clearSubscriptions();
    const replicated = s.expiryInterval > 0;
    s.expiryInterval = 0; // what is discarded now is not replicated as done, the replica just ends
    s.discard(reason);
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
    this.journal.ended(s.clientId, replicated);
  }

  publishWill(s: Session): void {
    const w = s.will;
    s.will = null;
    s.willTimer?.cancel();
    s.willTimer = null;
    if (!w) return;
    const now = this.env.clock.now();
    const msg: Message = { ...w.msg, receivedAt: now };
    if (w.expirySec !== undefined) msg.expiresAt = now + w.expirySec * 1000;
    this.journal.willChanged(s, true);
    if (w.lostWith !== undefined) this.distribution?.willPublished(s.clientId, w.origin ?? w.lostWith);
    this.publishWillOf(s.clientId, msg);
  }

  /** Publishes a will (also one a crashed peer's client left behind). */
  publishWillOf(clientId: string, msg: Message): void {
    this.stats.willsPublished++;
    this.hooks.onWill?.(clientId, msg);
    this.publish(msg);
  }

  /**
   * Shares this broker's work with other nodes (core/cluster/cluster.ts calls it when it starts):
   * routing and client-id claims go through `d`, and `journal` hears of every persistent session.
   */
  distribute(d: Distribution, journal: SessionJournal): void {
    if (this.distribution) throw new Error('already clustered');
    this.distribution = d;
    this.journal.add(journal, true); // told before the disk: the order the simulator's runs replay in
  }

  get clustered(): boolean {
    return this.distribution !== null;
  }

  priorOwner(clientId: string): { user: string | undefined } | undefined {
    const local = this.sessions.get(clientId);
    if (local) return { user: local.owner };
    return this.distribution?.replicaOwner(clientId);
  }

  redirect = (): string | null => this.distribution?.redirect() ?? null;
  refuses(op: SplitOp): boolean {
    return this.distribution !== null && this.distribution.refuses(op);
  }

  tracked<T>(publish: () => T, all?: boolean): { result: T; tracker: AckWait | null } {
    return this.distribution ? this.distribution.tracked(publish, all) : { result: publish(), tracker: null };
  }

  commit(): boolean {
    return this.store !== null && this.store.commit();
  }

  whenDurable(fn: () => void): void {
    return this.store ? this.store.whenDurable(fn) : fn();
  }

  /** The nodes of the cluster running now, this one included (standalone: none). */
  runningNodes(): string[] {
    return this.distribution ? this.distribution.runningNodes() : [];
  }

  /** Closes the live connection of `s` because the client connected again (here or on another node). */
  takenOver(s: Session): void {
    const old = s.conn;
    if (!old) return;
    this.stats.takeovers++;
    this.countClose(RC.SessionTakenOver);
    old.takenOver();
  }

  assignMid(msg: Message): void {
    if (this.distribution) msg.mid ??= this.distribution.nextMid();
  }

  /** Routes an application message to every matching session (and, clustered, node); returns how many got it. */
  publish(msg: Message): number {
    if (msg.retain && this.config.features.retainAvailable) this.storeRetained(msg);
    // $SYS is this node's own statistics: neither replicated nor forwarded (peers would overwrite each other's).
    if (this.distribution && !msg.topic.startsWith('$SYS/')) {
      msg.mid ??= this.distribution.nextMid();
      return this.distribution.route(msg);
    }
    return this.subscriptions.dispatch(msg, this.deliverTo);
  }

  /** Stores (or clears) a retained message; one that expires is swept when it does, not kept until read. */
  storeRetained(msg: Message): void {
    this.retained.put(msg);
    this.store?.retained(msg);
    if (msg.expiresAt !== undefined && msg.payload.length > 0) {
      this.env.clock.setTimer(Math.max(0, msg.expiresAt - this.env.clock.now()), () =>
        this.retained.sweep(this.env.clock.now()),
      );
    }
  }

  /** Delivers to local sessions only; `groups` are the share groups this node serves for this message. */
  dispatchLocal(msg: Message, groups: ReadonlySet<string>, known?: number): number {
    return this.subscriptions.dispatch(msg, this.deliverTo, groups, known);
  }

  /** A replicated retained message that the publishing node did not forward here: serve subscribers it did not know of. */
  retainedForLateSubscribers(msg: Message): void {
    this.subscriptions.forEachPlain(msg.topic, (sub) => {
      if (sub.retainHandling === 2) return;
      sub.session.deliver({
        msg,
        qos: (msg.qos < sub.qos ? msg.qos : sub.qos) as QoS,
        retain: true,
        subIds: sub.subId ? [sub.subId] : undefined,
      });
    });
  }

  /** A message not delivered to `clientId`, counted by reason and reported to the hooks. */
  countDrop(clientId: string, msg: Message, reason: DropReason): void {
    this.countDropped(reason);
    this.hooks.onDrop?.(clientId, msg, reason);
  }

  /** Counts messages given up, by reason (drops are never silent). */
  countDropped(reason: string, n = 1): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + n;
  }

  /** The will of `s` goes no more from here: published or discarded where its connection was, or moved on. */
  discardWill(s: Session): void {
    if (s.will) {
      s.will = null;
      this.journal.willChanged(s);
    }
    s.willTimer?.cancel();
    s.willTimer = null;
  }

  /** The session moved to another node: forget it here without a will or drops. */
  dropSession(s: Session): void {
    this.discardWill(s);
    s.expiryTimer?.cancel();
    for (const sub of s.subscriptions.values()) this.subscriptions.remove(sub);
    s.clearSubscriptions();
    s.clear();
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
  }

  /** Merges a session handed over from another node into the local one (older than what a held one got since). */
  adoptSession(s: Session, subs: SubSpec[], owed: Owed[]): void {
    for (const x of subs) {
      if (s.subscriptions.has(x.key)) continue;
      const sub = fromSpec(s, x);
      if (sub) this.subscribe(Object.assign(sub, { epoch: 0 }), undefined); // made before, elsewhere
    }
    for (const o of owed) s.deliverFront({ msg: o.msg, qos: o.qos, retain: o.msg.retain, sentAs: o.sentAs });
  }

  subscribe(sub: Subscription, replaced: Subscription | undefined): void {
    // The new one first: it takes the old one's place, so a re-subscribe never withdraws the filter's
    // route (peers that saw the route go and come back dropped what they published in between).
    sub.session.setSubscription(sub.raw, sub);
    this.subscriptions.add(sub);
    if (replaced) this.subscriptions.remove(replaced);
    this.journal.stateChanged(sub.session);
  }

  unsubscribe(sub: Subscription): void {
    this.subscriptions.remove(sub);
    sub.session.deleteSubscription(sub.raw);
    this.journal.stateChanged(sub.session);
  }

  sendRetained(sub: Subscription): void {
    const now = this.env.clock.now();
    for (const m of this.retained.match(sub.filter, now)) {
      if (isExpired(m, now)) continue;
      sub.session.deliver({
        msg: m,
        qos: (m.qos < sub.qos ? m.qos : sub.qos) as 0 | 1 | 2,
        retain: true,
        subIds: sub.subId ? [sub.subId] : undefined,
      });
    }
  }

  /**
   * Rebuilds persistent sessions and retained messages from the store (call once, before the first client
   * connects and before clustering: core/cluster/durable.ts, the restored sessions then rejoin), or, `loaded`,
   * a session an external store gave back. Expiry counts from the last disconnect; what expired is removed.
   */
  restore(loaded?: LoadedState): RestoreCounts {
    const store = this.store;
    const r: RestoreCounts = { sessions: 0, messages: 0, retained: 0, expired: 0 };
    if (!store) return r;
    if (this.distribution && !loaded)
      throw new Error('restore() goes before distribute(): the restored sessions rejoin the cluster');
    const now = this.env.clock.now();
    loaded ??= store.load();
    store.restoring = true;
    try {
      restoreLoaded(store, loaded, now, r, {
        newSession: (clientId) => this.newSession(clientId),
        adoptSession: (x, subs) => this.adoptSession(x, subs, []),
        startExpiry: (x, delayMs) => this.startExpiry(x, delayMs),
        storeRetained: (m) => this.storeRetained(m),
      });
    } finally {
      store.restoring = false;
    }
    store.sync();
    return r;
  }

  /**
   * Closes every client connection: v5 clients get DISCONNECT 0x8B (server
   * shutting down), or 0x9C (use another server) with a Server Reference
   * when one is given. Their sessions stay (offline), so a cluster still
   * replicates them before it stops.
   */
  disconnectAll(serverReference = ''): void {
    const rc = serverReference ? RC.UseAnotherServer : RC.ServerShuttingDown;
    for (const c of [...this.connections])
      c.protocolClose(rc, 'server shutting down', 'shutdown', serverReference || undefined);
    this.store?.sync();
  }

  /** Stop: clients disconnected (see disconnectAll), clustering and $SYS stopped, the store synced. */
  shutdown(serverReference = ''): void {
    this.sys?.stop();
    this.distribution?.stop();
    this.disconnectAll(serverReference);
  }
}
