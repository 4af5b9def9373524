// The TCP load balancer in front of broker nodes: round-robin and sticky
// placement, health checks with rise/fall counts after a backend crashes
// and restarts, and what happens to client connections meanwhile.

import { describe, it, expect } from 'vitest';
import type { World } from '../../sim/world.ts';
import type { SimClient } from '../../sim/client.ts';
import type { LoadBalancerOptions } from '../../sim/load-balancer.ts';
import { makeWorld, events, settle, watchDisconnects } from '../helpers/sim.ts';

const fixed = { kind: 'fixed', ms: 1 } as const;

function cluster(lbOpts: Partial<LoadBalancerOptions> = {}, nodes = ['n1', 'n2']): World {
  const w = makeWorld({ latency: fixed });
  for (const n of nodes) w.addBroker(n);
  w.addLoadBalancer('lb', { backends: nodes, ...lbOpts });
  return w;
}

function nodeCounts(clients: SimClient[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of clients) out[c.node!] = (out[c.node!] ?? 0) + 1;
  return out;
}

describe('placement', () => {
  it('round-robin spreads clients evenly across backends, in turn', async () => {
    const w = cluster({}, ['n1', 'n2', 'n3']);
    const clients = Array.from({ length: 9 }, (_, i) => w.client(`c${i}`, { target: 'lb', keepalive: 60 }));
    await settle(w, () => clients.every((c) => c.connected), 1000, 'connect');
    expect(clients.map((c) => c.node)).toEqual(['n1', 'n2', 'n3', 'n1', 'n2', 'n3', 'n1', 'n2', 'n3']);
    for (const n of ['n1', 'n2', 'n3']) {
      expect(w.broker(n).connectedCount).toBe(3);
      // The connections run through the balancer.
      expect(w.network.connectionsOf(n).every((s) => s.via === 'lb')).toBe(true);
    }
    expect(events(w, 'client.connect').every((e) => e.target === 'lb')).toBe(true);
  });

  it('sticky mode keeps a client id on one backend across reconnects; round-robin does not', async () => {
    const placements: Record<string, string[]> = {};
    for (const mode of ['sticky', 'round-robin'] as const) {
      const w = cluster({ mode });
      const clients = ['a', 'b', 'c'].map((id) =>
        w.client(id, { target: 'lb', keepalive: 60, reconnect: { minMs: 100, maxMs: 200 } }),
      );
      await settle(w, () => clients.every((c) => c.connected), 1000, 'connect');
      const first = clients.map((c) => c.node!);
      expect(first).toEqual(['n1', 'n2', 'n1']);
      const a = clients[0];
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) {
        w.resetConnections('a', a.node!);
        await settle(w, () => a.connected, 5000, 'reconnect');
        seen.push(a.node!);
      }
      placements[mode] = seen;
      expect(a.connects).toBe(5);
    }
    expect(placements.sticky).toEqual(['n1', 'n1', 'n1', 'n1']);
    expect(placements['round-robin']).toEqual(['n2', 'n1', 'n2', 'n1']);
  });

  it('sticky mode moves a client whose backend is down, and keeps it on the new one', async () => {
    const w = cluster({ mode: 'sticky', checkIntervalMs: 1000, fall: 1, rise: 1 });
    const a = w.client('a', { target: 'lb', keepalive: 60, reconnect: { minMs: 100, maxMs: 200 } });
    await settle(w, () => a.connected, 1000, 'connect');
    expect(a.node).toBe('n1');
    w.crash('n1');
    await settle(w, () => a.connected && a.node === 'n2', 10_000, 'failover');
    w.restart('n1');
    await w.sleep(5000);
    expect(w.balancers.get('lb')!.healthyBackends()).toEqual(['n1', 'n2']);
    w.resetConnections('a', 'n2');
    await settle(w, () => a.connected, 5000, 'reconnect');
    expect(a.node).toBe('n2');
  });
});

describe('health checks', () => {
  it('after a backend crashes it is marked down after `fall` checks; clients land on the other node; after restart it is up after `rise` checks', async () => {
    const interval = 1000;
    const w = cluster({ checkIntervalMs: interval, fall: 3, rise: 2 });
    const lb = w.balancers.get('lb')!;
    const clients = Array.from({ length: 6 }, (_, i) =>
      w.client(`c${i}`, {
        target: 'lb',
        keepalive: 30,
        clean: false,
        reconnect: { minMs: 200, maxMs: 1000 },
      }),
    );
    await settle(w, () => clients.every((c) => c.connected), 1000, 'connect');
    expect(nodeCounts(clients)).toEqual({ n1: 3, n2: 3 });
    await w.sleep(5500 - w.now);

    w.crash('n1', 'process');
    // Checks at 6000, 7000 fail; the third failure, at 8000, marks it down.
    await w.sleep(7999 - w.now);
    expect(lb.healthyBackends()).toEqual(['n1', 'n2']);
    expect(events(w, 'lb.backend')).toEqual([]);
    await w.sleep(2);
    expect(events(w, 'lb.backend')).toEqual([
      expect.objectContaining({ lb: 'lb', backend: 'n1', healthy: false, t: 8000 }),
    ]);
    expect(lb.healthyBackends()).toEqual(['n2']);

    // Every client is (back) on n2, and no connection attempt after the down-mark went to n1.
    await settle(w, () => clients.every((c) => c.connected && c.node === 'n2'), 30_000, 'failover');
    expect(w.broker('n2').connectedCount).toBe(6);
    expect(
      events(w, 'client.connack')
        .filter((e) => e.t > 5500)
        .every((e) => e.node === 'n2'),
    ).toBe(true);
    // Clients arriving while n1 is marked down all go to n2.
    const late = Array.from({ length: 4 }, (_, i) => w.client(`late${i}`, { target: 'lb' }));
    await settle(w, () => late.every((c) => c.connected), 1000, 'connect');
    expect(nodeCounts(late)).toEqual({ n2: 4 });
    // Attempts routed to the dead node before the down-mark were refused (process crash: the OS answers).
    const failed = events(w, 'client.closed').filter((e) => e.was === 'connecting');
    expect(failed.every((e) => e.reason === 'refused' && e.t <= 8000 + 2)).toBe(true);

    await w.sleep(20_500 - w.now);
    w.restart('n1');
    // Checks at 21000 and 22000 succeed; the second marks it up.
    await w.sleep(21_999 - w.now);
    expect(lb.healthyBackends()).toEqual(['n2']);
    await w.sleep(2);
    expect(events(w, 'lb.backend').at(-1)).toEqual(
      expect.objectContaining({ backend: 'n1', healthy: true, t: 22_000 }),
    );
    expect(lb.healthyBackends()).toEqual(['n1', 'n2']);

    // New clients are spread over both nodes again; the moved ones stay where they are.
    const fresh = Array.from({ length: 4 }, (_, i) => w.client(`f${i}`, { target: 'lb' }));
    await settle(w, () => fresh.every((c) => c.connected), 1000, 'connect');
    expect(nodeCounts(fresh)).toEqual({ n1: 2, n2: 2 });
    expect(clients.every((c) => c.node === 'n2')).toBe(true);
    expect(clients.map((c) => c.connects).sort()).toEqual([1, 1, 1, 2, 2, 2]); // only n1's clients moved, once each
  });

  it('a short failure (fewer than `fall` checks) does not mark the backend down', async () => {
    const w = cluster({ checkIntervalMs: 1000, fall: 3, rise: 2 });
    await w.sleep(500);
    w.pause('n1'); // fails the checks at 1000 and 2000
    await w.sleep(2000);
    w.unpause('n1');
    await w.sleep(10_000);
    expect(events(w, 'lb.backend')).toEqual([]);
    expect(w.balancers.get('lb')!.healthyBackends()).toEqual(['n1', 'n2']);
  });

  it('a paused backend and one cut off from the balancer both fail their checks', async () => {
    const w = cluster({ checkIntervalMs: 1000, fall: 2, rise: 1 }, ['n1', 'n2', 'n3']);
    await w.sleep(500);
    w.pause('n1');
    w.partition(['lb'], ['n2'], { oneWay: true });
    await w.sleep(2000);
    expect(events(w, 'lb.backend').map((e) => [e.backend, e.healthy, e.t])).toEqual([
      ['n1', false, 2000],
      ['n2', false, 2000],
    ]);
    expect(w.balancers.get('lb')!.healthyBackends()).toEqual(['n3']);
    w.unpause('n1');
    w.heal();
    await w.sleep(1000);
    expect(w.balancers.get('lb')!.healthyBackends()).toEqual(['n1', 'n2', 'n3']);
  });

  it('with no healthy backend the balancer accepts and closes at once', async () => {
    const w = cluster({ checkIntervalMs: 1000, fall: 1 });
    w.crash('n1');
    w.crash('n2');
    await w.sleep(1500);
    expect(w.balancers.get('lb')!.healthyBackends()).toEqual([]);
    const c = w.client('c', { target: 'lb', reconnect: false });
    await w.sleep(100);
    expect(events(w, 'client.closed', { c: 'c' })).toEqual([
      expect.objectContaining({ reason: 'reset', was: 'connecting', t: 1502 }),
    ]);
    expect(c.connected).toBe(false);
  });
});

describe('shutdown-sessions on marked down', () => {
  it('clients of a backend cut off from the balancer are reset when it is marked down and move to a healthy node', async () => {
    const w = cluster({ checkIntervalMs: 1000, fall: 2, rise: 2, shutdownSessionsOnDown: true });
    const clients = Array.from({ length: 4 }, (_, i) =>
      w.client(`c${i}`, { target: 'lb', keepalive: 60, reconnect: { minMs: 200, maxMs: 400 } }),
    );
    await settle(w, () => clients.every((c) => c.connected), 1000, 'connect');
    const onN1 = clients.filter((c) => c.node === 'n1');
    expect(onN1).toHaveLength(2);
    await w.sleep(1500 - w.now);
    w.partition(['lb'], ['n1']);
    await w.sleep(3000 - w.now + 10);
    expect(events(w, 'lb.backend')).toEqual([
      expect.objectContaining({ backend: 'n1', healthy: false, t: 3000 }),
    ]);
    // The balancer itself resets the client side: no waiting for keep alive across the partition.
    for (const c of onN1)
      expect(events(w, 'client.closed', { c: c.id })).toEqual([
        expect.objectContaining({ reason: 'reset', was: 'connected', t: 3001 }),
      ]);
    await settle(w, () => clients.every((c) => c.connected && c.node === 'n2'), 5000, 'failover');
    expect(w.now).toBeLessThan(5000);
  });

  it('a paused backend does not process the reset until it runs again', async () => {
    const w = cluster({ checkIntervalMs: 1000, fall: 2, rise: 2, shutdownSessionsOnDown: true });
    const c = w.client('c', { target: 'lb', keepalive: 60, reconnect: { minMs: 200, maxMs: 400 } });
    await settle(w, () => c.connected, 1000, 'connect');
    expect(c.node).toBe('n1');
    const disc = watchDisconnects(w, 'n1');
    await w.sleep(1500 - w.now);
    w.pause('n1');
    await w.sleep(2000);
    expect(events(w, 'lb.backend')).toEqual([
      expect.objectContaining({ backend: 'n1', healthy: false, t: 3000 }),
    ]);
    await settle(w, () => c.connected && c.node === 'n2', 5000, 'failover');
    // The frozen broker has not run at all meanwhile.
    expect(disc).toEqual([]);
    expect(w.broker('n1').connectedCount).toBe(1);
    const resumeAt = w.now;
    w.unpause('n1');
    await w.sleep(1);
    expect(disc).toEqual([{ c: 'c', cause: 'transport', t: resumeAt }]);
    expect(w.broker('n1').connectedCount).toBe(0);
  });

  it('without shutdown-sessions, clients of a cut-off backend stay until their keep alive notices', async () => {
    const w = cluster({ checkIntervalMs: 1000, fall: 2, rise: 2 });
    const c = w.client('c', { target: 'lb', keepalive: 10, reconnect: { minMs: 200, maxMs: 400 } });
    await settle(w, () => c.connected, 1000, 'connect');
    w.partition(['lb'], ['n1']);
    await w.sleep(5000);
    expect(events(w, 'lb.backend')).toHaveLength(1);
    expect(c.connected).toBe(true);
    expect(c.node).toBe('n1');
    await settle(w, () => c.connected && c.node === 'n2', 30_000, 'failover');
    expect(events(w, 'client.keepalive-timeout', { c: 'c' })).toHaveLength(1);
  });
});
