// The external session store in the simulator (sim/redis.ts): a persistent CONNECT waits for its
// session from Redis; a Redis slower than the load timeout answers it with CONNACK 0x88 (3.1.1:
// return code 3) until it is fast again; CONNECTs with one client id share one load.

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
});
