// Simulator addresses in a scenario's cluster settings, as real processes reach each other: a seed
// `{node, address: 'c1:cluster'}` (replicants name the cores) becomes `c1@127.0.0.1:<c1's proxy port>`, and a
// link address `b1:link,b2:link` (sim/links.ts linkAddress) becomes `127.0.0.1:<b1's link proxy port>,...`.
// Both go through the fault proxy, so partitions cut peer links and cluster links alike.

import type { LinkConfig } from '../../core/link/config.ts';

interface Ports {
  name: string;
  proxyPort?: number;
  linkProxyPort?: number;
}

/** Static seeds for `nodes`: the scenario's (by node name), else every node of the cluster. */
export function liveSeeds(
  brokers: ReadonlyMap<string, Ports>,
  nodes: Ports[],
  seeds?: { node: string; address: string }[],
): string[] {
  const of = seeds ? seeds.map((s) => s.node) : nodes.map((n) => n.name);
  return of.map((name) => {
    const p = brokers.get(name)?.proxyPort;
    if (!p) throw new Error(`live runner: seed ${name} is not a clustered node added before its cluster`);
    return `${name}@127.0.0.1:${p}`;
  });
}

/** The links with each `node:link` address replaced by the node's link proxy port. */
export function liveLinks(brokers: ReadonlyMap<string, Ports>, links: LinkConfig[]): LinkConfig[] {
  return links.map((l) => ({
    ...l,
    address: l.address
      .split(',')
      .map((a) => {
        const m = /^(.+):link$/.exec(a);
        if (!m) return a; // a real host:port
        const p = brokers.get(m[1])?.linkProxyPort;
        if (!p) throw new Error(`live runner: link ${l.name}: ${m[1]} is not a node of a named cluster`);
        return `127.0.0.1:${p}`;
      })
      .join(','),
  }));
}
