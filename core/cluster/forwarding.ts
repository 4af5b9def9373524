// Forwarding (EMQX's emqx_broker:route): a message published here goes once to each node with a
// matching route, and each share group is served by one node per message (round robin). A node
// that is unreachable has its share delivered to the sessions failed over from it (orphans); a
// node whose routes we do not know yet (cut off, or back with its table on the way) keeps what it
// may need; a node that started and has not learned the cluster's routes holds its publishers'
// acknowledgements until it has.

import type { Message } from '../message.ts';
import { settle, type AckTracker, type Tracker } from './ack-tracker.ts';
import type { ClusterEvent, ClusterStats } from './events.ts';
import type { LocalNode } from './local-node.ts';
import type { Member, Stale } from './member.ts';
import type { Membership } from './membership.ts';
import {
  F,
  encodeJson,
  encodeMessage,
  encodeRetain,
  restamp,
  toOrphanWire,
  type ForwardFrame,
  type OrphanBody,
  type OrphanGivenBody,
  type WireMessage,
} from './peer-protocol.ts';
import { withGroups } from './reliable-channel.ts';
import type { Registry } from './registry.ts';
import type { RetainedReplicator } from './retained-replication.ts';
import { groupKey, type RouteTable } from './route-table.ts';
import type { ServedShared } from './served-shared.ts';

/** What forwarding needs of the session replicas (core/cluster/session-replication.ts). */
export interface OrphanKeeper {
  /** Messages for sessions of a node that is down: into our replicas of them. */
  orphans(owner: string, msgs: WireMessage[]): void;
  /** Whether a session failed over here from `owner` (`adopted`), or one it held a copy of, got `mid` for `group`. */
  groupGiven(owner: string, mid: string, group: string, adopted?: boolean): boolean;
  /** Our replicas of `owner`'s sessions: client id -> the time of the claim they replicate. */
  replicaClaims(owner: string): Map<string, number>;
  /**
   * What our replicas of `owner`'s sessions in `lost` (still of that claim) are owed of `msg` (their plain
   * subscriptions, their share groups not in `served`); undefined: none is left (each re-owned is dropped).
   */
  owedByReplicas(
    owner: string,
    lost: Map<string, number>,
    msg: Message,
    served: ReadonlySet<string>,
  ): { plain: boolean; groups: string[] } | undefined;
}

export interface ForwardingLinks {
  readonly membership: Membership;
  readonly table: RouteTable;
  readonly acks: AckTracker;
  readonly registry: Registry;
  readonly replicas: OrphanKeeper;
  readonly retained: RetainedReplicator;
  readonly served: ServedShared;
  readonly stats: ClusterStats;
  /** Frames kept per peer whose routes are unknown. */
  readonly forwardBuffer: number;
  now(): number;
  sendReliable(m: Member, frame: Buffer, msg?: Message, groups?: string[]): void;
  /** On a replicant: forwards to nodes that are not members go through the cores; returns how many nodes. */
  relay?: (msg: Message, targets: [string, string[]][], now: number) => number;
  emit(e: ClusterEvent): void;
}

/** The share groups (keys) `targets` serve a message to. */
function groupsIn(targets: Map<string, string[]> | null): Set<string> {
  const out = new Set<string>();
  for (const gs of targets?.values() ?? []) for (const g of gs) out.add(g);
  return out;
}

/** The share groups of a forward that serves none (most): shared, never written to. */
const NO_GROUPS: ReadonlySet<string> = new Set();
/** Topics whose targets are kept between route table changes (then all are dropped). */
const TARGETS_CACHED = 4096;

export class Forwarding {
  /** Whether this node has learned the cluster's routes since it started (or joined). */
  routesKnown: boolean;
  /** QoS 1/2 publishes accepted before that, their acknowledgements held. */
  /** `here`: the share groups it was served to on this node when published (by its members then). */
  private parked: { msg: Message; tracker: Tracker; here: ReadonlySet<string> }[] = [];
  /** Round-robin position per share group key. */
  private rr = new Map<string, number>();
  /**
   * Peers that came back empty while we hold replicas of their sessions (client id -> the claim's time):
   * their routes went with their old life, and until a new claim re-owns our replica (the backup's restore,
   * or the client connecting again) no route leads to those sessions.
   */
  private restarted = new Map<string, Map<string, number>>();
  /**
   * Targets per topic without share groups (no round robin: the same until the table changes), at table
   * version `cachedAt`: a publish then neither walks the trie nor builds a map. Callers only read them.
   */
  private cached = new Map<string, Map<string, string[]> | null>();
  private cachedAt = -1;

  constructor(
    private readonly local: LocalNode,
    private readonly c: ForwardingLinks,
  ) {
    this.routesKnown = c.membership.members.size === 0;
  }

  private get node(): string {
    return this.c.membership.node;
  }

  /**
   * Routes a message published on this node: one forward per node with a
   * matching route, one node per shared group. Returns the number of
   * receivers known here (local deliveries + remote nodes).
   */
  route(msg: Message): number {
    const targets = this.targetsOf(msg);
    const now = this.c.now();
    const acks = this.c.acks;
    if (msg.retain) this.replicateRetained(msg, targets, now);
    // Started as a cluster member and not synced with any peer yet: the route table is not
    // known, so "no remote subscriber" proves nothing. The acknowledgement waits for the sync.
    if (!this.routesKnown && acks.current && msg.qos > 0)
      this.parked.push({ msg, tracker: acks.hold()!, here: new Set(targets?.get(this.node)) });
    if (msg.qos > 0) this.holdForStale(msg, targets);
    if (this.restarted.size && msg.qos > 0 && msg.mid !== undefined)
      this.orphanForRestarted(msg, targets, now);
    if (!targets) return 0;
    let n = 0;
    const plain: { frame?: Buffer } = {};
    let relayed: [string, string[]][] | null = null;
    for (const [node, groups] of targets) {
      if (node === this.node) {
        n += this.local.dispatchLocal(msg, new Set(groups));
        // A session that just moved on from here: its new owner's route may not have reached us yet.
        if (this.c.registry.following) this.c.registry.forwardMoved(msg, targets);
        continue;
      }
      // A node that is no member (another replicant, on a replicant): through the cores (replicant.ts).
      if (this.c.relay && !this.c.membership.get(node)) (relayed ??= []).push([node, groups]);
      else if (this.forwardTo(node, groups, msg, now, plain)) n++;
    }
    if (relayed) n += this.c.relay!(msg, relayed, now);
    return n;
  }

  /** One forward of `msg` to `node` (for share `groups`); false when the node is no (longer a) member. */
  forwardTo(
    node: string,
    groups: string[],
    msg: Message,
    now: number,
    plain: { frame?: Buffer } = {},
  ): boolean {
    const m = this.c.membership.get(node);
    if (!m || m.state === 'left' || m.state === 'stopped') return false;
    if (m.stale?.length) this.sendStale(m, now);
    // Its sessions failed over when it went down: they get the message now (it may come back empty).
    let gs = groups;
    if (m.state === 'unreachable' && msg.qos > 0 && msg.mid !== undefined) {
      this.orphanNow(m.node, msg, groups, now, m.epoch);
      gs = this.groupsNotGiven(m.node, msg, groups); // served here: the peer, back, must not serve them again
    }
    // Stamped with the newest of its subscription epochs we have heard of: a subscription it made
    // since does not get this message, published before that subscription took effect here.
    // Unstamped to a node we do not hear (it gets the message when it is back), as what is kept for it
    // is (holdForStale): its subscriptions made meanwhile could not reach us, and are owed it.
    // The first target's frame is encoded with its stamp; the next ones copy it with theirs.
    const known = m.state === 'unreachable' ? undefined : m.epoch;
    const frame = gs.length
      ? encodeMessage(F.Forward, msg, now, gs, known)
      : plain.frame
        ? restamp(plain.frame, known)
        : (plain.frame = encodeMessage(F.Forward, msg, now, [], known));
    this.c.sendReliable(m, frame, msg, gs);
    this.c.stats.forwardedOut++;
    return true;
  }

  /** F.Forward: a message published on a peer for our sessions. */
  onForward(f: ForwardFrame): void {
    const { msg, groups, known } = f;
    this.c.stats.forwardedIn++;
    this.local.dispatchLocal(msg, groups.length ? new Set(groups) : NO_GROUPS, known);
    if (groups.length) {
      this.c.served.forwarded(msg.mid, groups);
      // The member the sender picked us for moved on meanwhile: it follows, not lost.
      for (const g of groups)
        if (!this.local.subscriptions.servesGroup(g) && !this.c.registry.forwardMovedGroup(msg, g))
          this.local.countDropped('no-member', 1);
    }
    if (this.c.registry.following) this.c.registry.forwardMoved(msg, undefined, known);
  }

  /**
   * F.Orphan from `peer`: messages for the sessions of a dead `owner` (we are its backup). Share groups given
   * to a session failed over here are told back, so the sender does not serve them again when owner is back.
   */
  onOrphan(peer: string, b: OrphanBody): void {
    this.c.replicas.orphans(b.owner, b.msgs);
    const given: OrphanGivenBody['given'] = [];
    for (const w of b.msgs) {
      const gs =
        w.mid === undefined
          ? []
          : (w.groups ?? []).filter((g) => this.c.replicas.groupGiven(b.owner, w.mid!, g));
      if (gs.length) given.push({ mid: w.mid!, groups: gs });
    }
    const m = given.length ? this.c.membership.get(peer) : undefined;
    if (m) this.c.sendReliable(m, encodeJson(F.OrphanGiven, { owner: b.owner, given }));
  }

  /** F.OrphanGiven: the owner's backup gave these groups of our orphans to members: not in our resends to it. */
  onOrphanGiven(b: OrphanGivenBody): void {
    const m = this.c.membership.get(b.owner);
    if (!m) return;
    const given = new Map(b.given.map((g) => [g.mid, new Set(g.groups)]));
    const now = this.c.now();
    for (const u of m.unacked) {
      const gs = u.msg?.mid === undefined ? undefined : given.get(u.msg.mid);
      if (gs && u.groups)
        withGroups(
          u,
          u.groups.filter((g) => !gs.has(g)),
          now,
        );
    }
  }

  /** `node` came back as a new incarnation: what we hold replicas for gets orphans until its restore is in. */
  cameBackEmpty(node: string): void {
    const lost = this.c.replicas.replicaClaims(node);
    if (lost.size) this.restarted.set(node, lost);
  }

  /** A message those sessions are owed goes to them as an orphan (our replicas, the backup), not to no one. */
  private orphanForRestarted(msg: Message, targets: Map<string, string[]> | null, now: number): void {
    const served = new Set<string>();
    for (const gs of targets?.values() ?? []) for (const g of gs) served.add(g);
    for (const [owner, lost] of [...this.restarted]) {
      const owed = this.c.replicas.owedByReplicas(owner, lost, msg, served);
      if (!owed) this.restarted.delete(owner);
      else if (owed.plain || owed.groups.length) this.orphanNow(owner, msg, owed.groups, now);
    }
  }

  /**
   * The share groups of a forward to `owner` that no session failed over here from it (or that it held a copy
   * of) was given as an orphan.
   */
  groupsNotGiven(owner: string, msg: Message, groups: string[]): string[] {
    if (msg.mid === undefined) return groups;
    const backup = this.c.membership.backupOf(owner) === this.node;
    return groups.filter((g) => !this.c.replicas.groupGiven(owner, msg.mid!, g, backup));
  }

  /**
   * A QoS 1/2 message not forwarded to peers whose routes we do not know: kept for them (Member.stale).
   * Without this, a subscription made on the other side of a split lost what was published here until
   * the link and its routes were back, acknowledged all the same.
   */
  private holdForStale(msg: Message, targets: Map<string, string[]> | null): void {
    if (!this.routesKnown) return; // parked instead, for every peer (routesLearned)
    let served: Set<string> | undefined;
    for (const m of this.c.membership.members.values()) {
      const st = m.stale;
      if (!st || m.state === 'left' || m.state === 'stopped' || targets?.has(m.node)) continue;
      if (st.length >= this.c.forwardBuffer) {
        settle(st.shift()!);
        this.local.countDropped('peer-unreachable', 1);
      }
      // Unstamped: its subscriptions made while we did not hear it are owed what was published since
      // (subscribe-during-split), and which of them came before this message cannot be told here.
      const x: Stale = { msg, served: (served ??= groupsIn(targets)) };
      // Back but its table not in yet: the acknowledgement waits for it, as for any running peer.
      if (this.c.acks.current && m.state === 'running') x.tracker = this.c.acks.hold();
      st.push(x);
    }
  }

  /**
   * A forward to `m` while messages are kept for it (its routes unknown): those go first, as its table would
   * release them. The peer serves each of its subscriptions that matches a forward, those we do not know of
   * too (this one may be for a share group only): the kept ones, older, must not reach them after it.
   */
  private sendStale(m: Member, now: number): void {
    const st = m.stale!;
    m.stale = [];
    for (const x of st) {
      this.sendKept(m, x, now);
      settle(x);
    }
  }

  /** One message kept for `m` goes to it, on behalf of its publish (its acknowledgement follows `m`'s). */
  private sendKept(m: Member, x: Stale, now: number, groups: string[] = []): void {
    this.c.acks.within(x.tracker ?? null, () =>
      this.c.sendReliable(m, encodeMessage(F.Forward, x.msg, now, groups), x.msg, groups),
    );
    this.c.stats.forwardedOut++;
  }

  /**
   * The peer's full route table is in: what we kept for it goes now if the table matches it (acknowledgements
   * follow), to its plain subscriptions and to each share group with a member there that no one served yet:
   * before, a group whose member the peer holds (made during the cut, or a session failed over to it) never
   * got what was published here meanwhile, acknowledged all the same (explored-restart-split-share-fresh).
   */
  releaseStale(m: Member): void {
    const st = m.stale;
    if (!st) return;
    m.stale = null;
    const now = this.c.now();
    let n = 0;
    for (const x of st) {
      let plain = false;
      const groups: string[] = [];
      for (const e of this.c.table.match(x.msg.topic)) {
        if (e.nodes.has(m.node)) plain = true;
        if (e.groups)
          for (const [g, nodes] of e.groups) {
            const key = groupKey(g, e.filter);
            if (!nodes.has(m.node) || x.served?.has(key)) continue;
            groups.push(key);
            (x.served ??= new Set()).add(key);
          }
      }
      if (plain || groups.length) {
        this.sendKept(m, x, now, groups);
        n++;
      }
      settle(x);
    }
    if (n) this.c.emit({ type: 'stale.released', peer: m.node, messages: n });
  }

  /**
   * A message for a node that is down: into our replicas of its sessions, and to its backup (`known`: the
   * node's newest subscription epoch we heard of; absent for one that came back empty).
   */
  private orphanNow(owner: string, msg: Message, groups: string[], now: number, known?: number): void {
    const w = [toOrphanWire(msg, groups, now, known)];
    this.c.replicas.orphans(owner, w);
    const backup = this.c.membership.backupOf(owner);
    const b = backup === this.node ? undefined : this.c.membership.get(backup);
    if (b && b.state === 'running') this.c.sendReliable(b, encodeJson(F.Orphan, { owner, msgs: w }));
  }

  /**
   * Nodes with a matching route, each with the share groups it serves the message to. `servedHere` (a
   * parked publish, routed again): those groups had it here; the others go to a peer's member, never to
   * one here, which subscribed after the message.
   */
  private targetsOf(msg: Message, servedHere?: ReadonlySet<string>): Map<string, string[]> | null {
    const table = this.c.table;
    if (servedHere === undefined) {
      if (this.cachedAt !== table.version || this.cached.size >= TARGETS_CACHED) {
        this.cached.clear();
        this.cachedAt = table.version;
      }
      const hit = this.cached.get(msg.topic);
      if (hit !== undefined) return hit;
    }
    const entries = table.match(msg.topic);
    let targets: Map<string, string[]> | null = null;
    let grouped = false;
    for (const e of entries) {
      for (const n of e.nodes) {
        targets ??= new Map();
        if (!targets.has(n)) targets.set(n, []);
      }
      if (e.groups) {
        grouped = true;
        for (const [g, nodes] of e.groups) {
          const key = `$share/${g}/${e.filter}`;
          if (servedHere?.has(key)) continue;
          const n = this.pickNode(key, servedHere ? this.peersOf(nodes) : nodes);
          if (n === undefined) continue;
          targets ??= new Map();
          const gs = targets.get(n);
          if (gs) gs.push(key);
          else targets.set(n, [key]);
        }
      }
    }
    if (!grouped && servedHere === undefined) this.cached.set(msg.topic, targets);
    return targets;
  }

  /**
   * The first full route table from a peer: publishes parked before it go to
   * the remote subscribers it names (local ones had them at once), and their
   * publishers' acknowledgements follow those forwards.
   */
  routesLearned(): void {
    this.routesKnown = true;
    const parked = this.parked;
    this.parked = [];
    if (parked.length) this.c.emit({ type: 'parked.released', messages: parked.length });
    const now = this.c.now();
    for (const p of parked) {
      const targets = this.targetsOf(p.msg, p.here);
      this.c.acks.within(p.tracker, () => {
        if (targets)
          for (const [node, groups] of targets) {
            const m = node === this.node ? undefined : this.c.membership.get(node);
            if (!m && node !== this.node && this.c.relay) this.c.relay(p.msg, [[node, groups]], now);
            if (!m || m.state === 'left' || m.state === 'stopped') continue;
            this.c.sendReliable(m, encodeMessage(F.Forward, p.msg, now, groups, m.epoch), p.msg, groups);
            this.c.stats.forwardedOut++;
          }
        // Peers whose routes are still unknown (not back yet after a whole-cluster restart) get it when they are.
        this.holdForStale(p.msg, targets);
      });
      if (--p.tracker.pending === 0) p.tracker.done?.();
    }
  }

  private peersOf(nodes: ReadonlySet<string>): ReadonlySet<string> {
    return nodes.has(this.node) ? new Set([...nodes].filter((n) => n !== this.node)) : nodes;
  }

  /** Round robin over the nodes serving a share group, in name order (deterministic). */
  private pickNode(key: string, nodes: ReadonlySet<string>): string | undefined {
    if (nodes.size === 0) return undefined;
    const ms = this.c.membership;
    // Running, and of those the ones whose routes we hold: not a peer whose table is on the way (back: its
    // membership may be of a past life, it restarted empty and the group's member moved to us).
    const running: string[] = [];
    const known: string[] = [];
    for (const n of nodes) {
      const m = n === this.node ? undefined : ms.get(n);
      if (n !== this.node && m?.state !== 'running') continue;
      running.push(n);
      if (!m?.stale) known.push(n);
    }
    const pool = (known.length ? known : running.length ? running : [...nodes]).sort();
    const i = this.rr.get(key) ?? 0;
    this.rr.set(key, i + 1);
    return pool[i % pool.length];
  }

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
    const v = this.c.retained.local(msg);
    let fwd: Buffer | null = null;
    let notFwd: Buffer | null = null;
    for (const m of this.c.membership.members.values()) {
      if (m.state !== 'running') continue;
      const nf = !deleted && !targets?.has(m.node);
      this.c.sendReliable(
        m,
        nf
          ? (notFwd ??= encodeRetain(msg, v, now, false, true))
          : (fwd ??= encodeRetain(msg, v, now, deleted, false)),
      );
    }
  }
}
