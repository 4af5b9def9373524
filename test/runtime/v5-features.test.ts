// MQTT 5 features (and shared subscriptions, $SYS) end to end over real TCP
// with mqtt.js: shared subscriptions, topic aliases, message expiry,
// properties pass-through, subscription identifiers, No Local, $SYS.

import { describe, it, expect } from 'vitest';
import type { IPublishPacket, IPubackPacket, ISubackPacket } from 'mqtt-packet';
import {
  useRuntime,
  isolated,
  VERSIONS,
  sleep,
  waitUntil,
  uniqueId,
  publishPacket,
} from '../helpers/runtime.ts';

const rt = useRuntime();

describe.each(VERSIONS)('shared subscriptions, protocol version %i', (protocolVersion) => {
  it('$share/g/topic delivers each message to exactly one member, round robin', async () => {
    const srv = await rt.server();
    const a = await rt.client(srv, { protocolVersion });
    const b = await rt.client(srv, { protocolVersion });
    await a.subscribeAsync('$share/g/sh/t', { qos: 1 });
    await b.subscribeAsync('$share/g/sh/t', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion });
    for (let i = 0; i < 6; i++) await pub.publishAsync('sh/t', `m${i}`, { qos: 1 });
    await waitUntil(() => a.inbox.length + b.inbox.length === 6, 2000, '6 deliveries');
    await sleep(150);
    expect(a.inbox.length + b.inbox.length).toBe(6);
    expect(a.inbox.length).toBe(3);
    expect(b.inbox.length).toBe(3);
    const all = [...a.inbox.payloads(), ...b.inbox.payloads()].sort();
    expect(all).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    // Delivered with the plain topic name, not the $share filter.
    expect(new Set([...a.inbox.topics(), ...b.inbox.topics()])).toEqual(new Set(['sh/t']));
  });

  it('two groups each get every message once; a plain subscriber gets them too', async () => {
    const srv = await rt.server();
    const g1a = await rt.client(srv, { protocolVersion });
    const g1b = await rt.client(srv, { protocolVersion });
    const g2 = await rt.client(srv, { protocolVersion });
    const plain = await rt.client(srv, { protocolVersion });
    await g1a.subscribeAsync('$share/one/sh2/+', { qos: 1 });
    await g1b.subscribeAsync('$share/one/sh2/+', { qos: 1 });
    await g2.subscribeAsync('$share/two/sh2/+', { qos: 1 });
    await plain.subscribeAsync('sh2/+', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion });
    for (let i = 0; i < 4; i++) await pub.publishAsync('sh2/x', `m${i}`, { qos: 1 });
    await g2.inbox.waitFor(4);
    await plain.inbox.waitFor(4);
    await waitUntil(() => g1a.inbox.length + g1b.inbox.length === 4, 2000, 'group one deliveries');
    await sleep(150);
    expect([...g1a.inbox.payloads(), ...g1b.inbox.payloads()].sort()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(g2.inbox.payloads()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(plain.inbox.payloads()).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('$queue/topic behaves as one shared group', async () => {
    const srv = await rt.server();
    const a = await rt.client(srv, { protocolVersion });
    const b = await rt.client(srv, { protocolVersion });
    await a.subscribeAsync('$queue/q/t', { qos: 1 });
    await b.subscribeAsync('$queue/q/t', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion });
    for (let i = 0; i < 4; i++) await pub.publishAsync('q/t', `m${i}`, { qos: 1 });
    await waitUntil(() => a.inbox.length + b.inbox.length === 4, 2000, '4 deliveries');
    await sleep(150);
    expect(a.inbox.length).toBe(2);
    expect(b.inbox.length).toBe(2);
  });

  it('a disconnected member stops receiving; the remaining member gets everything', async () => {
    const srv = await rt.server();
    const a = await rt.client(srv, { protocolVersion });
    const b = await rt.client(srv, { protocolVersion });
    await a.subscribeAsync('$share/g/sh3/t', { qos: 1 });
    await b.subscribeAsync('$share/g/sh3/t', { qos: 1 });
    await b.endAsync();
    await waitUntil(() => srv.broker.connectedCount === 1, 2000, 'b to disconnect');
    const pub = await rt.client(srv, { protocolVersion });
    for (let i = 0; i < 3; i++) await pub.publishAsync('sh3/t', `m${i}`, { qos: 1 });
    await a.inbox.waitFor(3);
    expect(a.inbox.payloads()).toEqual(['m0', 'm1', 'm2']);
  });

  it('shared subscriptions do not receive retained messages on subscribe', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion });
    await pub.publishAsync('sh4/t', 'retained', { qos: 1, retain: true });
    const a = await rt.client(srv, { protocolVersion });
    await a.subscribeAsync('$share/g/sh4/t', { qos: 1 });
    await sleep(200);
    expect(a.inbox.length).toBe(0);
    await pub.publishAsync('sh4/t', 'live', { qos: 1 });
    await a.inbox.waitFor(1);
    expect(a.inbox.payloads()).toEqual(['live']);
  });

  it('an invalid share name is refused in SUBACK', async () => {
    const srv = await rt.server();
    const a = await rt.client(srv, { protocolVersion });
    await new Promise<void>((r) => a.subscribe('$share//t', { qos: 1 }, () => r()));
    const suback = a.packetsIn.find((p) => p.cmd === 'suback') as ISubackPacket;
    expect(suback.granted).toEqual([protocolVersion === 5 ? 0x8f : 0x80]);
  });
});

describe('shared subscription strategy', () => {
  it("sharedSubscriptionStrategy 'random': every message reaches exactly one member of the group", async () => {
    const srv = await rt.server({ sharedSubscriptionStrategy: 'random' });
    const members = await Promise.all([0, 1, 2].map(() => rt.client(srv, { protocolVersion: 5 })));
    for (const m of members) await m.subscribeAsync('$share/r/rnd/t', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    const n = 30;
    for (let i = 0; i < n; i++) await pub.publishAsync('rnd/t', `m${i}`, { qos: 1 });
    const total = () => members.reduce((a, m) => a + m.inbox.length, 0);
    await waitUntil(() => total() === n, 2000, `${n} deliveries`);
    await sleep(100);
    expect(total()).toBe(n);
    const all = members.flatMap((m) => m.inbox.payloads()).sort();
    expect(all).toEqual(Array.from({ length: n }, (_, i) => `m${i}`).sort());
  });
});

describe('v5 shared subscription rules', () => {
  it('No Local on a shared subscription is a protocol error (DISCONNECT 0x82)', async () => {
    const srv = await rt.server();
    const r = await rt.raw(srv, 5);
    await r.connect();
    r.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: '$share/g/t', qos: 1, nl: true, rap: false, rh: 0 }],
    });
    const d = await r.waitFor('disconnect');
    expect((d as { reasonCode?: number }).reasonCode).toBe(0x82);
    await r.waitClosed();
  });
});

describe('topic aliases', () => {
  it('the broker resolves a topic alias set by the client', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 5 });
    await sub.subscribeAsync('ta/in', { qos: 1 });
    const r = await rt.raw(srv, 5);
    await r.connect();
    r.send(publishPacket('ta/in', 'first', 1, 1, { properties: { topicAlias: 3 } }));
    r.send(publishPacket('', 'second', 1, 2, { properties: { topicAlias: 3 } }));
    r.send(publishPacket('', 'third', 0, undefined, { properties: { topicAlias: 3 } }));
    await sub.inbox.waitFor(3);
    expect(sub.inbox.topics()).toEqual(['ta/in', 'ta/in', 'ta/in']);
    expect(sub.inbox.payloads()).toEqual(['first', 'second', 'third']);
    // The alias is not forwarded to a subscriber that did not ask for aliases.
    expect(sub.inbox.messages.every((m) => m.packet.properties?.topicAlias === undefined)).toBe(true);
    expect(r.closed).toBe(false);
  });

  it('mqtt.js publishing with a topicAlias property works', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 5 });
    await sub.subscribeAsync('ta/js', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    expect(pub.connack.properties?.topicAliasMaximum).toBeGreaterThan(0);
    await pub.publishAsync('ta/js', 'a', { qos: 1, properties: { topicAlias: 1 } });
    await pub.publishAsync('', 'b', { qos: 1, properties: { topicAlias: 1 } });
    await sub.inbox.waitFor(2);
    expect(sub.inbox.topics()).toEqual(['ta/js', 'ta/js']);
    expect(sub.inbox.payloads()).toEqual(['a', 'b']);
  });

  it('an unknown alias with an empty topic is a protocol error (DISCONNECT 0x82)', async () => {
    const srv = await rt.server();
    const r = await rt.raw(srv, 5);
    await r.connect();
    r.send(publishPacket('', 'x', 0, undefined, { properties: { topicAlias: 5 } }));
    const d = await r.waitFor('disconnect');
    expect((d as { reasonCode?: number }).reasonCode).toBe(0x82);
    await r.waitClosed();
  });

  it('a client that advertises Topic Alias Maximum receives aliased PUBLISHes', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 5, properties: { topicAliasMaximum: 1 } });
    await sub.subscribeAsync('ta/out/#', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('ta/out/a', '1', { qos: 1 });
    await pub.publishAsync('ta/out/a', '2', { qos: 1 });
    await pub.publishAsync('ta/out/b', '3', { qos: 1 });
    await pub.publishAsync('ta/out/a', '4', { qos: 1 });
    await sub.inbox.waitFor(4);
    // mqtt.js resolves the aliases back to topic names.
    expect(sub.inbox.topics()).toEqual(['ta/out/a', 'ta/out/a', 'ta/out/b', 'ta/out/a']);
    expect(sub.inbox.payloads()).toEqual(['1', '2', '3', '4']);
    const wire = sub.packetsIn.filter((p) => p.cmd === 'publish') as IPublishPacket[];
    expect(wire.map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
      ['ta/out/a', 1], // alias established
      ['', 1], // alias used
      ['ta/out/b', undefined], // no alias left (maximum 1)
      ['', 1],
    ]);
    expect(sub.isClosed()).toBe(false);
  });
});

describe('topic aliases are per connection', () => {
  it('an alias set on a previous connection is unknown after reconnecting (DISCONNECT 0x82)', async () => {
    const srv = await rt.server();
    const clientId = uniqueId('tar');
    const r1 = await rt.raw(srv, 5);
    await r1.connect({ clientId, clean: false, properties: { sessionExpiryInterval: 30 } });
    r1.send(publishPacket('tar/t', 'set', 1, 1, { properties: { topicAlias: 1 } }));
    await r1.waitFor('puback');
    r1.socket.destroy();
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
    const r2 = await rt.raw(srv, 5);
    await r2.connect({ clientId, clean: false, properties: { sessionExpiryInterval: 30 } });
    r2.send(publishPacket('', 'use', 1, 2, { properties: { topicAlias: 1 } }));
    const d = await r2.waitFor('disconnect');
    expect((d as { reasonCode?: number }).reasonCode).toBe(0x82);
  });
});

describe('message expiry', () => {
  it.concurrent(
    'a queued message whose Message Expiry Interval elapsed is not delivered to the offline subscriber',
    isolated(async (rt) => {
      const srv = await rt.server();
      const clientId = uniqueId('mx');
      const opts = {
        protocolVersion: 5 as const,
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 30 },
      };
      const sub = await rt.client(srv, opts);
      await sub.subscribeAsync('mx/t', { qos: 1 });
      await sub.endAsync();
      await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
      const pub = await rt.client(srv, { protocolVersion: 5 });
      await pub.publishAsync('mx/t', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
      await pub.publishAsync('mx/t', 'forever', { qos: 1 });
      await sleep(1300);
      const again = await rt.client(srv, opts);
      expect(again.connack.sessionPresent).toBe(true);
      await again.inbox.waitFor(1);
      await sleep(150);
      expect(again.inbox.payloads()).toEqual(['forever']);
      expect(srv.broker.stats.dropped.expired).toBe(1);
    }),
  );

  it.concurrent(
    'a delivered queued message carries the decremented Message Expiry Interval',
    isolated(async (rt) => {
      const srv = await rt.server();
      const clientId = uniqueId('mx2');
      const opts = {
        protocolVersion: 5 as const,
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 30 },
      };
      const sub = await rt.client(srv, opts);
      await sub.subscribeAsync('mx2/t', { qos: 1 });
      await sub.endAsync();
      await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
      const pub = await rt.client(srv, { protocolVersion: 5 });
      await pub.publishAsync('mx2/t', 'x', { qos: 1, properties: { messageExpiryInterval: 60 } });
      await sleep(1200);
      const again = await rt.client(srv, opts);
      const [m] = await again.inbox.waitFor(1);
      const left = m.packet.properties?.messageExpiryInterval;
      expect(left).toBeDefined();
      expect(left!).toBeLessThan(60);
      expect(left!).toBeGreaterThanOrEqual(57);
    }),
  );

  it('a live message keeps its Message Expiry Interval; one without it gets none', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 5 });
    await sub.subscribeAsync('mx3/t', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('mx3/t', 'a', { qos: 1, properties: { messageExpiryInterval: 100 } });
    await pub.publishAsync('mx3/t', 'b', { qos: 1 });
    const [a, b] = await sub.inbox.waitFor(2);
    expect(a.packet.properties?.messageExpiryInterval).toBeGreaterThanOrEqual(99);
    expect(a.packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(100);
    expect(b.packet.properties?.messageExpiryInterval).toBeUndefined();
  });

  it.concurrent(
    'a retained message sent on subscribe carries its remaining Message Expiry Interval',
    isolated(async (rt) => {
      const srv = await rt.server();
      const pub = await rt.client(srv, { protocolVersion: 5 });
      await pub.publishAsync('mx5/t', 'r', {
        qos: 1,
        retain: true,
        properties: { messageExpiryInterval: 30 },
      });
      await sleep(1200);
      const sub = await rt.client(srv, { protocolVersion: 5 });
      await sub.subscribeAsync('mx5/t', { qos: 1 });
      const [m] = await sub.inbox.waitFor(1);
      expect(m.packet.retain).toBe(true);
      expect(m.packet.properties?.messageExpiryInterval).toBeLessThan(30);
      expect(m.packet.properties?.messageExpiryInterval).toBeGreaterThanOrEqual(27);
    }),
  );

  it.concurrent(
    'an expired retained message is not sent to new subscribers',
    isolated(async (rt) => {
      const srv = await rt.server();
      const pub = await rt.client(srv, { protocolVersion: 5 });
      await pub.publishAsync('mx4/t', 'brief', {
        qos: 1,
        retain: true,
        properties: { messageExpiryInterval: 1 },
      });
      const early = await rt.client(srv, { protocolVersion: 5 });
      await early.subscribeAsync('mx4/t', { qos: 1 });
      await early.inbox.waitFor(1);
      await sleep(1200);
      const late = await rt.client(srv, { protocolVersion: 5 });
      await late.subscribeAsync('mx4/t', { qos: 1 });
      await sleep(200);
      expect(late.inbox.length).toBe(0);
    }),
  );
});

describe('properties pass-through', () => {
  it('user properties, response topic, correlation data, content type and payload format indicator reach the subscriber', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 5 });
    await sub.subscribeAsync('props/t', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('props/t', '{"a":1}', {
      qos: 1,
      properties: {
        userProperties: { k1: 'v1', multi: ['x', 'y'] },
        responseTopic: 'props/reply',
        correlationData: Buffer.from([1, 2, 3, 250]),
        contentType: 'application/json',
        payloadFormatIndicator: true,
      },
    });
    const [m] = await sub.inbox.waitFor(1);
    const p = m.packet.properties!;
    expect(p.userProperties).toEqual({ k1: 'v1', multi: ['x', 'y'] });
    expect(p.responseTopic).toBe('props/reply');
    expect([...p.correlationData!]).toEqual([1, 2, 3, 250]);
    expect(p.contentType).toBe('application/json');
    expect(p.payloadFormatIndicator).toBe(true);
  });

  it('request/response: the responder answers on the response topic with the correlation data', async () => {
    const srv = await rt.server();
    const responder = await rt.client(srv, { protocolVersion: 5 });
    await responder.subscribeAsync('svc/req', { qos: 1 });
    responder.on('message', (_t, payload, packet) => {
      const p = packet.properties!;
      responder.publish(p.responseTopic!, `echo:${payload}`, {
        qos: 1,
        properties: { correlationData: p.correlationData },
      });
    });
    const requester = await rt.client(srv, { protocolVersion: 5 });
    await requester.subscribeAsync('svc/resp/me', { qos: 1 });
    await requester.publishAsync('svc/req', 'ping', {
      qos: 1,
      properties: { responseTopic: 'svc/resp/me', correlationData: Buffer.from('id-7') },
    });
    const [m] = await requester.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('echo:ping');
    expect(m.packet.properties?.correlationData?.toString()).toBe('id-7');
  });

  it('a v3.1.1 subscriber receives a v5 message with properties as a plain message', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 4 });
    await sub.subscribeAsync('mixed/t', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('mixed/t', 'hi', {
      qos: 1,
      properties: { userProperties: { a: 'b' }, messageExpiryInterval: 10 },
    });
    const [m] = await sub.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('hi');
    expect(m.packet.properties).toBeUndefined();
  });

  it('a payload flagged UTF-8 that is not UTF-8 is refused with PUBACK 0x99', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 5 });
    await sub.subscribeAsync('pfi/t', { qos: 1 });
    const r = await rt.raw(srv, 5);
    await r.connect();
    r.send(
      publishPacket('pfi/t', Buffer.from([0xff, 0xfe, 0xc3]), 1, 4, {
        properties: { payloadFormatIndicator: true },
      }),
    );
    const ack = await r.waitFor<IPubackPacket>('puback');
    expect(ack.reasonCode).toBe(0x99);
    await sleep(100);
    expect(sub.inbox.length).toBe(0);
  });
});

describe('subscription identifiers and No Local', () => {
  it('the subscription identifier is delivered with matching messages', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 5 });
    await sub.subscribeAsync('sid/a', { qos: 1, properties: { subscriptionIdentifier: 7 } });
    await sub.subscribeAsync('sid/b', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('sid/a', 'a', { qos: 1 });
    await pub.publishAsync('sid/b', 'b', { qos: 1 });
    const [a, b] = await sub.inbox.waitFor(2);
    expect(a.packet.properties?.subscriptionIdentifier).toBe(7);
    expect(b.packet.properties?.subscriptionIdentifier).toBeUndefined();
  });

  it('overlapping subscriptions: one message at max QoS carrying every identifier', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 5 });
    await sub.subscribeAsync('ovl/+', { qos: 0, properties: { subscriptionIdentifier: 1 } });
    await sub.subscribeAsync('ovl/#', { qos: 2, properties: { subscriptionIdentifier: 2 } });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('ovl/x', 'one', { qos: 1 });
    await sub.inbox.waitFor(1);
    await sleep(150);
    expect(sub.inbox.length).toBe(1);
    const m = sub.inbox.messages[0];
    expect(m.packet.qos).toBe(1);
    const ids = ([] as number[]).concat(m.packet.properties?.subscriptionIdentifier ?? []).sort();
    expect(ids).toEqual([1, 2]);
  });

  it('re-subscribing replaces the subscription identifier', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 5 });
    await sub.subscribeAsync('sid2/t', { qos: 1, properties: { subscriptionIdentifier: 5 } });
    await sub.subscribeAsync('sid2/t', { qos: 1, properties: { subscriptionIdentifier: 6 } });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('sid2/t', 'x', { qos: 1 });
    const [m] = await sub.inbox.waitFor(1);
    expect(m.packet.properties?.subscriptionIdentifier).toBe(6);
  });

  it('No Local: a client does not receive its own publications, but others do', async () => {
    const srv = await rt.server();
    const self = await rt.client(srv, { protocolVersion: 5 });
    await self.subscribeAsync('nl/t', { qos: 1, nl: true });
    const other = await rt.client(srv, { protocolVersion: 5 });
    await other.subscribeAsync('nl/t', { qos: 1 });
    await self.publishAsync('nl/t', 'mine', { qos: 1 });
    await other.publishAsync('nl/t', 'theirs', { qos: 1 });
    await self.inbox.waitFor(1);
    await other.inbox.waitFor(2);
    await sleep(150);
    expect(self.inbox.payloads()).toEqual(['theirs']);
    expect(other.inbox.payloads()).toEqual(['mine', 'theirs']);
  });

  it('without No Local a client receives its own publications', async () => {
    const srv = await rt.server();
    const self = await rt.client(srv, { protocolVersion: 5 });
    await self.subscribeAsync('nl2/t', { qos: 1, nl: false });
    await self.publishAsync('nl2/t', 'mine', { qos: 1 });
    await self.inbox.waitFor(1);
  });
});

describe('$SYS topics', () => {
  it.concurrent(
    '$SYS/broker/... statistics are published and not matched by #',
    isolated(async (rt) => {
      const srv = await rt.server({ sysInterval: 1 });
      const sys = await rt.client(srv, { protocolVersion: 5 });
      const all = await rt.client(srv, { protocolVersion: 5 });
      await all.subscribeAsync('#', { qos: 0 });
      await sys.subscribeAsync('$SYS/broker/#', { qos: 0 });
      // Static topics are retained and arrive right after SUBACK.
      await sys.inbox.waitFor(1, 2000, (m) => m.topic === '$SYS/broker/version');
      // Periodic statistics arrive within the interval.
      const [conn] = await sys.inbox.waitFor(1, 3000, (m) => m.topic === '$SYS/broker/clients/connected');
      expect(Number(conn.payload.toString())).toBeGreaterThanOrEqual(2);
      const topics = new Set(sys.inbox.topics());
      // Mosquitto's names: bytes/received is the total, load/bytes/received/1min its moving per-minute rate.
      for (const t of [
        'uptime',
        'messages/received',
        'messages/sent',
        'subscriptions/count',
        'bytes/received',
        'load/bytes/received/1min',
      ]) {
        expect(topics.has(`$SYS/broker/${t}`), t).toBe(true);
      }
      expect(all.inbox.messages.filter((m) => m.topic.startsWith('$'))).toEqual([]);
    }),
  );

  it('clients cannot publish to $SYS (v5 PUBACK 0x87, nothing routed)', async () => {
    const srv = await rt.server();
    const sys = await rt.client(srv, { protocolVersion: 5 });
    await sys.subscribeAsync('$SYS/#', { qos: 1 });
    const r = await rt.raw(srv, 5);
    await r.connect();
    r.send(publishPacket('$SYS/broker/uptime', 'forged', 1, 9));
    const ack = await r.waitFor<IPubackPacket>('puback');
    expect(ack.reasonCode).toBe(0x87);
    await sleep(100);
    expect(sys.inbox.length).toBe(0);
  });
});
