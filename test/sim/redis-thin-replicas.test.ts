// Clustered on the Redis store, peers keep thin replicas (state, no messages: core/cluster/store-fetch.ts).
// The node holding a persistent session dies: its backup fails the session over with its queue read
// from Redis, keeps what is published meanwhile, and the client resumes it on a third node with all of it.

import { describe, it, expect } from 'vitest';
import { makeWorld, events, settle } from '../helpers/sim.ts';

const fixed = { kind: 'fixed', ms: 1 } as const;

describe('thin replicas on the Redis store', () => {
  it('the owner dies: its queue comes from Redis, what is published meanwhile is kept, the client gets all', async () => {
    const w = makeWorld({ latency: fixed });
    const redis = w.addRedis();
    w.addCluster(['n1', 'n2', 'n3'], { store: 'redis' });
    await w.run(async () => {
      const sub = w.client('sub', {
        target: ['n1', 'n3'],
        version: 5,
        clean: false,
        sessionExpiry: 3600,
        reconnect: { minMs: 200, maxMs: 200 },
        subscriptions: [{ filter: 'q/#', qos: 1 }],
      });
      const pub = w.client('pub', { target: 'n2', version: 5, reconnect: false });
      await settle(w, () => sub.connected && pub.connected && sub.node === 'n1', 10_000, 'both clients');
      await w.sleep(2000); // routes and the replica's state reach every node
      sub.disconnect();
      await w.sleep(200);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push(pub.publish(`q/${i}`, 1));
      await settle(w, () => pub.acked.size === 20, 10_000, 'the first 20 PUBACKs');
      const loadsBefore = redis.loads;
      w.crash('n1', 'process');
      await w.sleep(8000); // the peers notice; the backup fails the session over
      expect(events(w, 'cluster.failover', { from: 'n1' }).length).toBeGreaterThan(0);
      expect(redis.loads).toBeGreaterThan(loadsBefore); // the queue was read from Redis
      for (let i = 20; i < 30; i++) ids.push(pub.publish(`q/${i}`, 1));
      await settle(w, () => pub.acked.size === 30, 10_000, 'the next 10 PUBACKs');
      sub.connect();
      const got = () => new Set(sub.received.map((r) => r.id));
      await settle(w, () => sub.connected && ids.every((id) => got().has(id)), 20_000, 'all 30 messages');
      expect(sub.node).toBe('n3');
      const last = events(w, 'client.connack', { c: 'sub' }).at(-1)!;
      expect(last.present).toBe(true);
    });
  });
});
