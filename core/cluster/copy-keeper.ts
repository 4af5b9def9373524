// What a peer made this node keep of a session whose replica here follows another owner: the state and
// messages of its failed-over copy (it took the owner for lost in a cut we were not part of), and the
// orphans it sent us for that owner's sessions. The replica ignores them (it follows the live owner), yet
// the peer acknowledged them to their publishers once we confirmed them (failover.ts): if the peer is lost
// before its copy or its resends reach the owner, we hand what we kept to the session (at the replica's
// owner, here, or into the replica of an owner that is down too), so nothing acknowledged dies with it.
// What the owner holds since (it replicated the message) or completed goes from here. Forwards we sent the
// peer for such a copy that it never confirmed (or sent it since it was lost: a share group picked it, its
// route to the copy still in our table) are its orphans: they go that way too, not to no one.

import type { Message, QoS } from '../message.ts';
import type { SubSpec } from '../subscription.ts';
import type { ClusterEvent } from './events.ts';
import type { LocalNode } from './local-node.ts';
import { F, encodeJson, toWire, type HandoffBody, type RMsgBody, type RStateBody } from './peer-protocol.ts';
import type { WireMessage } from './peer-protocol.ts';
import type { Replica } from './replica.ts';

export interface KeeperLinks {
  isRunning(node: string): boolean;
  sendReliableTo(node: string, frame: Buffer): void;
  emit(e: ClusterEvent): void;
}

interface Kept {
  user?: string;
  /** The copy's subscriptions, as its holder stated them. */
  subs?: SubSpec[];
  msgs: Map<string, { msg: Message; qos: QoS }>;
}

/** What we kept goes into the replica: what it has or the client completed stays out. */
function intoReplica(r: Replica, k: Kept): void {
  for (const [mid, e] of k.msgs) if (!r.msgs.has(mid) && !r.done.has(mid)) r.msgs.set(mid, e);
}

export class CopyKeeper {
  /** Holder (the peer whose copy or orphans these are) -> client id -> what it made us keep. */
  private held = new Map<string, Map<string, Kept>>();
  /** Holders lost (until they are back) -> the copies they held then: their orphans go to those sessions. */
  private gone = new Map<string, Map<string, Kept>>();
  /** `holder clientId mid`: a lost holder's message given to the session itself (here or at its owner). */
  private given = new Set<string>();

  constructor(
    private readonly c: KeeperLinks,
    private readonly b: LocalNode,
    private readonly replicas: Map<string, Replica>,
  ) {}

  /** After F.RState from `from`: taken by the replica (it follows `from` now), or kept beside it. */
  state(from: string, st: RStateBody): void {
    if (this.replicas.get(st.clientId)?.owner === from) return this.forget(from, st.clientId);
    const k = this.of(from, st.clientId);
    k.user = st.user;
    k.subs = st.subs;
  }

  /** F.RMsg: a message of a copy we keep; or the replica's owner holds it now (nobody needs ours). */
  msg(from: string, m: RMsgBody): void {
    const mid = m.msg.mid;
    if (this.held.size === 0 || mid === undefined) return;
    const k = this.held.get(from)?.get(m.clientId);
    const r = this.replicas.get(m.clientId);
    // Not one the client completed (a copy made from a replica that missed the owner's acknowledgements).
    if (k && !r?.done.has(mid)) k.msgs.set(mid, { msg: m.msg, qos: m.dq });
    else if (!k && r?.owner === from) this.done(m.clientId, [mid]);
  }

  /** F.Orphan from `from` for `owner`'s sessions, put into our replicas of them (`owner` runs: it does not get them). */
  orphans(from: string, owner: string, msgs: WireMessage[]): void {
    if (from === owner || !this.c.isRunning(owner)) return;
    for (const r of this.replicas.values()) {
      if (r.owner !== owner) continue;
      for (const w of msgs) {
        const e = w.mid === undefined ? undefined : r.msgs.get(w.mid);
        if (e) this.of(from, r.clientId, r.user).msgs.set(w.mid!, e);
      }
    }
  }

  /** F.REnd: `holder` holds that session no more (handed back, ended): neither its copy nor its orphans are owed. */
  ended(holder: string, clientId: string): void {
    this.forget(holder, clientId);
  }

  /** The client completed these (F.RDone from any node). */
  done(clientId: string, mids: string[]): void {
    for (const recs of this.held.values()) {
      const k = recs.get(clientId);
      if (k) for (const mid of mids) k.msgs.delete(mid);
    }
  }

  /** `holder` is lost (or restarted): what it made us keep goes to the session, wherever it is. */
  lost(holder: string): void {
    const recs = this.held.get(holder);
    if (!recs) return void this.gone.delete(holder);
    this.held.delete(holder);
    this.gone.set(holder, recs);
    for (const [clientId, k] of recs) if (k.msgs.size) this.give(holder, clientId, k);
  }

  /** `holder` is back: the copies it holds are its to serve (what it never confirmed goes to it again). */
  back(holder: string): void {
    this.gone.delete(holder);
    for (const k of this.given) if (k.startsWith(`${holder} `)) this.given.delete(k);
  }

  /**
   * Whether `holder`'s message `mid` went to the session of `clientId` itself, not only into a replica: the
   * holder, back, does not serve its share group again (failover.ts).
   */
  handed(holder: string, clientId: string, mid: string): boolean {
    return this.given.has(`${holder} ${clientId} ${mid}`);
  }

  /**
   * Orphans of a lost `holder`: to each session it held a copy of, those `owed` says it is owed through its
   * share groups (as the holder stated them; one member each), in one handoff wherever the session is.
   */
  holderOrphans(
    holder: string,
    msgs: Message[],
    owed: (clientId: string, subs: SubSpec[], i: number) => QoS | null,
  ): void {
    const recs = this.gone.get(holder);
    if (!recs) return;
    for (const [clientId, k] of recs) {
      // Share groups only: a plain subscription has its route at the session's owner too, which got its own forward.
      const subs = (k.subs ?? this.replicas.get(clientId)?.subs)?.filter((x) => x.key.startsWith('$share/'));
      const got: Kept = { user: k.user, msgs: new Map() };
      msgs.forEach((msg, i) => {
        const qos = subs && msg.mid !== undefined ? owed(clientId, subs, i) : null;
        if (qos !== null) got.msgs.set(msg.mid!, { msg, qos });
      });
      if (got.msgs.size) this.give(holder, clientId, got);
    }
  }

  private give(holder: string, clientId: string, k: Kept): void {
    const owed = [...k.msgs.values()].map((e) => ({ msg: e.msg, qos: e.qos }));
    const handed = (): void => k.msgs.forEach((_e, mid) => this.given.add(`${holder} ${clientId} ${mid}`));
    const s = this.b.sessions.get(clientId);
    if (s) {
      // Not to a session started afresh, nor to another user's (a handoff would be refused alike).
      if (s.expiryInterval > 0 && !s.cleanStarted && (k.user === undefined || k.user === s.owner)) {
        this.b.adoptSession(s, [], owed);
        handed();
      }
      return;
    }
    const r = this.replicas.get(clientId);
    if (!r || r.owner === holder) return;
    if (r.old) {
      // The owner restarted since (its new life has no such session): the holder's copy was the session.
      // The replica follows the holder now, with what we kept, and fails over with its sessions.
      r.owner = holder;
      r.old = false;
      return intoReplica(r, k);
    }
    // Its owner is down too: they go with the replica when it fails over.
    if (!this.c.isRunning(r.owner)) return intoReplica(r, k);
    const now = this.b.env.clock.now();
    const body: HandoffBody = {
      clientId,
      subs: [],
      expiry: r.expiry,
      msgs: owed.map((o) => toWire(o.msg, now, o.qos)),
      via: [holder], // the holder's copy, as far as it reached us
    };
    if (k.user !== undefined) body.user = k.user;
    this.c.sendReliableTo(r.owner, encodeJson(F.Handoff, body));
    handed();
    this.c.emit({ type: 'replica.handed', clientId, to: r.owner, msgs: body.msgs.length });
  }

  private of(holder: string, clientId: string, user?: string): Kept {
    let recs = this.held.get(holder);
    if (!recs) this.held.set(holder, (recs = new Map()));
    let k = recs.get(clientId);
    if (!k) recs.set(clientId, (k = { user, msgs: new Map() }));
    return k;
  }

  private forget(holder: string, clientId: string): void {
    const recs = this.held.get(holder);
    if (recs?.delete(clientId) && recs.size === 0) this.held.delete(holder);
  }
}
