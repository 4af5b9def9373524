// The external session store in the simulator (sim/redis.ts): a persistent CONNECT waits for its
// session from Redis; a Redis slower than the load timeout answers it with CONNACK 0x88 (3.1.1:
// return code 3) until it is fast again; CONNECTs with one client id share one load. While Redis is
// unreachable PUBACKs are held up to store.maxHeld; past it publishes are refused (v5: PUBACK 0x97;
// 3.1.1: closed once the held acknowledgements went out), and nothing acknowledged is lost.

import { describe, it, expect } from 'vitest';
import { makeWorld, events, settle } from '../helpers/sim.ts';

const fixed = { kind: 'fixed', ms: 1 } as const;

describe('sessions in the simulated Redis', () => {
  it('a Redis slower than the load timeout: persistent CONNECTs get 0x88 / 3, clean ones connect; fast again: resumed', async () => {
    const w = makeWorld({ latency: fixed });
    const redis = w.addRedis({ slowMs: 6000 }); // above the 5 s load timeout
    w.addBroker('n1', {}, undefined, { store: 'redis' });
    await w.run(async () => {
      const reconnect = { minMs: 1000, maxMs: 1000 };
      const v5 = w.client('p5', { target: 'n1', version: 5, clean: false, sessionExpiry: 600, reconnect });
      const v3 = w.client('p3', { target: 'n1', version: 4, clean: false, reconnect });
      const clean = w.client('c', { target: 'n1', version: 5 });
      await settle(w, () => clean.connected, 2000, 'the clean client');
      await w.sleep(7000);
      expect(v5.connected || v3.connected).toBe(false);
      expect(events(w, 'client.connack', { c: 'p5' }).map((e) => e.rc)).toContain(0x88);
      expect(events(w, 'client.connack', { c: 'p3' }).map((e) => e.rc)).toContain(3);
      redis.opts.slowMs = 0;
      await settle(w, () => v5.connected && v3.connected, 20_000, 'both persistent clients');
    });
  });

  it('two CONNECTs with one client id at the same instant share one load; the later one takes over', async () => {
    const w = makeWorld({ latency: fixed });
    const redis = w.addRedis({ slowMs: 100 });
    w.addBroker('n1', {}, undefined, { store: 'redis' });
    await w.run(async () => {
      const opts = {
        target: 'n1',
        version: 5 as const,
        clean: false,
        sessionExpiry: 600,
        reconnect: false as const,
      };
      const a = w.client('dup', opts);
      const b = w.extraClient('dup', opts);
      await w.sleep(1000);
      expect(redis.loads).toBe(1);
      expect(a.connected !== b.connected).toBe(true); // one took over the other
      expect(events(w, 'client.connack', { c: 'dup' }).filter((e) => e.rc === 0)).toHaveLength(2);
    });
  });

  it('Redis unreachable: PUBACKs held up to maxHeld, then refused (v5 0x97, 3.1.1 closed); all taken when it is back', async () => {
    const w = makeWorld({ latency: fixed });
    w.addRedis({ maxHeld: 5 });
    w.addBroker('n1', {}, undefined, { store: 'redis' });
    await w.run(async () => {
      const sub = w.client('sub', { target: 'n1', version: 5, clean: false, sessionExpiry: 600 });
      const reconnect = { minMs: 300, maxMs: 300 };
      const v5 = w.client('v5', { target: 'n1', version: 5, reconnect });
      const v3 = w.client('v3', { target: 'n1', version: 4, reconnect });
      await settle(w, () => sub.connected && v5.connected && v3.connected, 2000, 'the clients');
      sub.subscribe('t/#', 1);
      await w.sleep(100);
      sub.disconnect();
      await w.sleep(100);
      w.partition(['n1'], ['redis']);
      const held = Array.from({ length: 5 }, (_, i) => v5.publish(`t/${i}`, 1));
      await w.sleep(100);
      const refused = Array.from({ length: 3 }, (_, i) => v5.publish(`t/r${i}`, 1));
      const v3ids = Array.from({ length: 3 }, (_, i) => v3.publish(`t/v3/${i}`, 1));
      await w.sleep(3000);
      // Nothing promised while Redis is away: the refusals queue behind the held acknowledgements.
      expect(v5.acked.size + v3.acked.size).toBe(0);
      // v5's 3; v3's 3 each time it reconnects and resends (refused: closed at once, nothing held before them).
      expect(w.broker('n1').stats.dropped['store-backlog']).toBeGreaterThanOrEqual(3 + 3 * 2);
      expect(events(w, 'client.closed', { c: 'v3' }).length).toBeGreaterThanOrEqual(2);
      w.heal();
      await settle(w, () => v5.acked.size === 5 && v3.acked.size === 3, 10_000, 'the acknowledgements');
      expect([...v5.acked]).toEqual(held);
      const fails = events(w, 'pub.fail', { c: 'v5' });
      expect(fails.map((e) => [e.id, e.rc])).toEqual(refused.map((id) => [id, 0x97]));
      sub.connect();
      const want = [...held, ...v3ids];
      await settle(w, () => want.every((id) => sub.received.some((r) => r.id === id)), 5000, 'delivery');
    });
  });
});
