// Core and replicant nodes (EMQX 5's Mria roles). Cores form the full mesh and own the membership, as a
// cluster of cores always did. A replicant (cluster.role 'replicant') dials the cores only (its seeds); the
// cores never dial it and leave it out of their netsplit, backup and member decisions (membership.ts), so
// replicants come and go without a core's view of the cores changing. What other replicants need of a
// replicant, the cores pass on:
//
// - its routes: a core relays each change (and, at a link-up, every table it holds) to the other replicants,
//   which keep, per origin, the union of what the running cores told them (a core lost takes its view along);
// - its claims and retained messages: relayed as they are (claims are best effort, retained reliable);
// - its forwards to other replicants: sent (F.Relay with the targets) to two cores, each of which forwards
//   as if the message were published there (orphans for a target that is down included); the receiving
//   replicant drops the second copy by message id. Two paths: a core that dies between confirming the
//   relay and delivering it loses nothing acknowledged (the other path carries it), and per-publisher order
//   holds (each path is in order; the first copy of a message always follows the first copy of the one before);
// - point-to-point frames (a handoff when a client moves between replicants): through one core.
//
// Persistent sessions of a replicant's clients are replicated to every core (the replicant's members) and
// none to replicants: a replicant holds no one else's state, and when it crashes the cores' backup turns its
// sessions into offline sessions there; the client, reconnecting on another replicant, gets it handed over.

import { RecentSet } from '../recent-set.ts';
import type { Message } from '../message.ts';
import type { Member } from './member.ts';
import type { Membership } from './membership.ts';
import type { PeerLink } from './peer-link.ts';
import type { RouteTable } from './route-table.ts';
import {
  F,
  encodeJson,
  encodeMessage,
  encodeRelay,
  encodeRetain,
  type Frame,
  type RegisterBody,
  type RelayHeader,
  type RetainVersion,
  type RoutesBody,
} from './peer-protocol.ts';

/** What the relay needs of the cluster (cluster.ts wires it). */
export interface RelayLinks {
  readonly membership: Membership;
  readonly table: RouteTable;
  /** Reliable frames to a member. */
  sendReliable(m: Member, frame: Buffer): void;
  /** A core forwards a relayed message to `node` as if published here (forwarding.ts forwardTo). */
  forwardTo(node: string, groups: string[], msg: Message, now: number): boolean;
  /** A replicant handles a frame a core passed on from `from`, as if `from` had sent it. */
  dispatch(from: string, f: Frame): void;
  countDropped(reason: string, n: number): void;
  now(): number;
}

/** Relayed forwards a replicant remembers by message id (the second path's copy is dropped). */
const SEEN_FORWARDS = 65_536;

export class Replicants {
  /** Replicant side: relayed routes, origin -> core -> its keys as that core told them. */
  private views = new Map<string, Map<string, Set<string>>>();
  private seen = new RecentSet<string>(SEEN_FORWARDS);
  /**
   * A replicant is lost: the clients of its sessions may have connected on another replicant before the cores
   * noticed (that one had no replica to resume from). Their replicas go there, not into offline sessions here.
   */
  lost(
    owner: string,
    replicaClaims: Map<string, number>,
    liveClaim: (clientId: string) => { node: string; at: number } | undefined,
    handTo: (clientId: string, node: string) => void,
  ): void {
    const ms = this.c.membership;
    if (this.self || !ms.replicants.has(owner)) return;
    for (const [clientId, at] of replicaClaims) {
      const live = liveClaim(clientId);
      if (live && live.at > at && live.node !== owner && ms.isRunning(live.node)) handTo(clientId, live.node);
    }
  }

  /** Counters (cluster status): relays sent by a replicant, passed on by a core, copies dropped. */
  readonly stats = { relayedOut: 0, relayedOn: 0, duplicatesDropped: 0 };

  constructor(
    /** This node is a replicant. */
    readonly self: boolean,
    private readonly c: RelayLinks,
  ) {
    c.membership.selfReplicant = self;
  }

  private get node(): string {
    return this.c.membership.node;
  }

  /** A link finished its handshake: a replicant peer is known as one before the resyncs run. */
  linkUp(l: PeerLink): void {
    if (l.peerReplicant) this.c.membership.replicants.add(l.peer);
    else this.coreUp(l.peer);
  }

  /** Whether frames of session replication go to `m` (a core replicates to cores only). */
  replicatesTo(m: Member): boolean {
    return !this.c.membership.replicants.has(m.node);
  }

  private otherReplicants(except: string): Member[] {
    const out: Member[] = [];
    for (const n of this.c.membership.replicants) {
      const m = this.c.membership.get(n);
      if (n !== except && m?.state === 'running') out.push(m);
    }
    return out;
  }

  // ---- core side: what a replicant sent, on to the other replicants ---------------------------

  /** F.Routes from `peer`. Returns true when it was a relayed view this replicant took (nothing else to do). */
  routes(peer: string, body: RoutesBody): boolean {
    const ms = this.c.membership;
    if (this.self) {
      if (body.of === undefined || body.of === this.node || ms.members.has(body.of)) return false;
      this.view(peer, body.of, body); // a core's table of another replicant (its link-up resync)
      return true;
    }
    if (body.of !== undefined || !ms.replicants.has(peer)) return false;
    const frame = encodeRelay({ from: peer }, encodeJson(F.Routes, body));
    for (const m of this.otherReplicants(peer)) m.link?.write(frame);
    return false;
  }

  /** A replicant was removed here (autoclean, force-leave): the other replicants drop its routes too. */
  removed(node: string): void {
    if (this.self || !this.c.membership.replicants.has(node)) return;
    const frame = encodeRelay({ from: node }, encodeJson(F.Routes, { full: true, add: [], del: [] }));
    for (const m of this.otherReplicants(node)) m.link?.write(frame);
  }

  /** F.Register from `peer`: a replicant's claim goes to the other replicants. */
  register(peer: string, body: RegisterBody): void {
    if (this.self || !this.c.membership.replicants.has(peer)) return;
    const frame = encodeJson(F.Register, body);
    for (const m of this.otherReplicants(peer)) m.link?.write(frame);
  }

  /** F.Retain from `peer`: a replicant's retained write goes to the other replicants (reliably, versioned). */
  retain(peer: string, msg: Message, v: RetainVersion, deleted: boolean): void {
    if (this.self || !this.c.membership.replicants.has(peer)) return;
    const others = this.otherReplicants(peer);
    if (!others.length) return;
    const frame = encodeRetain(msg, v, this.c.now(), deleted, false);
    for (const m of others) this.c.sendReliable(m, frame);
  }

  /** F.Relay from `peer`: a core passes it on; a replicant handles what a core passed on. */
  onRelay(peer: string, f: Extract<Frame, { type: F.Relay }>): void {
    const { head, inner } = f;
    if (this.self) {
      if (head.to) return; // only cores pass frames on
      if (inner.type === F.Routes) return this.view(peer, head.from, inner.body);
      if (inner.type === F.Forward && this.duplicate(inner.msg)) return;
      return this.c.dispatch(head.from, inner);
    }
    if (!head.to || head.from !== peer) return;
    this.stats.relayedOn++;
    const now = this.c.now();
    if (inner.type === F.Forward) {
      for (const [node, groups] of head.to)
        if (node !== this.node && !this.c.forwardTo(node, groups, inner.msg, now))
          this.c.countDropped('relay-no-member', 1);
      return;
    }
    const framed = Buffer.allocUnsafe(4 + f.raw.length);
    framed.writeUInt32BE(f.raw.length, 0);
    f.raw.copy(framed, 4);
    const out = encodeRelay({ from: head.from }, framed);
    for (const [node] of head.to) {
      const m = this.c.membership.get(node);
      if (m) this.c.sendReliable(m, out);
      else this.c.countDropped('relay-no-member', 1);
    }
  }

  // ---- replicant side ------------------------------------------------------------------------

  /**
   * The cores a replicant sends through: a pair of its own (spreads replicants over cores), the same whatever
   * their state, so every message takes both paths in order (a core cut off keeps them in the reliable channel
   * until it is back). Only with neither of the pair running does a running core carry them too.
   */
  private relayCores(n: number): Member[] {
    const all = [...this.c.membership.members.values()]
      .filter((m) => m.state === 'running' || m.state === 'unreachable')
      .sort((a, b) => (a.node < b.node ? -1 : 1));
    if (all.length <= n) return all;
    let h = 0;
    for (let i = 0; i < this.node.length; i++) h = (h * 31 + this.node.charCodeAt(i)) >>> 0;
    const start = h % all.length;
    const pair = Array.from({ length: n }, (_, i) => all[(start + i) % all.length]);
    if (pair.some((m) => m.state === 'running')) return pair;
    const up = all.find((m) => m.state === 'running');
    return up ? [...pair, up] : pair;
  }

  /** Forwarding.relay: a message for other replicants goes to two cores (one for QoS 0); returns the targets. */
  forward(msg: Message, targets: [string, string[]][], now: number): number {
    const cores = this.relayCores(msg.qos > 0 && msg.mid !== undefined ? 2 : 1);
    if (!cores.length) {
      this.c.countDropped('relay-no-core', targets.length);
      return 0;
    }
    const head: RelayHeader = { from: this.node, to: targets };
    const frame = encodeRelay(head, encodeMessage(F.Forward, msg, now));
    for (const m of cores) this.c.sendReliable(m, frame);
    this.stats.relayedOut++;
    return targets.length;
  }

  /** A frame for `node`, which is not a member: through a core. False when no core is up. */
  sendTo(node: string, frame: Buffer): boolean {
    const [core] = this.relayCores(1);
    if (!core) return false;
    this.c.sendReliable(core, encodeRelay({ from: this.node, to: [[node, []]] }, frame));
    return true;
  }

  /** A forward this replicant already had by the other path. */
  duplicate(msg: Message): boolean {
    if (msg.mid === undefined) return false;
    if (!this.seen.has(msg.mid)) {
      this.seen.add(msg.mid);
      return false;
    }
    this.stats.duplicatesDropped++;
    return true;
  }

  /** A core's word on `origin`'s routes: its view replaced or changed, then the table takes the union. */
  private view(core: string, origin: string, body: RoutesBody): void {
    let byCore = this.views.get(origin);
    if (!byCore) this.views.set(origin, (byCore = new Map()));
    const replace = body.full || body.of !== undefined;
    let keys = byCore.get(core);
    if (replace || !keys) byCore.set(core, (keys = new Set(replace ? body.add : [])));
    if (!replace) {
      for (const k of body.add) keys.add(k);
      for (const k of body.del) keys.delete(k);
    }
    this.union(origin);
  }

  /**
   * The table takes the union of what the running cores told of `origin` (`down`: a core whose link just
   * went). With no core running, the table stays as it was: forwards relayed meanwhile wait in the reliable
   * channel of a core cut off and go when it is back.
   */
  private union(origin: string, down?: string): void {
    const ms = this.c.membership;
    const all = new Set<string>();
    let running = 0;
    for (const [core, keys] of this.views.get(origin) ?? []) {
      if (core === down || !ms.isRunning(core)) continue;
      running++;
      for (const k of keys) all.add(k);
    }
    const anyCore = [...ms.members.values()].some((m) => m.node !== down && m.state === 'running');
    if (!running && !anyCore) return;
    this.c.table.replace(origin, all);
  }

  /** The link to core `core` went down: its view no longer counts (kept: with no core up, the table stays). */
  coreDown(core: string): void {
    if (!this.self) return;
    for (const [origin, byCore] of this.views) if (byCore.has(core)) this.union(origin, core);
  }

  /** The link to core `core` is up: its resync (which follows) tells its view afresh. */
  coreUp(core: string): void {
    if (!this.self) return;
    for (const [origin, byCore] of this.views) if (byCore.delete(core)) this.union(origin, core);
  }
}
