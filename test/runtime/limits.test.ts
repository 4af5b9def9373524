// Every limit of core/config.ts `limits` (and the `features` switches)
// enforced end to end, with the right v5 reason code / 3.1.1 behaviour.

import { describe, it, expect } from 'vitest';
import type {
  IPublishPacket,
  IPubackPacket,
  IPubrecPacket,
  ISubackPacket,
  IDisconnectPacket,
} from 'mqtt-packet';
import {
  useRuntime,
  isolated,
  VERSIONS,
  sleep,
  waitUntil,
  uniqueId,
  publishPacket,
  type TestClient,
} from '../helpers/runtime.ts';

const rt = useRuntime();

const suback = (c: TestClient): ISubackPacket =>
  c.packetsIn.filter((p) => p.cmd === 'suback').at(-1) as ISubackPacket;
const subscribeRaw = (c: TestClient, topic: string, qos: 0 | 1 | 2 = 1): Promise<ISubackPacket> =>
  new Promise((r) => c.subscribe(topic, { qos }, () => r(suback(c))));

describe('maxPacketSize', () => {
  it('v5: CONNACK advertises it; a larger PUBLISH gets DISCONNECT 0x95; another client is unaffected', async () => {
    const srv = await rt.server({ limits: { maxPacketSize: 1024 } });
    const bystander = await rt.client(srv, { protocolVersion: 5 });
    await bystander.subscribeAsync('mps/#', { qos: 1 });
    const c = await rt.client(srv, { protocolVersion: 5 });
    expect(c.connack.properties?.maximumPacketSize).toBe(1024);
    await c.publishAsync('mps/ok', Buffer.alloc(900, 1), { qos: 1 }); // under the limit
    c.publish('mps/big', Buffer.alloc(2000, 2), { qos: 0 });
    await waitUntil(() => c.disconnects.length > 0, 2000, 'DISCONNECT');
    expect(c.disconnects[0].reasonCode).toBe(0x95);
    await waitUntil(() => c.isClosed(), 2000, 'close');
    await bystander.inbox.waitFor(1);
    await sleep(100);
    expect(bystander.inbox.topics()).toEqual(['mps/ok']);
    expect(srv.broker.stats.closedByReason['0x95']).toBe(1);
    expect(bystander.isClosed()).toBe(false);
  });

  it('v3.1.1: a larger PUBLISH closes the connection', async () => {
    const srv = await rt.server({ limits: { maxPacketSize: 1024 } });
    const c = await rt.client(srv, { protocolVersion: 4 });
    c.publish('mps/big', Buffer.alloc(2000, 2), { qos: 0 });
    await waitUntil(() => c.isClosed(), 2000, 'close');
    expect(srv.broker.connectedCount).toBe(0);
  });

  it("v5: a message larger than the client's Maximum Packet Size is not sent to it (dropped, connection kept)", async () => {
    const srv = await rt.server();
    const small = await rt.client(srv, { protocolVersion: 5, properties: { maximumPacketSize: 200 } });
    await small.subscribeAsync('cmps/t', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('cmps/t', Buffer.alloc(500, 1), { qos: 1 });
    await pub.publishAsync('cmps/t', 'small', { qos: 1 });
    await small.inbox.waitFor(1);
    await sleep(100);
    expect(small.inbox.payloads()).toEqual(['small']);
    expect(srv.broker.stats.dropped['packet-too-large']).toBe(1);
    expect(small.isClosed()).toBe(false);
  });
});

describe('maxClientIdLength', () => {
  const id24 = 'abcdefghijklmnopqrstuvwx';
  it('v5: a too long client id gets CONNACK 0x85', async () => {
    const srv = await rt.server({ limits: { maxClientIdLength: 23 } });
    const res = await rt.tryConnect(srv, { protocolVersion: 5, clientId: id24 });
    expect('code' in res && res.code).toBe(0x85);
    const ok = await rt.client(srv, { protocolVersion: 5, clientId: id24.slice(0, 23) });
    expect(ok.connack.reasonCode).toBe(0);
  });

  it('v3.1.1: a too long client id gets return code 2 (identifier rejected)', async () => {
    const srv = await rt.server({ limits: { maxClientIdLength: 23 } });
    const res = await rt.tryConnect(srv, { protocolVersion: 4, clientId: id24 });
    expect('code' in res && res.code).toBe(2);
    expect(srv.broker.stats.connectsRejected).toBe(1);
  });
});

describe.each(VERSIONS)('maxTopicLevels, protocol version %i', (protocolVersion) => {
  it('a filter with too many levels is refused in SUBACK; one at the limit is granted', async () => {
    const srv = await rt.server({ limits: { maxTopicLevels: 3 } });
    const c = await rt.client(srv, { protocolVersion });
    expect((await subscribeRaw(c, 'a/b/c/d')).granted).toEqual([protocolVersion === 5 ? 0x8f : 0x80]);
    expect((await subscribeRaw(c, 'a/b/c')).granted).toEqual([1]);
    expect(c.isClosed()).toBe(false);
  });

  it('a QoS 1 PUBLISH with too many levels is refused (v5 PUBACK 0x90) and not routed', async () => {
    const srv = await rt.server({ limits: { maxTopicLevels: 3 } });
    const sub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('#', { qos: 1 });
    const r = await rt.raw(srv, protocolVersion);
    await r.connect();
    r.send(publishPacket('a/b/c/d', 'deep', 1, 11));
    const ack = await r.waitFor<IPubackPacket>('puback');
    expect(ack.messageId).toBe(11);
    if (protocolVersion === 5) expect(ack.reasonCode).toBe(0x90);
    r.send(publishPacket('a/b/c', 'ok', 1, 12));
    await sub.inbox.waitFor(1);
    await sleep(100);
    expect(sub.inbox.topics()).toEqual(['a/b/c']);
    expect(r.closed).toBe(false);
  });
});

describe('maxInflight', () => {
  it('a subscriber that does not acknowledge has at most maxInflight QoS 1 messages in flight', async () => {
    const srv = await rt.server({ limits: { maxInflight: 2 } });
    const clientId = uniqueId('inf');
    const r = await rt.raw(srv, 4);
    await r.connect({ clientId });
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'inf/t', qos: 1 }] });
    await r.waitFor('suback');
    const pub = await rt.client(srv, { protocolVersion: 4 });
    for (let i = 0; i < 5; i++) await pub.publishAsync('inf/t', `m${i}`, { qos: 1 });
    await waitUntil(() => r.of('publish').length >= 2, 2000, '2 PUBLISH');
    await sleep(200);
    expect(r.of<IPublishPacket>('publish').map((p) => p.payload.toString())).toEqual(['m0', 'm1']);
    const s = srv.broker.sessions.get(clientId)!;
    expect(s.inflight.size).toBe(2);
    expect(s.queued).toBe(3);
    // Each PUBACK opens the window for exactly one more.
    r.send({ cmd: 'puback', messageId: r.of<IPublishPacket>('publish')[0].messageId });
    await waitUntil(() => r.of('publish').length >= 3, 2000, '3rd PUBLISH');
    await sleep(100);
    expect(r.of<IPublishPacket>('publish').map((p) => p.payload.toString())).toEqual(['m0', 'm1', 'm2']);
    for (const p of r.of<IPublishPacket>('publish').slice(1))
      r.send({ cmd: 'puback', messageId: p.messageId });
    await waitUntil(() => r.of('publish').length === 5, 2000, 'all PUBLISH');
    for (const p of r.of<IPublishPacket>('publish').slice(3))
      r.send({ cmd: 'puback', messageId: p.messageId });
    await waitUntil(() => s.inflight.size === 0 && s.queued === 0, 2000, 'drain');
  });

  it('a QoS 2 message counts against the window until PUBCOMP, not just until PUBREC', async () => {
    const srv = await rt.server({ limits: { maxInflight: 1 } });
    const clientId = uniqueId('inf2');
    const r = await rt.raw(srv, 4);
    await r.connect({ clientId });
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'inf2/t', qos: 2 }] });
    await r.waitFor('suback');
    const pub = await rt.client(srv, { protocolVersion: 4 });
    await pub.publishAsync('inf2/t', 'first', { qos: 2 });
    await pub.publishAsync('inf2/t', 'second', { qos: 2 });
    const p1 = await r.waitFor<IPublishPacket>('publish');
    r.send({ cmd: 'pubrec', messageId: p1.messageId });
    await r.waitFor('pubrel');
    await sleep(150);
    expect(r.of('publish')).toHaveLength(1); // still waiting for PUBCOMP
    r.send({ cmd: 'pubcomp', messageId: p1.messageId });
    const p2 = await r.waitFor<IPublishPacket>(
      'publish',
      (p) => p.messageId !== p1.messageId || p.payload.toString() === 'second',
    );
    expect(p2.payload.toString()).toBe('second');
  });

  it("v5: the client's Receive Maximum bounds the window too", async () => {
    const srv = await rt.server({ limits: { maxInflight: 10 } });
    const clientId = uniqueId('rm');
    const r = await rt.raw(srv, 5);
    await r.connect({ clientId, properties: { receiveMaximum: 1 } });
    r.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: 'rm/t', qos: 2, nl: false, rap: false, rh: 0 }],
    });
    await r.waitFor('suback');
    const pub = await rt.client(srv, { protocolVersion: 5 });
    for (let i = 0; i < 3; i++) await pub.publishAsync('rm/t', `m${i}`, { qos: 2 });
    await r.waitFor('publish');
    await sleep(200);
    expect(r.of('publish')).toHaveLength(1);
    expect(srv.broker.sessions.get(clientId)!.inflight.size).toBe(1);
  });
});

describe('maxQueuedMessages', () => {
  it('drop-oldest: an offline session keeps the newest N, drops are counted as queue-full', async () => {
    const srv = await rt.server({ limits: { maxQueuedMessages: 2 } });
    const clientId = uniqueId('q');
    const opts = {
      protocolVersion: 5 as const,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 30 },
    };
    const sub = await rt.client(srv, opts);
    await sub.subscribeAsync('q/t', { qos: 1 });
    await sub.endAsync();
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
    const pub = await rt.client(srv, { protocolVersion: 5 });
    for (let i = 0; i < 5; i++) await pub.publishAsync('q/t', `m${i}`, { qos: 1 });
    expect(srv.broker.stats.dropped['queue-full']).toBe(3);
    expect(srv.broker.sessions.get(clientId)!.queued).toBe(2);
    const again = await rt.client(srv, opts);
    await again.inbox.waitFor(2);
    await sleep(100);
    expect(again.inbox.payloads()).toEqual(['m3', 'm4']);
  });

  it('drop-oldest: a full offline queue does not keep growing in memory', async () => {
    const srv = await rt.server({ limits: { maxQueuedMessages: 10 } });
    const clientId = uniqueId('qleak');
    const sub = await rt.client(srv, { protocolVersion: 4, clientId, clean: false });
    await sub.subscribeAsync('qleak/t', { qos: 0 });
    await sub.endAsync();
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
    const pub = await rt.client(srv, { protocolVersion: 4 });
    const n = 5000;
    for (let i = 0; i < n; i++) pub.publish('qleak/t', `m${i}`, { qos: 0 });
    await pub.publishAsync('qleak/t', 'last', { qos: 1 });
    const s = srv.broker.sessions.get(clientId)!;
    expect(s.queued).toBe(10);
    expect(srv.broker.stats.dropped['queue-full']).toBe(n + 1 - 10);
    // The backing array must stay proportional to the limit, not to the traffic.
    const backing = (s as unknown as { queue: unknown[] }).queue.length;
    expect(backing).toBeLessThan(2 * 1024 + 10);
    const again = await rt.client(srv, { protocolVersion: 4, clientId, clean: false });
    await again.inbox.waitFor(10);
    expect(again.inbox.payloads().at(-1)).toBe('last');
  });

  it('drop-new: an offline session keeps the oldest N', async () => {
    const srv = await rt.server({ limits: { maxQueuedMessages: 2 }, session: { dropPolicy: 'drop-new' } });
    const clientId = uniqueId('qn');
    const opts = { protocolVersion: 4 as const, clientId, clean: false };
    const sub = await rt.client(srv, opts);
    await sub.subscribeAsync('qn/t', { qos: 1 });
    await sub.endAsync();
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
    const pub = await rt.client(srv, { protocolVersion: 4 });
    for (let i = 0; i < 5; i++) await pub.publishAsync('qn/t', `m${i}`, { qos: 1 });
    expect(srv.broker.stats.dropped['queue-full']).toBe(3);
    const again = await rt.client(srv, opts);
    await again.inbox.waitFor(2);
    await sleep(100);
    expect(again.inbox.payloads()).toEqual(['m0', 'm1']);
  });
});

describe('maxConnections', () => {
  it('v5: the connection over the limit gets CONNACK 0x97; a slot frees on disconnect', async () => {
    const srv = await rt.server({ limits: { maxConnections: 2 } });
    await rt.client(srv, { protocolVersion: 5 });
    const b = await rt.client(srv, { protocolVersion: 5 });
    const res = await rt.tryConnect(srv, { protocolVersion: 5 });
    expect('code' in res && res.code).toBe(0x97);
    await b.endAsync();
    await waitUntil(() => srv.broker.connectedCount === 1, 2000, 'slot to free');
    const c = await rt.client(srv, { protocolVersion: 5 });
    expect(c.connack.reasonCode).toBe(0);
  });

  it('v3.1.1: the connection over the limit gets return code 3 (server unavailable)', async () => {
    const srv = await rt.server({ limits: { maxConnections: 1 } });
    await rt.client(srv, { protocolVersion: 4 });
    const res = await rt.tryConnect(srv, { protocolVersion: 4 });
    expect('code' in res && res.code).toBe(3);
  });

  it('at the limit, a client taking over its own (say half-open) connection is still let in', async () => {
    const srv = await rt.server({ limits: { maxConnections: 1 } });
    const a = await rt.raw(srv, 5);
    await a.connect({ clientId: 'stuck-device' });
    const b = await rt.raw(srv, 5);
    const ack = await b.connect({ clientId: 'stuck-device' });
    expect(ack.reasonCode).toBe(0);
    await a.waitClosed(2000);
    expect(srv.broker.connectedCount).toBe(1);
  });
});

describe('topicAliasMaximum', () => {
  it('CONNACK advertises it; an alias above it gets DISCONNECT 0x94', async () => {
    const srv = await rt.server({ limits: { topicAliasMaximum: 2 } });
    const r = await rt.raw(srv, 5);
    const ack = await r.connect();
    expect(ack.properties?.topicAliasMaximum).toBe(2);
    r.send(publishPacket('tam/t', 'ok', 0, undefined, { properties: { topicAlias: 2 } }));
    r.send(publishPacket('tam/t', 'bad', 0, undefined, { properties: { topicAlias: 3 } }));
    const d = await r.waitFor<IDisconnectPacket>('disconnect');
    expect(d.reasonCode).toBe(0x94);
    await r.waitClosed();
  });

  it('topicAliasMaximum 0: not advertised, any alias gets DISCONNECT 0x94', async () => {
    const srv = await rt.server({ limits: { topicAliasMaximum: 0 } });
    const r = await rt.raw(srv, 5);
    const ack = await r.connect();
    expect(ack.properties?.topicAliasMaximum).toBeUndefined();
    r.send(publishPacket('tam/t', 'bad', 0, undefined, { properties: { topicAlias: 1 } }));
    const d = await r.waitFor<IDisconnectPacket>('disconnect');
    expect(d.reasonCode).toBe(0x94);
  });
});

describe('receiveMaximum', () => {
  it('CONNACK advertises it; one more unreleased inbound QoS 2 gets DISCONNECT 0x93', async () => {
    const srv = await rt.server({ limits: { receiveMaximum: 2 } });
    const r = await rt.raw(srv, 5);
    const ack = await r.connect();
    expect(ack.properties?.receiveMaximum).toBe(2);
    r.send(publishPacket('rx/t', 'a', 2, 1));
    r.send(publishPacket('rx/t', 'b', 2, 2));
    await waitUntil(() => r.of('pubrec').length === 2, 2000, '2 PUBREC');
    expect(r.closed).toBe(false);
    r.send(publishPacket('rx/t', 'c', 2, 3));
    const d = await r.waitFor<IDisconnectPacket>('disconnect');
    expect(d.reasonCode).toBe(0x93);
    await r.waitClosed();
  });

  it('releasing with PUBREL makes room again', async () => {
    const srv = await rt.server({ limits: { receiveMaximum: 1 } });
    const r = await rt.raw(srv, 5);
    await r.connect();
    for (let pid = 1; pid <= 3; pid++) {
      r.send(publishPacket('rx2/t', 'x', 2, pid));
      await r.waitFor<IPubrecPacket>('pubrec', (p) => p.messageId === pid);
      r.send({ cmd: 'pubrel', messageId: pid });
      await r.waitFor('pubcomp', (p) => (p as { messageId: number }).messageId === pid);
    }
    expect(r.closed).toBe(false);
  });
});

describe.each(VERSIONS)('maxSubscriptionsPerClient, protocol version %i', (protocolVersion) => {
  it('the subscription over the limit is refused (v5 0x97); replacing an existing one is allowed', async () => {
    const srv = await rt.server({ limits: { maxSubscriptionsPerClient: 2 } });
    const c = await rt.client(srv, { protocolVersion });
    expect((await subscribeRaw(c, 'ms/1')).granted).toEqual([1]);
    expect((await subscribeRaw(c, 'ms/2')).granted).toEqual([1]);
    expect((await subscribeRaw(c, 'ms/3')).granted).toEqual([protocolVersion === 5 ? 0x97 : 0x80]);
    expect((await subscribeRaw(c, 'ms/1', 2)).granted).toEqual([2]);
    await c.unsubscribeAsync('ms/2');
    expect((await subscribeRaw(c, 'ms/3')).granted).toEqual([1]);
  });
});

describe('maximumQoS', () => {
  it('v5: CONNACK advertises 1, SUBSCRIBE QoS 2 is granted 1, PUBLISH QoS 2 gets DISCONNECT 0x9B', async () => {
    const srv = await rt.server({ features: { maximumQoS: 1 } });
    const sub = await rt.client(srv, { protocolVersion: 5 });
    expect(sub.connack.properties?.maximumQoS).toBe(1);
    expect((await subscribeRaw(sub, 'mq/t', 2)).granted).toEqual([1]);
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('mq/t', 'q1', { qos: 1 });
    const [m] = await sub.inbox.waitFor(1);
    expect(m.packet.qos).toBe(1);
    pub.publish('mq/t', 'q2', { qos: 2 });
    await waitUntil(() => pub.disconnects.length > 0, 2000, 'DISCONNECT');
    expect(pub.disconnects[0].reasonCode).toBe(0x9b);
    await sleep(100);
    expect(sub.inbox.length).toBe(1);
  });

  it('v5: maximumQoS 0 grants 0 and refuses QoS 1 PUBLISH', async () => {
    const srv = await rt.server({ features: { maximumQoS: 0 } });
    const c = await rt.client(srv, { protocolVersion: 5 });
    expect(c.connack.properties?.maximumQoS).toBe(0);
    expect((await subscribeRaw(c, 'mq0/t', 1)).granted).toEqual([0]);
    c.publish('mq0/t', 'x', { qos: 1 });
    await waitUntil(() => c.disconnects.length > 0, 2000, 'DISCONNECT');
    expect(c.disconnects[0].reasonCode).toBe(0x9b);
  });

  it('v3.1.1: SUBSCRIBE QoS 2 is granted 1', async () => {
    const srv = await rt.server({ features: { maximumQoS: 1 } });
    const c = await rt.client(srv, { protocolVersion: 4 });
    expect((await subscribeRaw(c, 'mq4/t', 2)).granted).toEqual([1]);
  });
});

describe('retainAvailable = false', () => {
  it('v5: CONNACK says so; a retained PUBLISH gets DISCONNECT 0x9A', async () => {
    const srv = await rt.server({ features: { retainAvailable: false } });
    const c = await rt.client(srv, { protocolVersion: 5 });
    expect(c.connack.properties?.retainAvailable).toBe(false);
    c.publish('ra/t', 'x', { qos: 0, retain: true });
    await waitUntil(() => c.disconnects.length > 0, 2000, 'DISCONNECT');
    expect(c.disconnects[0].reasonCode).toBe(0x9a);
    expect(srv.broker.retained.size).toBe(0);
  });

  it('v5: a retained will is refused with CONNACK 0x9A', async () => {
    const srv = await rt.server({ features: { retainAvailable: false } });
    const res = await rt.tryConnect(srv, {
      protocolVersion: 5,
      will: { topic: 'ra/w', payload: Buffer.from('x'), qos: 0, retain: true },
    });
    expect('code' in res && res.code).toBe(0x9a);
  });

  it('v3.1.1: a retained PUBLISH closes the connection', async () => {
    const srv = await rt.server({ features: { retainAvailable: false } });
    const c = await rt.client(srv, { protocolVersion: 4 });
    c.publish('ra/t', 'x', { qos: 0, retain: true });
    await waitUntil(() => c.isClosed(), 2000, 'close');
    expect(srv.broker.retained.size).toBe(0);
  });
});

describe('other feature switches', () => {
  it('wildcardSubscriptionAvailable = false: SUBACK 0xA2 for wildcards', async () => {
    const srv = await rt.server({ features: { wildcardSubscriptionAvailable: false } });
    const c = await rt.client(srv, { protocolVersion: 5 });
    expect(c.connack.properties?.wildcardSubscriptionAvailable).toBe(false);
    expect((await subscribeRaw(c, 'w/+')).granted).toEqual([0xa2]);
    expect((await subscribeRaw(c, 'w/x')).granted).toEqual([1]);
  });

  it('sharedSubscriptionAvailable = false: SUBACK 0x9E for $share', async () => {
    const srv = await rt.server({ features: { sharedSubscriptionAvailable: false } });
    const c = await rt.client(srv, { protocolVersion: 5 });
    expect(c.connack.properties?.sharedSubscriptionAvailable).toBe(false);
    expect((await subscribeRaw(c, '$share/g/t')).granted).toEqual([0x9e]);
  });

  it('subscriptionIdentifierAvailable = false: a subscription identifier gets DISCONNECT 0xA1', async () => {
    const srv = await rt.server({ features: { subscriptionIdentifierAvailable: false } });
    const c = await rt.client(srv, { protocolVersion: 5 });
    expect(c.connack.properties?.subscriptionIdentifiersAvailable).toBe(false);
    c.subscribe('sid/t', { qos: 1, properties: { subscriptionIdentifier: 3 } });
    await waitUntil(() => c.disconnects.length > 0, 2000, 'DISCONNECT');
    expect(c.disconnects[0].reasonCode).toBe(0xa1);
  });
});

describe('maxKeepalive and maxSessionExpiry', () => {
  it('v5: a keep alive above maxKeepalive (or 0) is replaced by Server Keep Alive', async () => {
    const srv = await rt.server({ limits: { maxKeepalive: 5 } });
    const a = await rt.client(srv, { protocolVersion: 5, keepalive: 60 });
    expect(a.connack.properties?.serverKeepAlive).toBe(5);
    const r = await rt.raw(srv, 5);
    const ack = await r.connect({ keepalive: 0 });
    expect(ack.properties?.serverKeepAlive).toBe(5);
    const b = await rt.client(srv, { protocolVersion: 5, keepalive: 3 });
    expect(b.connack.properties?.serverKeepAlive).toBeUndefined();
  });

  it.concurrent(
    'v5: mqtt.js adopts Server Keep Alive and stays connected past 1.5 x maxKeepalive',
    isolated(async (rt) => {
      const srv = await rt.server({ limits: { maxKeepalive: 1 } });
      const c = await rt.client(srv, { protocolVersion: 5, keepalive: 60 });
      expect(c.connack.properties?.serverKeepAlive).toBe(1);
      await sleep(2000);
      expect(c.isClosed()).toBe(false);
      expect(c.packetsIn.some((p) => p.cmd === 'pingresp')).toBe(true);
    }),
  );

  it('v3.1.1: a keep alive above maxKeepalive (or 0) is refused with return code 2, as Mosquitto does', async () => {
    const srv = await rt.server({ limits: { maxKeepalive: 10 } });
    for (const keepalive of [0, 11]) {
      const r = await rt.raw(srv, 4);
      const ack = await r.connect({ keepalive });
      expect(ack.returnCode).toBe(2);
      await r.waitClosed(2000);
    }
    const ok = await rt.raw(srv, 4);
    expect((await ok.connect({ keepalive: 10 })).returnCode).toBe(0);
  });

  it.concurrent(
    'v5: a Session Expiry above maxSessionExpiry is capped, announced in CONNACK and enforced',
    isolated(async (rt) => {
      const srv = await rt.server({ limits: { maxSessionExpiry: 1 } });
      const clientId = uniqueId('mse');
      const a = await rt.client(srv, {
        protocolVersion: 5,
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 3600 },
      });
      expect(a.connack.properties?.sessionExpiryInterval).toBe(1);
      await a.endAsync();
      await waitUntil(() => !srv.broker.sessions.has(clientId), 3000, 'session expiry');
      expect(srv.broker.stats.sessionsExpired).toBe(1);
    }),
  );
});

describe('maxWriteBuffer (slow consumer)', () => {
  it('a subscriber that stops reading is disconnected once its unsent bytes exceed the limit', async () => {
    const srv = await rt.server({ maxWriteBuffer: 65536 });
    const r = await rt.raw(srv, 4);
    await r.connect();
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'slow/t', qos: 0 }] });
    await r.waitFor('suback');
    r.socket.pause(); // stop reading: the kernel buffers fill, then the broker's
    const pub = await rt.client(srv, { protocolVersion: 4 });
    const chunk = Buffer.alloc(256 * 1024, 7);
    for (let i = 0; i < 200 && !srv.broker.stats.dropped['slow-consumer']; i++) {
      await pub.publishAsync('slow/t', chunk, { qos: 1 });
    }
    await waitUntil(() => (srv.broker.stats.dropped['slow-consumer'] ?? 0) >= 1, 3000, 'slow consumer drop');
    await waitUntil(() => srv.broker.connectedCount === 1, 3000, 'slow consumer to be disconnected');
    expect(pub.isClosed()).toBe(false);
  });
});
