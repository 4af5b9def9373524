// The node-local subscription index: topic filter → this node's subscribers, plus shared groups.
// (A route, as in EMQX, is the cluster's: filter → nodes, core/cluster/route-table.ts.) Matching a
// publish yields one delivery per subscribed session (overlapping filters merged per §3.3.4) and one
// per shared group.

import type { Random } from './env.ts';
import type { Message, QoS } from './message.ts';
import type { Session, Delivery, Subscription } from './session.ts';
import { TopicTrie } from './topic-trie.ts';
import { parseShare } from './topic.ts';
import type { SharedStrategy } from './config.ts';

const MATCH_CACHE_MAX = 4096;

interface SharedGroup {
  members: Subscription[];
  next: number;
}

export interface FilterEntry {
  filter: string;
  subs: Map<string, Subscription>; // by client id
  groups: Map<string, SharedGroup> | null;
}

export class SubscriptionIndex {
  private trie = new TopicTrie<FilterEntry>();
  /** Topic → matching filter entries, valid until the set of filters changes (publishers reuse topics). */
  private matchCache = new Map<string, FilterEntry[]>();
  private merged = new Map<Session, Delivery>();
  private subCount = 0;

  /** Told when this node gains its first or loses its last subscriber for a route key (the cluster replicates it). */
  onRouteChange: ((key: string, added: boolean) => void) | null = null;
  /** Clustered: gives a new plain subscription without one its epoch (before onRouteChange announces its route). */
  onSubscribed: (() => number) | null = null;

  constructor(
    private strategy: SharedStrategy,
    private random: Random,
  ) {}

  /** Route keys this node holds: plain filters and `$share/{group}/{filter}`. */
  *routeKeys(): IterableIterator<string> {
    for (const [filter, e] of this.trie.entries()) {
      if (e.subs.size > 0) yield filter;
      if (e.groups) for (const g of e.groups.keys()) yield `$share/${g}/${filter}`;
    }
  }

  /** Whether a plain subscription to exactly `filter` is held here. */
  holds(filter: string): boolean {
    return (this.trie.get(filter)?.subs.size ?? 0) > 0;
  }

  /** Whether share group `key` (`$share/{group}/{filter}`) has a member here. */
  servesGroup(key: string): boolean {
    const p = parseShare(key);
    return p?.group !== undefined && !!this.trie.get(p.filter)?.groups?.has(p.group);
  }

  get subscriptionCount(): number {
    return this.subCount;
  }

  get filterCount(): number {
    return this.trie.size;
  }

  add(sub: Subscription): void {
    this.matchCache.clear();
    const e = this.trie.getOrCreate(sub.filter, () => ({
      filter: sub.filter,
      subs: new Map(),
      groups: null,
    }));
    const id = sub.session.clientId;
    if (sub.group === undefined) {
      const prev = e.subs.get(id);
      // Subscribing again to a filter it holds: the subscription was in effect all along.
      if (prev) sub.epoch = prev.epoch;
      else {
        if (sub.epoch === undefined && this.onSubscribed) sub.epoch = this.onSubscribed();
        this.subCount++;
        if (e.subs.size === 0) this.onRouteChange?.(sub.filter, true);
      }
      e.subs.set(id, sub);
      return;
    }
    const groups = (e.groups ??= new Map());
    let g: SharedGroup | undefined = groups.get(sub.group);
    if (!g) {
      groups.set(sub.group, (g = { members: [], next: 0 }));
      this.onRouteChange?.(`$share/${sub.group}/${sub.filter}`, true);
    }
    const i = g.members.findIndex((m: Subscription) => m.session.clientId === id);
    if (i >= 0) g.members[i] = sub;
    else {
      g.members.push(sub);
      this.subCount++;
    }
  }

  remove(sub: Subscription): void {
    this.matchCache.clear();
    const e = this.trie.get(sub.filter);
    if (!e) return;
    const id = sub.session.clientId;
    if (sub.group === undefined) {
      if (e.subs.get(id) === sub && e.subs.delete(id)) {
        this.subCount--;
        if (e.subs.size === 0) this.onRouteChange?.(sub.filter, false);
      }
    } else {
      const g = e.groups?.get(sub.group);
      if (g) {
        const i = g.members.indexOf(sub);
        if (i >= 0) {
          g.members.splice(i, 1);
          this.subCount--;
          if (g.next > i) g.next--;
          if (g.members.length === 0) {
            e.groups!.delete(sub.group);
            this.onRouteChange?.(`$share/${sub.group}/${sub.filter}`, false);
          }
        }
      }
    }
    if (e.subs.size === 0 && (!e.groups || e.groups.size === 0)) this.trie.delete(sub.filter);
  }

  /**
   * Calls `deliver` once per receiving session. Overlapping non-shared
   * subscriptions of one client merge into one delivery at their highest
   * QoS carrying all their subscription identifiers. With `groups`, only
   * those share groups (keys `$share/{group}/{filter}`) are served here.
   * `known` (a forward from a peer): the newest of our subscription epochs it had heard of; newer plain
   * subscriptions came after the message and do not get it.
   */
  dispatch(
    msg: Message,
    deliver: (s: Session, d: Delivery) => void,
    groups: ReadonlySet<string> | null = null,
    known = Infinity,
  ): number {
    let entries = this.matchCache.get(msg.topic);
    if (entries === undefined) {
      entries = this.trie.match(msg.topic, []);
      if (this.matchCache.size >= MATCH_CACHE_MAX) this.matchCache.clear();
      this.matchCache.set(msg.topic, entries);
    }
    let n = 0;
    const merged = this.merged;
    const single = entries.length === 1;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k];
      for (const sub of e.subs.values()) {
        if (sub.noLocal && sub.session.clientId === msg.from) continue;
        if (sub.epoch !== undefined && sub.epoch > known) continue;
        const qos = (sub.qos < msg.qos ? sub.qos : msg.qos) as QoS;
        const retain = sub.retainAsPublished && msg.retain;
        if (single) {
          deliver(sub.session, { msg, qos, retain, subIds: sub.subId ? [sub.subId] : undefined });
          n++;
          continue;
        }
        const prev = merged.get(sub.session);
        if (!prev) merged.set(sub.session, { msg, qos, retain, subIds: sub.subId ? [sub.subId] : undefined });
        else {
          if (qos > prev.qos) prev.qos = qos;
          if (retain) prev.retain = true;
          if (sub.subId) (prev.subIds ??= []).push(sub.subId);
        }
      }
      if (e.groups) {
        for (const [name, g] of e.groups) {
          // In a cluster the publishing node picks one node per group; only that node dispatches it.
          if (groups !== null && !groups.has(`$share/${name}/${e.filter}`)) continue;
          const sub = this.pick(g);
          deliver(sub.session, {
            msg,
            qos: (sub.qos < msg.qos ? sub.qos : msg.qos) as QoS,
            retain: sub.retainAsPublished && msg.retain,
            subIds: sub.subId ? [sub.subId] : undefined,
          });
          n++;
        }
      }
    }
    if (merged.size) {
      for (const [s, d] of merged) {
        deliver(s, d);
        n++;
      }
      merged.clear();
    }
    return n;
  }

  /** Calls `fn` for each plain (non-shared) subscription matching `topic`. */
  forEachPlain(topic: string, fn: (sub: Subscription) => void): void {
    const entries = this.trie.match(topic, []);
    for (const e of entries) for (const sub of e.subs.values()) fn(sub);
  }

  /** One member per message: the next connected one in turn, else the next one at all (it queues). */
  private pick(g: SharedGroup): Subscription {
    const ms = g.members;
    if (this.strategy === 'random') {
      const start = Math.floor(this.random.next() * ms.length);
      for (let i = 0; i < ms.length; i++) {
        const m = ms[(start + i) % ms.length];
        if (m.session.conn) return m;
      }
      return ms[start];
    }
    for (let i = 0; i < ms.length; i++) {
      const idx = (g.next + i) % ms.length;
      if (ms[idx].session.conn) {
        g.next = (idx + 1) % ms.length;
        return ms[idx];
      }
    }
    const m = ms[g.next % ms.length];
    g.next = (g.next + 1) % ms.length;
    return m;
  }
}
