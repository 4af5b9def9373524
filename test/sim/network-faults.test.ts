// Network faults as the simulator specifies them: partitions (both ways and
// one way) stall traffic that TCP later delivers or gives up on; clogs
// hold traffic and deliver it later, in order, losing nothing; resets close
// both ends at once. Latency is fixed at 1 ms where timings are checked.

import { describe, it, expect } from 'vitest';
import { makeWorld, events, connOf, settle, watchDisconnects } from '../helpers/sim.ts';
import { checkSafety } from '../../sim/checkers.ts';

const fixed = { kind: 'fixed', ms: 1 } as const;

describe('partition', () => {
  it('stalls traffic; the broker closes after 1.5 × keep alive from the last packet; the session resumes after heal', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const K = 10;
    const sub = w.client('sub', {
      target: 'n1',
      clean: false,
      keepalive: K,
      subscriptions: [{ filter: 't', qos: 1 }],
    });
    const pub = w.client('pub', { target: 'n1', keepalive: 600 });
    await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
    await w.sleep(500);
    const disc = watchDisconnects(w, 'n1');
    const lastRx = connOf(w, 'n1', 'sub')!.lastRx;
    expect(lastRx).toBeGreaterThan(0);

    w.isolate('sub');
    expect(events(w, 'fault.partition')).toHaveLength(1);
    pub.publish('t', 1);
    await w.sleep(1000);
    // Stalled: the publisher was acknowledged, the subscriber got nothing, the broker owes it one message.
    expect(events(w, 'pub.ok', { c: 'pub' })).toHaveLength(1);
    expect(sub.received).toEqual([]);
    const session = w.broker('n1').sessions.get('sub')!;
    expect(session.inflight.size).toBe(1);

    // Keep alive K s: the broker gives up at exactly lastRx + 1.5 K s, not before.
    await w.sleep(lastRx + 1500 * K - 1 - w.now);
    expect(disc).toEqual([]);
    expect(session.conn).not.toBeNull();
    expect(w.broker('n1').connectedCount).toBe(2);
    await w.sleep(2);
    expect(disc).toHaveLength(1);
    expect(disc[0]).toMatchObject({ c: 'sub', cause: 'keepalive' });
    expect(disc[0].t).toBeCloseTo(lastRx + 1500 * K, 6);
    expect(w.broker('n1').stats.closedByReason).toEqual({ '0x8d': 1 });
    expect(session.conn).toBeNull();
    expect(session.disconnectedAt).toBeCloseTo(lastRx + 1500 * K, 6);
    expect(w.broker('n1').sessions.get('sub')).toBe(session); // persistent: kept

    // The client, cut off too, sees no PINGRESP and gives up one keep-alive period after its PINGREQ.
    const connackAt = events(w, 'client.connack', { c: 'sub' })[0].t;
    await w.sleep(connackAt + 2000 * K + 5 - w.now);
    const kat = events(w, 'client.keepalive-timeout', { c: 'sub' });
    expect(kat).toHaveLength(1);
    expect(kat[0].t).toBeCloseTo(connackAt + 2000 * K, 6);
    expect(sub.received).toEqual([]);

    w.heal();
    await settle(w, () => sub.connects === 2, 120_000, 'reconnect');
    await w.sleep(100);
    expect(events(w, 'client.connack', { c: 'sub' })[1]).toMatchObject({ present: true });
    // The message the broker owed arrives once, marked as a redelivery.
    expect(sub.received).toEqual([{ id: 'pub:1', topic: 't', qos: 1, dup: true, retain: false }]);
    expect(session.inflight.size).toBe(0);
    expect(pub.connects).toBe(1); // the publisher was never disturbed
  });

  it('without keep alive, a partitioned sender gives up after the TCP user timeout; the silent peer stays half-open', async () => {
    const w = makeWorld({ latency: fixed, tcpUserTimeoutMs: 3000 });
    w.addBroker('n1');
    const c = w.client('c', { target: 'n1', keepalive: 0, clean: false, reconnect: false });
    await settle(w, () => c.connected, 1000, 'connect');
    await w.sleep(10);
    const disc = watchDisconnects(w, 'n1');
    w.isolate('c');
    const cutAt = w.now;
    c.publish('x', 1);
    await w.sleep(2999);
    expect(c.connected).toBe(true);
    await w.sleep(2);
    expect(events(w, 'client.closed', { c: 'c' })).toEqual([
      expect.objectContaining({ reason: 'timeout', was: 'connected' }),
    ]);
    expect(events(w, 'client.closed', { c: 'c' })[0].t).toBeCloseTo(cutAt + 3000, 6);
    // The broker never sent anything, so it never noticed: its side is still "connected".
    await w.sleep(60_000);
    expect(disc).toEqual([]);
    expect(w.broker('n1').sessions.get('c')!.conn).not.toBeNull();
    expect(w.broker('n1').stats.messagesIn).toBe(0);
  });

  it('a connect into a partition times out after connectTimeoutMs', async () => {
    const w = makeWorld({ latency: fixed, connectTimeoutMs: 4000 });
    w.addBroker('n1');
    w.host('c', true);
    w.partition(['c'], ['n1']);
    const c = w.client('c', { target: 'n1', reconnect: false });
    await w.sleep(3999);
    expect(events(w, 'client.closed')).toEqual([]);
    await w.sleep(2);
    const closed = events(w, 'client.closed', { c: 'c' });
    expect(closed).toEqual([expect.objectContaining({ reason: 'timeout', was: 'connecting' })]);
    expect(closed[0].t).toBe(4000);
    expect(c.connected).toBe(false);
    expect(w.broker('n1').stats.connectsAccepted).toBe(0);
  });

  it('partitioning one group from another leaves other paths open', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const a = w.client('a', { target: 'n1', subscriptions: [{ filter: 't', qos: 0 }] });
    const b = w.client('b', { target: 'n1', subscriptions: [{ filter: 't', qos: 0 }] });
    const p = w.client('p', { target: 'n1' });
    await settle(w, () => a.connected && b.connected && p.connected, 1000, 'connect');
    await w.sleep(10);
    w.partition(['a'], ['n1']);
    expect(w.network.partitions).toEqual(['a>n1', 'n1>a']);
    p.publish('t', 0);
    await w.sleep(100);
    expect(b.received.map((m) => m.id)).toEqual(['p:1']);
    expect(a.received).toEqual([]);
  });
});

describe('one-way partition', () => {
  it('client→broker blocked: the client still receives, its own packets wait; after heal they arrive in order', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const c = w.client('c', { target: 'n1', keepalive: 60, subscriptions: [{ filter: 'down', qos: 1 }] });
    const o = w.client('o', { target: 'n1', keepalive: 60, subscriptions: [{ filter: 'up', qos: 1 }] });
    await settle(w, () => c.connected && o.connected, 1000, 'connect');
    await w.sleep(10);

    w.partition(['c'], ['n1'], { oneWay: true });
    expect(w.network.partitions).toEqual(['c>n1']);
    expect(events(w, 'fault.partition')[0]).toMatchObject({ a: 'c', b: 'n1', oneWay: true });
    o.publish('down', 1);
    c.publish('up', 1);
    c.publish('up', 1);
    await w.sleep(5000);
    // broker → client flows...
    expect(c.received.map((m) => m.id)).toEqual(['o:1']);
    // ...client → broker does not: no PUBACK reached the broker, nothing routed, nothing acknowledged.
    expect(w.broker('n1').sessions.get('c')!.inflight.size).toBe(1);
    expect(o.received).toEqual([]);
    expect(events(w, 'pub.ok', { c: 'c' })).toEqual([]);

    w.heal();
    await w.sleep(100);
    expect(o.received.map((m) => m.id)).toEqual(['c:1', 'c:2']);
    expect(events(w, 'pub.ok', { c: 'c' }).map((e) => e.id)).toEqual(['c:1', 'c:2']);
    expect(w.broker('n1').sessions.get('c')!.inflight.size).toBe(0);
    expect(c.received.map((m) => m.id)).toEqual(['o:1']); // not redelivered
    expect(c.connects).toBe(1);
  });

  it('client→broker blocked: the broker hears nothing, closes after 1.5 K, and the client sees that close at once', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const K = 4;
    const c = w.client('c', { target: 'n1', keepalive: K, reconnect: false });
    await settle(w, () => c.connected, 1000, 'connect');
    await w.sleep(10);
    const disc = watchDisconnects(w, 'n1');
    const lastRx = connOf(w, 'n1', 'c')!.lastRx;
    w.partition(['c'], ['n1'], { oneWay: true });
    await w.sleep(20_000);
    expect(disc).toEqual([{ c: 'c', cause: 'keepalive', t: expect.closeTo(lastRx + 1500 * K, 6) }]);
    const closed = events(w, 'client.closed', { c: 'c' });
    expect(closed).toHaveLength(1);
    expect(closed[0].reason).toBe('fin'); // MQTT 3.1.1: the broker just closes; the FIN gets through
    expect(closed[0].t).toBeCloseTo(lastRx + 1500 * K + 1, 6);
    expect(events(w, 'client.keepalive-timeout')).toEqual([]);
  });

  it('broker→client blocked: publishes get through but no acks come back; the client times out its keep alive', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const K = 5;
    const c = w.client('c', {
      target: 'n1',
      keepalive: K,
      reconnect: false,
      subscriptions: [{ filter: 'down', qos: 0 }],
    });
    const o = w.client('o', { target: 'n1', keepalive: 600, subscriptions: [{ filter: 'up', qos: 1 }] });
    await settle(w, () => c.connected && o.connected, 1000, 'connect');
    await w.sleep(10);
    const disc = watchDisconnects(w, 'n1');
    w.partition(['n1'], ['c'], { oneWay: true });
    c.publish('up', 1);
    o.publish('down', 0);
    await w.sleep(100);
    expect(o.received.map((m) => m.id)).toEqual(['c:1']);
    expect(events(w, 'pub.ok', { c: 'c' })).toEqual([]);
    expect(c.received).toEqual([]);
    await w.sleep(3 * K * 1000);
    // The client's PINGREQs reach the broker (it keeps the connection); the PINGRESPs do not.
    expect(events(w, 'client.keepalive-timeout', { c: 'c' })).toHaveLength(1);
    expect(events(w, 'client.closed', { c: 'c' })[0].reason).toBe('keepalive');
    // The client reset its side; that RST reached the broker (c→n1 is open).
    expect(disc).toEqual([expect.objectContaining({ c: 'c', cause: 'transport' })]);
    expect(w.broker('n1').stats.closedByReason).toEqual({});
  });
});

describe('clog', () => {
  it('holds traffic and delivers it later, in order, with nothing lost or duplicated', async () => {
    // Random latencies: ordering must come from the stream, not from luck.
    const w = makeWorld({ seed: 'clog', latency: { kind: 'exponential', min: 0.5, mean: 20 } });
    w.addBroker('n1');
    const sub = w.client('sub', { target: 'n1', keepalive: 60, subscriptions: [{ filter: 'c/#', qos: 2 }] });
    const pub = w.client('pub', { target: 'n1', keepalive: 60, version: 5 });
    await settle(w, () => sub.connected && pub.connected, 5000, 'connect');
    await w.sleep(500);
    const subscribedAt = w.now;

    w.clog(['pub'], ['n1']);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push(pub.publish('c/x', (i % 3) as 0 | 1 | 2));
      await w.sleep(10);
    }
    await w.sleep(10_000);
    expect(sub.received).toEqual([]);
    expect(w.broker('n1').stats.messagesIn).toBe(0);
    const byQos = (q: number) => ids.filter((_, i) => i % 3 === q);
    // QoS 0 is "ok" once written; QoS 1/2 wait for acknowledgements that cannot come yet.
    expect(events(w, 'pub.ok', { c: 'pub' }).map((e) => e.id)).toEqual(byQos(0));
    expect(pub.connected).toBe(true);

    w.unclog();
    expect(events(w, 'fault.unclog')).toHaveLength(1);
    await w.sleep(5000);
    expect(sub.received.map((m) => m.id)).toEqual(ids);
    expect(sub.received.every((m) => !m.dup)).toBe(true);
    expect(pub.inflight).toBe(0);
    const oks = events(w, 'pub.ok', { c: 'pub' }).map((e) => e.id as string);
    expect([...oks].sort()).toEqual([...ids].sort());
    for (const q of [1, 2]) expect(oks.filter((id) => byQos(q).includes(id))).toEqual(byQos(q)); // acks in order per QoS
    expect(events(w, 'drop')).toEqual([]);
    expect(sub.connects).toBe(1);
    expect(pub.connects).toBe(1);
    expect(checkSafety(w.history.events, [{ client: 'sub', filter: 'c/#', from: subscribedAt }])).toEqual([]);
  });

  it('is not loss: a clog longer than the TCP user timeout does not kill the connection (a partition does)', async () => {
    for (const fault of ['clog', 'partition'] as const) {
      const w = makeWorld({ latency: fixed, tcpUserTimeoutMs: 2000 });
      w.addBroker('n1');
      const c = w.client('c', { target: 'n1', keepalive: 0, reconnect: false });
      await settle(w, () => c.connected, 1000, 'connect');
      w[fault](['c'], ['n1']);
      c.publish('x', 1);
      await w.sleep(5000);
      if (fault === 'clog') {
        expect(c.connected).toBe(true);
        w.unclog();
        await w.sleep(10);
        expect(events(w, 'pub.ok', { c: 'c' })).toHaveLength(1);
      } else {
        expect(c.connected).toBe(false);
        expect(events(w, 'client.closed', { c: 'c' })[0].reason).toBe('timeout');
      }
    }
  });

  it('one-way clog: the publisher is acknowledged, the subscriber gets everything later in order', async () => {
    const w = makeWorld({ seed: 3, latency: { kind: 'uniform', min: 1, max: 30 } });
    w.addBroker('n1');
    const sub = w.client('sub', { target: 'n1', keepalive: 60, subscriptions: [{ filter: 'q', qos: 1 }] });
    const pub = w.client('pub', { target: 'n1', keepalive: 60 });
    await settle(w, () => sub.connected && pub.connected, 5000, 'connect');
    await w.sleep(200);
    w.clog(['n1'], ['sub'], { oneWay: true });
    const ids = Array.from({ length: 20 }, () => pub.publish('q', 1));
    await w.sleep(3000);
    expect(events(w, 'pub.ok', { c: 'pub' })).toHaveLength(20);
    expect(sub.received).toEqual([]);
    // The broker sent them (its outbound window is full of unacknowledged messages).
    expect(w.broker('n1').sessions.get('sub')!.inflight.size).toBe(20);
    w.unclog();
    await w.sleep(1000);
    expect(sub.received.map((m) => m.id)).toEqual(ids);
    expect(w.broker('n1').sessions.get('sub')!.inflight.size).toBe(0);
  });
});

describe('resetConnections', () => {
  it('resets both ends at once: the client sees a reset and reconnects, the broker publishes the will', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const c = w.client('c', {
      target: 'n1',
      clean: false,
      keepalive: 60,
      will: { topic: 'status/c', payload: 'offline', qos: 1 },
      subscriptions: [{ filter: 'cmd', qos: 1 }],
    });
    const watcher = w.client('watcher', {
      target: 'n1',
      keepalive: 60,
      subscriptions: [{ filter: 'status/#', qos: 1 }],
    });
    await settle(w, () => c.connected && watcher.connected, 1000, 'connect');
    await w.sleep(10);
    const disc = watchDisconnects(w, 'n1');
    const t0 = w.now;
    w.resetConnections('c', 'n1');
    const fault = events(w, 'fault.reset');
    expect(fault).toHaveLength(1);
    expect(fault[0]).toMatchObject({ a: 'c', b: 'n1' });
    expect(fault[0].n).toBeGreaterThan(0);
    // Both sides closed in the same instant.
    expect(events(w, 'client.closed', { c: 'c' })).toEqual([
      expect.objectContaining({ reason: 'reset', was: 'connected', t: t0 }),
    ]);
    expect(disc).toEqual([{ c: 'c', cause: 'transport', t: t0 }]);
    expect(events(w, 'will', { c: 'c' })).toHaveLength(1);
    await w.sleep(100);
    expect(watcher.received.map((m) => m.id)).toEqual(['offline']);
    // Other connections are untouched.
    expect(watcher.connects).toBe(1);
    expect(w.broker('n1').connectedCount).toBe(1);
    await settle(w, () => c.connected, 60_000, 'reconnect');
    expect(events(w, 'client.connack', { c: 'c' })[1]).toMatchObject({ present: true });
    expect(c.connects).toBe(2);
  });

  it('resetting hosts with no connections between them is a no-op', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    w.addBroker('n2');
    const c = w.client('c', { target: 'n1' });
    await settle(w, () => c.connected, 1000, 'connect');
    w.resetConnections('c', 'n2');
    expect(events(w, 'fault.reset')[0]).toMatchObject({ n: 0 });
    await w.sleep(100);
    expect(c.connected).toBe(true);
    expect(events(w, 'client.closed')).toEqual([]);
  });
});
