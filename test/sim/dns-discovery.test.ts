// DNS discovery in the simulator: nodes find each other through a scripted
// DNS table that changes as a StatefulSet scales, with lookup failures.

import { describe, it, expect } from 'vitest';
import { makeWorld, settle } from '../helpers/sim.ts';
import {
  DiscoveryState,
  DnsDiscovery,
  type DiscoveredNode,
  type Resolver,
} from '../../core/cluster/discovery.ts';
import type { World } from '../../sim/world.ts';

const fixed = { kind: 'fixed', ms: 1 } as const;
const addr = (n: string) => `${n}:cluster`;

/** The headless Service's records, as the test scripts them; `down` makes lookups fail. */
class FakeDns implements Resolver {
  records: string[] = [];
  down = false;
  resolve(_name: string, cb: (nodes: DiscoveredNode[] | null) => void): void {
    cb(this.down ? null : this.records.map((node) => ({ node, address: addr(node) })));
  }
}

function pod(w: World, dns: FakeDns, name: string): DnsDiscovery {
  w.addBroker(
    name,
    {},
    {
      secret: 's',
      discovery: 'manual',
      seeds: [],
      heartbeatIntervalMs: 500,
      heartbeatTimeoutMs: 2000,
      autocleanMs: 3_600_000,
    },
  );
  const cluster = w.cluster(name);
  const d = new DnsDiscovery(
    cluster,
    dns,
    w.host(name),
    { name: 'mq-headless', intervalMs: 1000, forgetAfterMs: 10_000 },
    (type, detail) =>
      w.record(
        type === 'dns.join'
          ? { type, node: name, peer: detail.peer, address: detail.address }
          : { type: 'dns.forget', node: name, peer: detail.peer },
      ),
  );
  d.start();
  return d;
}

function running(w: World, name: string): string[] {
  return w
    .cluster(name)
    .status()
    .filter((m) => m.state === 'running')
    .map((m) => m.node);
}

describe('DNS discovery', () => {
  it('a StatefulSet scaling 3 -> 4 -> 2: members join as they appear in DNS and are forced out once gone from DNS and unreachable; DNS outages change nothing', async () => {
    const w = makeWorld({ latency: fixed });
    const dns = new FakeDns();
    dns.records = ['mq-0', 'mq-1', 'mq-2'];
    const disc = ['mq-0', 'mq-1', 'mq-2'].map((n) => pod(w, dns, n));
    const all3 = ['mq-0', 'mq-1', 'mq-2'];
    await settle(w, () => all3.every((n) => running(w, n).length === 3), 5000, '3 nodes');

    dns.records.push('mq-3');
    disc.push(pod(w, dns, 'mq-3'));
    const all4 = [...all3, 'mq-3'];
    await settle(w, () => all4.every((n) => running(w, n).length === 4), 5000, '4 nodes');

    // DNS down for a minute: nobody is forgotten, nobody joins.
    dns.down = true;
    await w.sleep(60_000);
    expect(all4.every((n) => running(w, n).length === 4)).toBe(true);
    dns.down = false;

    // Scale down to 2: the pods stop and leave DNS.
    for (const n of ['mq-3', 'mq-2']) {
      w.crash(n, 'process');
      dns.records = dns.records.filter((r) => r !== n);
    }
    disc[2].stop();
    disc[3].stop();
    await w.sleep(5000);
    // Unreachable, not yet forgotten (forgetAfterMs 10 s).
    expect(
      w
        .cluster('mq-0')
        .status()
        .map((m) => m.node),
    ).toEqual(all4);
    const members = (n: string) =>
      w
        .cluster(n)
        .status()
        .filter((m) => m.state !== 'left')
        .map((m) => m.node);
    await settle(
      w,
      () => ['mq-0', 'mq-1'].every((n) => members(n).length === 2),
      20_000,
      'scaled-down nodes forgotten',
    );
    expect(running(w, 'mq-0')).toEqual(['mq-0', 'mq-1']);
    expect(
      w.history.events
        .filter((e) => e.type === 'dns.forget')
        .map((e) => `${e.node}:${e.peer}`)
        .sort(),
    ).toEqual(['mq-0:mq-2', 'mq-0:mq-3', 'mq-1:mq-2', 'mq-1:mq-3']);
    // Well before autoclean (1 h) would have done it.
    expect(w.now).toBeLessThan(120_000);
  });

  it('a pod missing from DNS while it still talks to the cluster is kept (DNS lags behind)', async () => {
    const w = makeWorld({ latency: fixed });
    const dns = new FakeDns();
    dns.records = ['mq-0', 'mq-1'];
    pod(w, dns, 'mq-0');
    pod(w, dns, 'mq-1');
    await settle(w, () => running(w, 'mq-0').length === 2, 5000, '2 nodes');
    dns.records = ['mq-0'];
    await w.sleep(30_000);
    expect(running(w, 'mq-0')).toEqual(['mq-0', 'mq-1']);
  });
});

describe('DiscoveryState', () => {
  it('joins new names and moved addresses once, ignores itself, failed and empty answers, forgets after the grace period', () => {
    const s = new DiscoveryState('a', 1000);
    const n = (node: string, address = `${node}:1`) => ({ node, address });
    expect(s.update(0, [n('a'), n('b'), n('c')])).toEqual({ join: [n('b'), n('c')], forget: [] });
    expect(s.update(100, [n('a'), n('b'), n('c')])).toEqual({ join: [], forget: [] });
    expect(s.update(200, [n('b', 'b:2'), n('c')])).toEqual({ join: [n('b', 'b:2')], forget: [] });
    expect(s.update(5000, null)).toEqual({ join: [], forget: [] });
    expect(s.update(5000, [])).toEqual({ join: [], forget: [] });
    // c missing from 5100 on: the outage before does not count.
    expect(s.update(5100, [n('b', 'b:2')])).toEqual({ join: [], forget: [] });
    expect(s.update(6000, [n('b', 'b:2')])).toEqual({ join: [], forget: [] });
    expect(s.update(6100, [n('b', 'b:2')])).toEqual({ join: [], forget: ['c'] });
    expect(s.update(6200, [n('b', 'b:2'), n('c')])).toEqual({ join: [n('c')], forget: [] });
    // A member learnt from the cluster, never in DNS: forgotten after the grace period too.
    expect(s.update(7000, [n('b', 'b:2'), n('c')], [n('d')])).toEqual({ join: [], forget: [] });
    expect(s.update(8000, [n('b', 'b:2'), n('c')], [n('d')])).toEqual({ join: [], forget: ['d'] });
  });
});
