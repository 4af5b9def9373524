// A client session: what outlives a connection when Clean Start is 0
// (subscriptions, QoS 1/2 state in both directions, the offline queue, the
// will). Outbound delivery lives here because it is bounded by session
// state (inflight window, queue limit), not by the socket.

import type { Timer } from './env.ts';
import { isExpired, type QoS } from './message.ts';
import { inFlight, inOriginOrder } from './delivery.ts';
import type { Delivery, DropReason, Inflight, Qos2Step, SessionOutlet, WillState } from './delivery.ts';
import { HeldSends, type Gate } from './held-sends.ts';
import type { RecentSet } from './recent-set.ts';

export type { Delivery, DropReason, Inflight, Qos2Step, SessionOutlet, WillState } from './delivery.ts';

/** A subscription of a session: indexed by the node's subscription index (core/subscription-index.ts). */
export interface Subscription {
  session: Session;
  /** Canonical key: the filter, or `$share/{group}/{filter}` (also for `$queue/{filter}`). */
  raw: string;
  filter: string;
  group?: string;
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subId?: number;
  /** Clustered: when a SUBSCRIBE made it here (route-replication.ts); 0 or absent: older than any forward. */
  epoch?: number;
}

/** What a session reports to whoever keeps the books (broker stats, simulator history). */
export interface SessionSink {
  dropped(session: Session, d: Delivery, reason: DropReason): void;
  sent(session: Session, d: Delivery): void;
  /** The session took responsibility for a message it could not hand over at once (queued or in flight). */
  accepted(session: Session, d: Delivery): void;
  /** A message the session had accepted is done: acknowledged by the client (or sent, QoS 0). */
  done(session: Session, d: Delivery): void;
  /**
   * A message in flight under `pid` was sent (QoS 1/2), or moved to PUBREL, or completed (QoS 2; without `f`:
   * an owed PUBREL taken over): copies of the session (disk, replicas) resend under the same packet id.
   * A gate: the PUBLISH (sent) or PUBREL (released) goes once it opens (core/qos2-guard.ts).
   */
  outbound(session: Session, pid: number, step: Qos2Step, f?: Inflight): Gate | null;
}

export class Session {
  conn: SessionOutlet | null = null;
  // Made on first use: most idle clients never need some of them (an empty Map or Set is ~200 B).
  private subs: Map<string, Subscription> | null = null;
  private inflightMap: Map<number, Inflight> | null = null;
  private in2: Set<number> | null = null;
  /** PUBRELs owed for QoS 2 messages a previous owner sent, whose PUBREC reached it. */
  private rel: Set<number> | null = null;
  /** Packet ids queued messages were sent with before (sentAs): not given to others meanwhile. */
  private reserved: Set<number> | null = null;
  /** QoS 2 PUBLISHes and PUBRELs waiting for their copies (Inflight.held). */
  private sends: HeldSends | null = null;
  private queue: Delivery[] = [];
  private qHead = 0;
  private nextPid = 1;
  /** Inflight entries actually sent on the current connection (what Receive Maximum counts). */
  private outstanding = 0;
  private deferredCount = 0;
  /** Seconds; 0 = ends with the connection. */
  expiryInterval = 0;
  will: WillState | null = null;
  /** User name of the connection that made this session (with authentication on, only it may resume it). */
  owner: string | undefined = undefined;
  /** The last connect asked for (or was given) Clean Start: a handoff of an older session must not be merged in. */
  cleanStarted = false;
  /** Clustered: claimed live with session present 0 (core/cluster/registry.ts: its claims say `fresh`). */
  freshClaim = false;
  willTimer: Timer | null = null;
  expiryTimer: Timer | null = null;
  /** Broker clock when the last connection closed (for expiry accounting). */
  disconnectedAt = 0;
  protocolVersion: 3 | 4 | 5 = 4;
  /** Broker clock at the last CONNECT (orders competing claims on a client id across nodes). */
  connectedAt = 0;
  /** Clustered: ids of messages recently handed to this session, to drop copies arriving by a second path. */
  seen: RecentSet<string> | null = null;
  /** While set, nothing is sent: older messages still being collected go here, ahead of later arrivals. */
  private front: Delivery[] | null = null;
  /** While holding: how many queued messages are older still (restored from a replica before the hold). */
  private older = 0;

  constructor(
    readonly clientId: string,
    private readonly limits: {
      maxInflight: number;
      maxQueued: number;
      dropOldest: boolean;
      queueQos0: boolean;
    },
    private readonly books: SessionSink,
    private readonly clock: { now(): number },
  ) {}

  /** Subscriptions by filter as the client wrote it; change through setSubscription/deleteSubscription. */
  get subscriptions(): ReadonlyMap<string, Subscription> {
    return this.subs ?? NO_SUBSCRIPTIONS;
  }

  setSubscription(key: string, sub: Subscription): void {
    (this.subs ??= new Map()).set(key, sub);
  }
  deleteSubscription(key: string): void {
    this.subs?.delete(key);
  }
  clearSubscriptions(): void {
    this.subs?.clear();
  }

  /** Sent and not yet acknowledged, by packet id. */
  get inflight(): ReadonlyMap<number, Inflight> {
    return this.inflightMap ?? NO_INFLIGHT;
  }

  /** Inbound QoS 2 packet ids between PUBREC and PUBREL [MQTT-4.3.3]; change through addInboundQos2/deleteInboundQos2. */
  get inboundQos2(): ReadonlySet<number> {
    return this.in2 ?? NO_PIDS;
  }

  addInboundQos2(pid: number): void {
    (this.in2 ??= new Set()).add(pid);
  }

  /** False if `pid` was not there. */
  deleteInboundQos2(pid: number): boolean {
    return this.in2 !== null && this.in2.delete(pid);
  }

  get queued(): number {
    return this.queue.length - this.qHead;
  }

  *queuedDeliveries(): IterableIterator<Delivery> {
    for (let i = this.qHead; i < this.queue.length; i++) yield this.queue[i];
  }

  private window(): number {
    const c = this.conn;
    return c ? Math.min(this.limits.maxInflight, c.clientReceiveMaximum) : 0;
  }

  /**
   * The connection PUBLISHes may go to: only once its CONNACK is out [MQTT-3.2.0-1]. Until then
   * (a session resumed, or moved here, while its CONNECT is being answered) everything queues and
   * goes after the CONNACK, each message once, as new.
   */
  private get live(): SessionOutlet | null {
    const c = this.conn;
    return c && c.state === 'connected' ? c : null;
  }

  /** First sight of a message id; a copy of one in flight here under its sentAs, or released, is not. */
  private fresh(d: Delivery): boolean {
    const mid = d.msg.mid;
    const was = d.sentAs === undefined ? undefined : this.inflight.get(d.sentAs);
    if ((was && was.msg.mid === mid) || (d.sentAs !== undefined && this.rel?.has(d.sentAs))) return false;
    if (this.seen === null || mid === undefined) return true;
    return this.seen.insert(mid);
  }

  /**
   * Holds all sending until release(): older messages may still arrive. They go after what is
   * queued now (the session's own older queue) and before anything delivered meanwhile.
   */
  hold(): void {
    if (this.front !== null) return;
    this.front = [];
    this.older = this.queued;
  }

  get holding(): boolean {
    return this.front !== null;
  }

  /** A message older than everything delivered since hold() (collected while holding). */
  deliverFront(d: Delivery): void {
    if (this.front === null) return this.deliver(d);
    if (!this.fresh(d)) return;
    if (d.sentAs !== undefined) (this.reserved ??= new Set()).add(d.sentAs);
    this.front.push(d);
    this.books.accepted(this, d);
  }

  /**
   * Ids of messages this session already had elsewhere (delivered and acknowledged on its previous node):
   * later copies are dropped, and so are the copies it holds but has not sent yet (collected while holding,
   * or queued from a replica that missed the acknowledgements: a takeover right after the client
   * acknowledged them on its old node).
   */
  knownDone(mids: Iterable<string>): void {
    if (this.seen === null) return;
    const done = new Set(mids);
    for (const m of done) if (!this.seen.has(m)) this.seen.add(m);
    const keep = (d: Delivery): boolean => {
      if (d.msg.mid === undefined || !done.has(d.msg.mid)) return true;
      this.books.done(this, d);
      return false;
    };
    if (this.front) this.front = this.front.filter(keep);
    if (this.queued === 0) return;
    const q = this.queue.slice(this.qHead);
    const older = q.slice(0, this.older).filter(keep);
    this.queue = older.concat(q.slice(this.older).filter(keep));
    this.qHead = 0;
    this.older = this.front ? older.length : 0;
  }

  /**
   * Ends a hold: the collected messages go between the older queue and what arrived since. `origin`
   * (where a message entered, and its sequence there) then puts each origin's messages back in
   * sequence, in the places they hold: copies that came by different paths (replica, handoff,
   * peers' unconfirmed forwards) do not arrive in publish order among themselves.
   */
  release(origin?: (d: Delivery) => { from: string; seq: number } | undefined): void {
    const f = this.front;
    if (f === null) return;
    this.front = null;
    const at = this.qHead + this.older;
    this.queue = this.queue.slice(this.qHead, at).concat(f, this.queue.slice(at));
    this.qHead = 0;
    this.older = 0;
    if (origin) inOriginOrder(this.queue, origin);
    this.pump();
  }

  /** Hands one message to this session: sends it now, or queues it. */
  deliver(d: Delivery): void {
    if (!this.fresh(d)) return;
    if (d.sentAs !== undefined) (this.reserved ??= new Set()).add(d.sentAs);
    const c = this.live;
    if (c && this.queued === 0 && this.deferredCount === 0 && this.front === null) {
      if (d.qos === 0) {
        if (c.sendPublish(d, 0, false)) this.books.sent(this, d);
        else this.books.dropped(this, d, 'packet-too-large');
        return;
      }
      if (this.outstanding < this.window()) {
        this.sendNew(c, d);
        return;
      }
    }
    if (!this.conn && d.qos === 0 && !this.limits.queueQos0) {
      this.books.dropped(this, d, 'offline-qos0');
      return;
    }
    this.enqueue(d);
  }

  private enqueue(d: Delivery): void {
    if (this.queued >= this.limits.maxQueued) {
      if (this.limits.dropOldest && this.queued > 0) {
        this.books.dropped(this, this.dequeue()!, 'queue-full');
      } else {
        this.books.dropped(this, d, 'queue-full');
        return;
      }
    }
    this.queue.push(d);
    this.books.accepted(this, d);
  }

  private dequeue(): Delivery | undefined {
    if (this.qHead >= this.queue.length) return undefined;
    const d = this.queue[this.qHead];
    this.queue[this.qHead++] = undefined as unknown as Delivery;
    if (this.older > 0) this.older--; // holding, the queue full: the oldest went
    // Compact now and then so a long-lived queue does not keep a dead prefix.
    if (this.qHead >= 1024 && this.qHead * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
    return d;
  }

  private sendNew(c: SessionOutlet, d: Delivery, fromQueue = false): void {
    // Sent before with this id (its PUBREC never came back): the same id, so the client's exactly-once check holds.
    const id = d.sentAs;
    const again =
      id !== undefined && !!this.reserved?.delete(id) && !this.inflight.has(id) && !this.rel?.has(id);
    const pid = again ? id : this.allocPid();
    const f = inFlight(d);
    // QoS 2 is in flight at once, on the wire once the session's copies hold its packet id (hold2).
    const two = d.qos === 2;
    if (!two && !c.sendPublish(d, pid, again)) return this.books.dropped(this, d, 'packet-too-large'); // [MQTT-3.1.2-25]
    (this.inflightMap ??= new Map()).set(pid, f);
    this.outstanding++;
    if (!two) this.books.sent(this, d);
    if (!fromQueue) this.books.accepted(this, f);
    const gate = this.books.outbound(this, pid, 'sent', f);
    if (two) this.hold2(gate, pid, f, again);
  }

  /** The PUBLISH or PUBREL of `f` goes when `gate` opens (and those held before it went). */
  private hold2(gate: Gate | null, pid: number, f: Inflight, dup: boolean): void {
    f.held = true;
    (this.sends ??= new HeldSends()).add(gate, () => {
      f.held = false;
      const c = this.live;
      // Not owed any more (completed, handed over), or the client is off: resend() on its next connection.
      if (!c || this.inflight.get(pid) !== f) return;
      if (f.state === 'pubrel') return c.sendAck('pubrel', pid, 0);
      if (c.sendPublish(f, pid, dup)) return this.books.sent(this, f);
      this.inflightMap!.delete(pid);
      this.outstanding--;
      this.books.dropped(this, f, 'packet-too-large');
    });
  }

  /** Moves queued messages into the inflight window while it has room. */
  pump(): void {
    const c = this.live;
    if (!c || this.front !== null) return;
    const win = this.window();
    if (this.deferredCount > 0) {
      for (const [pid, f] of this.inflight) {
        if (this.outstanding >= win) return;
        if (!f.deferred) continue;
        f.deferred = false;
        this.deferredCount--;
        this.resendOne(c, pid, f);
      }
    }
    const now = this.clock.now();
    while (this.queued > 0) {
      const head = this.queue[this.qHead];
      if (head.qos > 0 && this.outstanding >= win) return;
      this.dequeue();
      if (isExpired(head.msg, now)) {
        this.books.dropped(this, head, 'expired');
        continue;
      }
      if (head.qos === 0) {
        if (c.sendPublish(head, 0, false)) {
          this.books.sent(this, head);
          this.books.done(this, head);
        } else this.books.dropped(this, head, 'packet-too-large');
      } else this.sendNew(c, head, true);
    }
  }

  /** Restart from the disk: a message that was in flight under `pid` (resent with it, or its PUBREL, on resume). */
  restoreInflight(pid: number, f: Inflight): void {
    (this.inflightMap ??= new Map()).set(pid, f);
  }

  /** On session resume: resend unacknowledged PUBLISH with DUP and pending PUBREL [MQTT-4.4.0-1]. */
  resend(): void {
    const c = this.conn;
    if (!c) return;
    this.outstanding = 0;
    this.deferredCount = 0;
    const win = this.window();
    if (this.rel) for (const pid of this.rel) c.sendAck('pubrel', pid, 0);
    for (const [pid, f] of this.inflight) {
      if (f.held)
        this.outstanding++; // goes when its gate opens (hold2)
      else if (f.state === 'pubrel') {
        c.sendAck('pubrel', pid, 0);
        this.outstanding++;
      } else if (this.outstanding < win) {
        f.deferred = false;
        this.resendOne(c, pid, f);
      } else {
        // The new connection's Receive Maximum may be smaller [MQTT-3.3.4-9].
        f.deferred = true;
        this.deferredCount++;
      }
    }
  }

  private resendOne(c: SessionOutlet, pid: number, f: Inflight): void {
    if (c.sendPublish(f, pid, true)) this.outstanding++;
    else {
      // Too large for this client now: discarded as if delivered [MQTT-3.1.2-25].
      this.inflightMap!.delete(pid);
      this.books.dropped(this, f, 'packet-too-large');
    }
  }

  /** PUBACK (QoS 1) or PUBCOMP (QoS 2) from the client: the message is done. */
  complete(pid: number, expect: 1 | 2): boolean {
    if (expect === 2 && this.rel?.delete(pid)) {
      this.books.outbound(this, pid, 'completed');
      return true;
    }
    const f = this.inflight.get(pid);
    if (!f || f.deferred || f.held || f.qos !== expect || (expect === 2 && f.state !== 'pubrel'))
      return false;
    this.inflightMap!.delete(pid);
    this.outstanding--;
    if (expect === 1) this.books.done(this, f);
    else this.books.outbound(this, pid, 'completed', f);
    this.pump();
    return true;
  }

  /** PUBREC from the client: the PUBREL goes (once the copies know). Returns false for an unknown packet id. */
  received(pid: number, reasonCode: number): boolean {
    const f = this.inflight.get(pid);
    if (!f || f.deferred || f.held || f.qos !== 2) return false;
    if (reasonCode >= 0x80) {
      this.inflightMap!.delete(pid);
      this.outstanding--;
      this.books.done(this, f);
      this.pump();
    } else if (f.state === 'pubrel')
      this.live?.sendAck('pubrel', pid, 0); // a PUBREC again
    else {
      // The client has the message; what remains is the PUBREL/PUBCOMP bookkeeping.
      this.books.done(this, f);
      f.state = 'pubrel';
      this.hold2(this.books.outbound(this, pid, 'released', f), pid, f, false);
    }
    return true;
  }

  /**
   * Everything still owed to the client, in order, for handing the session elsewhere. While holding,
   * what was collected goes in its place (after the older queue): those ids are in `seen`, which goes
   * along with a handoff, so leaving them out would make the next owner drop them as done.
   */
  pending(): Delivery[] {
    const out: Delivery[] = [];
    for (const [pid, f] of this.inflight) {
      // Past PUBREC the client has it: only the PUBREL is owed (releasing()). Sent QoS 2 keeps its id.
      if (f.state === 'publish') out.push(f.qos === 2 ? { ...f, sentAs: pid } : f);
    }
    let i = 0;
    for (const d of this.queuedDeliveries()) {
      if (i++ === this.older && this.front) out.push(...this.front);
      out.push(d);
    }
    if (this.front && i <= this.older) out.push(...this.front);
    return out;
  }

  /** Packet ids whose PUBREL is owed (the client has the message; its PUBCOMP has not come back). */
  releasing(): number[] {
    const out = this.rel ? [...this.rel] : [];
    for (const [pid, f] of this.inflight) if (f.state === 'pubrel') out.push(pid);
    return out;
  }

  /** Restored from a copy whose owner last sent QoS 2 under `last`: new ids start half the id space away, as
   *  that owner may have gone on sending from `last` (in a split) under ids its client still holds. */
  pidsAfter(last: number): void {
    this.nextPid = ((last - 1 + 32768) % 65535) + 1;
  }

  /** A previous owner got the PUBREC of `pid`: the PUBREL is owed here (sent now if the client is on). */
  addReleasing(pid: number): void {
    if (this.inflight.has(pid) || this.rel?.has(pid)) return;
    (this.rel ??= new Set()).add(pid);
    this.live?.sendAck('pubrel', pid, 0);
  }

  /** Forgets all owed messages without reporting them (they were handed to another node). */
  clear(): void {
    this.rel = this.sends = null;
    this.reserved = null;
    if (this.front) this.front = [];
    this.inflightMap?.clear();
    this.queue = [];
    this.qHead = 0;
    this.outstanding = 0;
    this.deferredCount = 0;
  }

  /** Drops all owed messages, reporting each (session ended). */
  discard(reason: DropReason): void {
    for (const f of this.inflight.values()) if (f.state === 'publish') this.books.dropped(this, f, reason);
    for (const d of this.queuedDeliveries()) this.books.dropped(this, d, reason);
    if (this.front) for (const d of this.front.splice(0)) this.books.dropped(this, d, reason);
    this.inflightMap?.clear();
    this.rel = this.reserved = this.sends = null;
    this.queue = [];
    this.qHead = 0;
    this.outstanding = 0;
    this.deferredCount = 0;
  }

  private allocPid(): number {
    for (let tries = 0; tries < 65535; tries++) {
      const pid = this.nextPid;
      this.nextPid = pid === 65535 ? 1 : pid + 1;
      if (!this.inflight.has(pid) && !this.rel?.has(pid) && !this.reserved?.has(pid)) return pid;
    }
    throw new Error('packet identifiers exhausted'); // unreachable: the window is at most 65535
  }
}

const NO_SUBSCRIPTIONS: ReadonlyMap<string, Subscription> = new Map();
const NO_INFLIGHT: ReadonlyMap<number, Inflight> = new Map();
const NO_PIDS: ReadonlySet<number> = new Set();
