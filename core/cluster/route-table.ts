// The cluster route table (EMQX's model): topic filter → nodes that have
// at least one subscriber for it, replicated to every node. Each node is
// the only writer of its own routes, so replication is: a full set when a
// link comes up, deltas after. Shared subscriptions route per group:
// key `$share/{group}/{filter}`.

import { TopicTrie } from '../topic-trie.ts';
import { parseShare } from '../topic.ts';

export interface RouteEntry {
  filter: string;
  /** Nodes with a plain subscription to this filter. */
  nodes: Set<string>;
  /** Share group → nodes with at least one member. */
  groups: Map<string, Set<string>> | null;
}

export class RouteTable {
  private trie = new TopicTrie<RouteEntry>();
  /** Route keys per node, as that node announced them. */
  private byNode = new Map<string, Set<string>>();
  private scratch: RouteEntry[] = [];
  /** Bumped by every change: what callers derived from match() is stale once it moves. */
  version = 0;
  /** Observer (cluster links): a filter got its first route or lost its last. */
  onFilter: ((filter: string, present: boolean) => void) | null = null;

  keysOf(node: string): Set<string> {
    return this.byNode.get(node) ?? new Set();
  }

  nodes(): string[] {
    return [...this.byNode.keys()].filter((n) => this.byNode.get(n)!.size > 0);
  }

  get size(): number {
    let n = 0;
    for (const s of this.byNode.values()) n += s.size;
    return n;
  }

  add(node: string, key: string): boolean {
    let set = this.byNode.get(node);
    if (!set) this.byNode.set(node, (set = new Set()));
    if (set.has(key)) return false;
    set.add(key);
    this.version++;
    const { filter, group } = split(key);
    const fresh = this.onFilter !== null && this.trie.get(filter) === undefined;
    const e = this.trie.getOrCreate(filter, () => ({ filter, nodes: new Set(), groups: null }));
    if (group === undefined) e.nodes.add(node);
    else {
      const g = (e.groups ??= new Map());
      let ns = g.get(group);
      if (!ns) g.set(group, (ns = new Set()));
      ns.add(node);
    }
    if (fresh) this.onFilter!(filter, true);
    return true;
  }

  remove(node: string, key: string): boolean {
    const set = this.byNode.get(node);
    if (!set || !set.delete(key)) return false;
    this.version++;
    const { filter, group } = split(key);
    const e = this.trie.get(filter);
    if (!e) return true;
    if (group === undefined) e.nodes.delete(node);
    else {
      const ns = e.groups?.get(group);
      ns?.delete(node);
      if (ns && ns.size === 0) e.groups!.delete(group);
    }
    if (e.nodes.size === 0 && (!e.groups || e.groups.size === 0)) {
      this.trie.delete(filter);
      this.onFilter?.(filter, false);
    }
    return true;
  }

  /** Replaces everything known of `node` (full sync after a link comes up). */
  replace(node: string, keys: Iterable<string>): void {
    const next = new Set(keys);
    for (const k of [...this.keysOf(node)]) if (!next.has(k)) this.remove(node, k);
    for (const k of next) this.add(node, k);
  }

  /** Drops all routes of a node (it left, or autoclean removed it). */
  purge(node: string): number {
    const keys = [...this.keysOf(node)];
    for (const k of keys) this.remove(node, k);
    this.byNode.delete(node);
    return keys.length;
  }

  /** The filters with at least one route (share groups' filters without their prefix). */
  filters(): Set<string> {
    const out = new Set<string>();
    for (const keys of this.byNode.values()) for (const k of keys) out.add(split(k).filter);
    return out;
  }

  /** Route entries matching `topic` (reused array: consume before the next call). */
  match(topic: string): RouteEntry[] {
    this.scratch.length = 0;
    return this.trie.match(topic, this.scratch);
  }

  /** All (key, node) pairs, sorted: for comparing tables across nodes. */
  dump(): string[] {
    const out: string[] = [];
    for (const [n, keys] of this.byNode) for (const k of keys) out.push(`${k} -> ${n}`);
    return out.sort();
  }
}

function split(key: string): { filter: string; group?: string } {
  if (key.startsWith('$share/')) {
    const p = parseShare(key);
    if (p) return p;
  }
  return { filter: key };
}

export function groupKey(group: string, filter: string): string {
  return `$share/${group}/${filter}`;
}
