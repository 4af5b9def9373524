// The Redis session store (store.kind: redis) against a real redis-server started by the test:
// a session, its queue and retained messages written by one node are resumed by another that never
// held them; with Redis down, persistent CONNECTs get 0x88 (3.1.1: return code 3) after the timeout
// and QoS 1 publishes to persistent subscribers are not acknowledged until Redis is back, then
// delivered; past store.maxHeld held acknowledgements, publishes are refused (v5: PUBACK 0x97), never
// acknowledged and lost. Skips when redis-server (Debian package redis-server) is missing.

import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { createRuntime, sleep, uniqueId, waitUntil } from '../helpers/runtime.ts';
import { RedisServer, redisTool } from '../helpers/redis.ts';

const d = redisTool.path ? describe : describe.skip;
if (!redisTool.path) console.log(redisTool.reason);

d('session store in Redis (in-process nodes)', () => {
  const rt = createRuntime();
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await rt.cleanup();
    await redis?.stop();
  });
  const node = (name: string, loadTimeoutMs = 5000, maxHeld = 10_000) =>
    rt.server({
      node: name,
      store: { kind: 'redis', url: redis.url, keyPrefix: `t${process.pid}:`, loadTimeoutMs, maxHeld },
    });

  it('a node that never held a session resumes it from Redis: subscriptions, 30 queued QoS 1, retained', async () => {
    const a = await node('a');
    const clientId = uniqueId('rs');
    const opts = {
      protocolVersion: 5 as const,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    };
    const sub = await rt.client(a, opts);
    expect(sub.connack!.sessionPresent).toBe(false);
    await sub.subscribeAsync({ 'rs/#': { qos: 1 } });
    await sub.endAsync();
    const pub = await rt.client(a, { protocolVersion: 5 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => pub.publishAsync(`rs/${i}`, `m${i}`, { qos: 1 })));
    await pub.publishAsync('cfg/rs', 'R', { qos: 1, retain: true });
    await pub.endAsync();
    await a.stop();

    const b = await node('b');
    expect(b.broker.sessions.has(clientId)).toBe(false); // loaded when its client connects, not at start
    expect(b.broker.retained.match('cfg/#', Date.now()).map((m) => m.payload.toString())).toEqual(['R']);
    const back = await rt.client(b, opts);
    expect(back.connack!.sessionPresent).toBe(true);
    await waitUntil(() => back.inbox.length >= 30, 5000, '30 queued messages');
    expect(back.inbox.messages.map((m) => m.payload.toString())).toEqual(
      Array.from({ length: 30 }, (_, i) => `m${i}`),
    );
    // Delivered and acknowledged: the queue is gone from Redis, so the next node finds the session empty.
    await sleep(200);
    await back.endAsync();
    await b.stop();
    const c = await node('c');
    const again = await rt.client(c, opts);
    expect(again.connack!.sessionPresent).toBe(true);
    await sleep(300);
    expect(again.inbox.length).toBe(0);
    await again.endAsync();
    await c.stop();
  });

  it('Redis down: persistent CONNECTs get 0x88 / return code 3; a QoS 1 publish to a persistent subscriber is held, then delivered when Redis is back', async () => {
    const n = await node('down', 300);
    const subId = uniqueId('held');
    const opts = {
      protocolVersion: 5 as const,
      clientId: subId,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    };
    const sub = await rt.client(n, opts);
    await sub.subscribeAsync({ 'held/#': { qos: 1 } });
    await sub.endAsync();
    const pub = await rt.client(n, { protocolVersion: 5 });
    await pub.publishAsync('held/0', 'before', { qos: 1 });

    await redis.kill(); // SIGKILL; the AOF (appendfsync always) keeps what it confirmed
    const v5 = await rt.tryConnect(n, {
      protocolVersion: 5,
      clientId: uniqueId('p5'),
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    expect('code' in v5 && v5.code).toBe(0x88);
    const v3 = await rt.tryConnect(n, { protocolVersion: 4, clientId: uniqueId('p3'), clean: false });
    expect('code' in v3 && v3.code).toBe(3);
    // A clean session needs nothing from the store.
    const clean = await rt.client(n, { protocolVersion: 5, clientId: uniqueId('clean') });
    await clean.endAsync();

    let acked = false;
    const held = pub.publishAsync('held/1', 'during', { qos: 1 }).then(() => (acked = true));
    await sleep(800);
    expect(acked).toBe(false); // not acknowledged while it cannot be stored

    await redis.run();
    await held;
    expect(acked).toBe(true);
    const back = await rt.client(n, opts);
    expect(back.connack!.sessionPresent).toBe(true);
    await waitUntil(() => back.inbox.length >= 2, 5000, 'both messages');
    expect(back.inbox.messages.map((m) => m.payload.toString())).toEqual(['before', 'during']);
    // A node that never held it resumes it too, now that Redis answers again.
    const p5 = await rt.client(n, {
      protocolVersion: 5,
      clientId: uniqueId('p5'),
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    expect(p5.connack!.sessionPresent).toBe(false);
  });

  it('Redis down: 3 PUBACKs held (store.maxHeld 3), the next publishes refused with 0x97; all 3 delivered after', async () => {
    const n = await node('bound', 300, 3);
    const opts = {
      protocolVersion: 5 as const,
      clientId: uniqueId('bound'),
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    };
    const sub = await rt.client(n, opts);
    await sub.subscribeAsync({ 'bound/#': { qos: 1 } });
    await sub.endAsync();
    const pub = await rt.client(n, { protocolVersion: 5 });
    await redis.kill();
    const rcs: (number | undefined)[] = [];
    const sent = Array.from({ length: 5 }, (_, i) =>
      pub.publishAsync(`bound/${i}`, `m${i}`, { qos: 1 }).then(
        (p) => (rcs[i] = (p as { reasonCode?: number } | undefined)?.reasonCode ?? 0),
        (e: { code?: number }) => (rcs[i] = e.code),
      ),
    );
    await sleep(800);
    expect(rcs.filter((x) => x !== undefined)).toEqual([]); // nothing answered while Redis is away
    expect(n.broker.stats.dropped['store-backlog']).toBe(2);
    await redis.run();
    await Promise.all(sent);
    expect(rcs).toEqual([0, 0, 0, 0x97, 0x97]);
    const back = await rt.client(n, opts);
    await waitUntil(() => back.inbox.length >= 3, 5000, 'the 3 acknowledged messages');
    expect(back.inbox.messages.map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2']);
  });
});
