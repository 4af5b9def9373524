// How the live world turns a scenario's simulator addresses and maintenance options into what real processes
// take: seeds and link addresses through the fault proxy's ports, admin API bodies in wall-clock units.

import { describe, it, expect } from 'vitest';
import { liveLinks, liveSeeds } from '../../sim/live/cluster-wiring.ts';
import { evacuationBody, rebalanceBody } from '../../sim/live/node-status.ts';
import { linkAddress } from '../../sim/links.ts';

const nodes = new Map(
  [
    { name: 'c1', proxyPort: 4001 },
    { name: 'c2', proxyPort: 4002 },
    { name: 'r1', proxyPort: 4003 },
    { name: 'b1', proxyPort: 4004, linkProxyPort: 5004 },
    { name: 'b2', proxyPort: 4005, linkProxyPort: 5005 },
  ].map((n) => [n.name, n]),
);

describe('live cluster wiring', () => {
  it('gives a replicant the cores it names as seeds, and a plain cluster all its nodes', () => {
    const seeds = ['c1', 'c2'].map((n) => ({ node: n, address: `${n}:cluster` }));
    expect(liveSeeds(nodes, [nodes.get('r1')!], seeds)).toEqual(['c1@127.0.0.1:4001', 'c2@127.0.0.1:4002']);
    expect(liveSeeds(nodes, [nodes.get('c1')!, nodes.get('c2')!])).toEqual([
      'c1@127.0.0.1:4001',
      'c2@127.0.0.1:4002',
    ]);
    expect(() => liveSeeds(nodes, [], [{ node: 'x9', address: 'x9:cluster' }])).toThrow(/seed x9/);
  });

  it("points a link at the other cluster's link proxy ports, keeping real host:port entries", () => {
    const [l] = liveLinks(nodes, [
      { name: 'B', address: `${linkAddress(['b1', 'b2'])},10.0.0.9:4380`, secret: 's' },
    ]);
    expect(l).toEqual({ name: 'B', address: '127.0.0.1:5004,127.0.0.1:5005,10.0.0.9:4380', secret: 's' });
    expect(() => liveLinks(nodes, [{ name: 'B', address: 'c1:link', secret: 's' }])).toThrow(
      /c1 is not a node/,
    );
  });

  it('scales maintenance times and rates from virtual to wall time, in the API units', () => {
    const ev = { connEvictRate: 100, sessEvictRate: 50, waitHealthCheckMs: 6000, waitTakeoverMs: 30_000 };
    expect(evacuationBody({ ...ev, migrateTo: ['n2'] }, 0.5)).toEqual({
      migrateTo: ['n2'],
      connEvictRate: 200,
      sessEvictRate: 100,
      waitHealthCheck: 3,
      waitTakeover: 15,
    });
    expect(rebalanceBody({ connEvictRate: 10, connThreshold: 5, relConnThreshold: 1.1 }, 1)).toEqual({
      connEvictRate: 10,
      connThreshold: 5,
      relConnThreshold: 1.1,
    });
  });
});
