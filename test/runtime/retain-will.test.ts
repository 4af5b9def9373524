// Retained messages and will messages end to end over real TCP.

import { describe, it, expect } from 'vitest';
import { useRuntime, isolated, VERSIONS, sleep, waitUntil, uniqueId } from '../helpers/runtime.ts';

const rt = useRuntime();

describe.each(VERSIONS)('retained messages, protocol version %i', (protocolVersion) => {
  it('a retained message is delivered to a later subscriber with RETAIN set', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion });
    await pub.publishAsync('ret/a', 'kept', { qos: 1, retain: true });
    const sub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('ret/a', { qos: 1 });
    const [m] = await sub.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('kept');
    expect(m.packet.retain).toBe(true);
    expect(m.packet.qos).toBe(1);
  });

  it('a newer retained message replaces the old one', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion });
    await pub.publishAsync('ret/r', 'v1', { qos: 1, retain: true });
    await pub.publishAsync('ret/r', 'v2', { qos: 1, retain: true });
    const sub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('ret/r', { qos: 1 });
    await sub.inbox.waitFor(1);
    await sleep(150);
    expect(sub.inbox.payloads()).toEqual(['v2']);
    expect(srv.broker.retained.size).toBe(1);
  });

  it('an empty retained payload clears the retained message', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion });
    await pub.publishAsync('ret/c', 'gone soon', { qos: 1, retain: true });
    expect(srv.broker.retained.size).toBe(1);
    await pub.publishAsync('ret/c', Buffer.alloc(0), { qos: 1, retain: true });
    expect(srv.broker.retained.size).toBe(0);
    const sub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('ret/#', { qos: 1 });
    await sleep(200);
    expect(sub.inbox.length).toBe(0);
  });

  it('clearing a retained message is still forwarded (empty payload) to existing subscribers', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('ret/fw', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion });
    await pub.publishAsync('ret/fw', 'set', { qos: 1, retain: true });
    await pub.publishAsync('ret/fw', Buffer.alloc(0), { qos: 1, retain: true });
    await sub.inbox.waitFor(2);
    expect(sub.inbox.payloads()).toEqual(['set', '']);
    expect(srv.broker.retained.size).toBe(0);
  });

  it('a wildcard subscription receives every matching retained message, at min(QoS)', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion });
    await pub.publishAsync('ret/w/1', 'one', { qos: 2, retain: true });
    await pub.publishAsync('ret/w/2', 'two', { qos: 0, retain: true });
    await pub.publishAsync('ret/other', 'no', { qos: 1, retain: true });
    const sub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('ret/w/+', { qos: 1 });
    const got = await sub.inbox.waitFor(2);
    await sleep(100);
    expect(sub.inbox.length).toBe(2);
    const byTopic = Object.fromEntries(got.map((m) => [m.topic, m.packet.qos]));
    expect(byTopic).toEqual({ 'ret/w/1': 1, 'ret/w/2': 0 });
    expect(got.every((m) => m.packet.retain)).toBe(true);
  });

  it('live delivery to an existing subscription has RETAIN cleared (no Retain As Published)', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('ret/live', { qos: 1 });
    const pub = await rt.client(srv, { protocolVersion });
    await pub.publishAsync('ret/live', 'now', { qos: 1, retain: true });
    const [m] = await sub.inbox.waitFor(1);
    expect(m.packet.retain).toBe(false);
  });

  it('every new SUBSCRIBE resends retained messages (Retain Handling 0 / 3.1.1 behaviour)', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion });
    await pub.publishAsync('ret/again', 'r', { qos: 1, retain: true });
    const sub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('ret/again', { qos: 1 });
    await sub.inbox.waitFor(1);
    await sub.subscribeAsync('ret/again', { qos: 1 });
    await sub.inbox.waitFor(2);
    expect(sub.inbox.messages.every((m) => m.packet.retain)).toBe(true);
  });
});

describe('retained messages, v5 subscription options', () => {
  it('Retain Handling 0 sends on every subscribe, 1 only for a new subscription, 2 never', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('rh/t', 'retained', { qos: 1, retain: true });

    const s0 = await rt.client(srv, { protocolVersion: 5 });
    const s1 = await rt.client(srv, { protocolVersion: 5 });
    const s2 = await rt.client(srv, { protocolVersion: 5 });
    for (let i = 0; i < 2; i++) {
      await s0.subscribeAsync('rh/t', { qos: 1, rh: 0 });
      await s1.subscribeAsync('rh/t', { qos: 1, rh: 1 });
      await s2.subscribeAsync('rh/t', { qos: 1, rh: 2 });
    }
    await s0.inbox.waitFor(2);
    await s1.inbox.waitFor(1);
    await sleep(200);
    expect(s0.inbox.length).toBe(2);
    expect(s1.inbox.length).toBe(1);
    expect(s2.inbox.length).toBe(0);
    // Retain Handling 2 still receives live messages.
    await pub.publishAsync('rh/t', 'live', { qos: 1 });
    await s2.inbox.waitFor(1);
    expect(s2.inbox.payloads()).toEqual(['live']);
  });

  it('Retain As Published keeps RETAIN on live delivery; without it RETAIN is cleared', async () => {
    const srv = await rt.server();
    const rap = await rt.client(srv, { protocolVersion: 5 });
    const norap = await rt.client(srv, { protocolVersion: 5 });
    await rap.subscribeAsync('rap/t', { qos: 1, rap: true });
    await norap.subscribeAsync('rap/t', { qos: 1, rap: false });
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('rap/t', 'r', { qos: 1, retain: true });
    await pub.publishAsync('rap/t', 'n', { qos: 1, retain: false });
    await rap.inbox.waitFor(2);
    await norap.inbox.waitFor(2);
    expect(rap.inbox.messages.map((m) => [m.payload.toString(), m.packet.retain])).toEqual([
      ['r', true],
      ['n', false],
    ]);
    expect(norap.inbox.messages.map((m) => m.packet.retain)).toEqual([false, false]);
  });

  it('a retained message sent on subscribe carries the subscription identifier', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('rsid/t', 'x', { qos: 1, retain: true });
    const sub = await rt.client(srv, { protocolVersion: 5 });
    await sub.subscribeAsync('rsid/#', { qos: 1, properties: { subscriptionIdentifier: 42 } });
    const [m] = await sub.inbox.waitFor(1);
    expect(m.packet.retain).toBe(true);
    expect(m.packet.properties?.subscriptionIdentifier).toBe(42);
  });
});

describe.each(VERSIONS)('will messages, protocol version %i', (protocolVersion) => {
  it('is published when the client socket is destroyed', async () => {
    const srv = await rt.server();
    const watcher = await rt.client(srv, { protocolVersion });
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const c = await rt.client(srv, {
      protocolVersion,
      will: { topic: 'will/a', payload: Buffer.from('bye'), qos: 1, retain: false },
    });
    c.stream.destroy();
    const [m] = await watcher.inbox.waitFor(1);
    expect(m.topic).toBe('will/a');
    expect(m.payload.toString()).toBe('bye');
    expect(m.packet.qos).toBe(1);
    expect(srv.broker.stats.willsPublished).toBe(1);
  });

  it('is NOT published after a normal DISCONNECT (end())', async () => {
    const srv = await rt.server();
    const watcher = await rt.client(srv, { protocolVersion });
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const c = await rt.client(srv, {
      protocolVersion,
      will: { topic: 'will/b', payload: Buffer.from('bye'), qos: 1, retain: false },
    });
    await c.endAsync();
    await waitUntil(() => srv.broker.connectedCount === 1, 2000, 'disconnect to be processed');
    await sleep(200);
    expect(watcher.inbox.length).toBe(0);
    expect(srv.broker.stats.willsPublished).toBe(0);
  });

  it('a retained will is stored as the retained message of its topic', async () => {
    const srv = await rt.server();
    const c = await rt.client(srv, {
      protocolVersion,
      will: { topic: 'will/ret', payload: Buffer.from('offline'), qos: 0, retain: true },
    });
    c.stream.destroy();
    await waitUntil(() => srv.broker.retained.size === 1, 2000, 'retained will');
    const sub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('will/ret', { qos: 0 });
    const [m] = await sub.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('offline');
    expect(m.packet.retain).toBe(true);
  });
});

describe('will messages, v5 specifics', () => {
  it('DISCONNECT with reason 0x04 (Disconnect with Will Message) publishes the will', async () => {
    const srv = await rt.server();
    const watcher = await rt.client(srv, { protocolVersion: 5 });
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const c = await rt.client(srv, {
      protocolVersion: 5,
      will: { topic: 'will/x4', payload: Buffer.from('asked'), qos: 1, retain: false },
    });
    await c.endAsync(false, { reasonCode: 0x04 });
    const [m] = await watcher.inbox.waitFor(1);
    expect(m.topic).toBe('will/x4');
    expect(m.payload.toString()).toBe('asked');
  });

  it('DISCONNECT with reason 0x00 discards the will', async () => {
    const srv = await rt.server();
    const watcher = await rt.client(srv, { protocolVersion: 5 });
    await watcher.subscribeAsync('will/#', { qos: 1 });
    const c = await rt.client(srv, {
      protocolVersion: 5,
      will: { topic: 'will/x0', payload: Buffer.from('no'), qos: 1, retain: false },
    });
    await c.endAsync(false, { reasonCode: 0x00 });
    await waitUntil(() => srv.broker.connectedCount === 1, 2000, 'disconnect to be processed');
    await sleep(200);
    expect(watcher.inbox.length).toBe(0);
  });

  it('will properties (content type, user properties, response topic, correlation data) are passed through', async () => {
    const srv = await rt.server();
    const watcher = await rt.client(srv, { protocolVersion: 5 });
    await watcher.subscribeAsync('will/props', { qos: 1 });
    const c = await rt.client(srv, {
      protocolVersion: 5,
      will: {
        topic: 'will/props',
        payload: Buffer.from('{"state":"dead"}'),
        qos: 1,
        retain: false,
        properties: {
          contentType: 'application/json',
          payloadFormatIndicator: true,
          responseTopic: 'will/reply',
          correlationData: Buffer.from([9, 8, 7]),
          userProperties: { node: 'n1' },
          messageExpiryInterval: 60,
        },
      },
    });
    c.stream.destroy();
    const [m] = await watcher.inbox.waitFor(1);
    const p = m.packet.properties!;
    expect(p.contentType).toBe('application/json');
    expect(p.payloadFormatIndicator).toBe(true);
    expect(p.responseTopic).toBe('will/reply');
    expect([...p.correlationData!]).toEqual([9, 8, 7]);
    expect(p.userProperties).toEqual({ node: 'n1' });
    expect(p.messageExpiryInterval).toBeGreaterThan(0);
    expect(p.messageExpiryInterval).toBeLessThanOrEqual(60);
  });

  it('with Session Expiry 0 a delayed will is published as soon as the connection drops', async () => {
    const srv = await rt.server();
    const watcher = await rt.client(srv, { protocolVersion: 5 });
    await watcher.subscribeAsync('will/now', { qos: 1 });
    const c = await rt.client(srv, {
      protocolVersion: 5,
      will: {
        topic: 'will/now',
        payload: Buffer.from('now'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 30 },
      },
    });
    const t0 = Date.now();
    c.stream.destroy();
    const [m] = await watcher.inbox.waitFor(1, 2000);
    expect(m.at - t0).toBeLessThan(800);
  });

  it('a will QoS above Maximum QoS is refused with CONNACK 0x9B', async () => {
    const srv = await rt.server({ features: { maximumQoS: 1 } });
    const res = await rt.tryConnect(srv, {
      protocolVersion: 5,
      will: { topic: 'w/q', payload: Buffer.from('x'), qos: 2, retain: false },
    });
    expect('code' in res && res.code).toBe(0x9b);
  });

  it('a will flagged UTF-8 whose payload is not UTF-8 is refused with CONNACK 0x99', async () => {
    const srv = await rt.server();
    const r = await rt.raw(srv, 5);
    const ack = await r.connect({
      will: {
        topic: 'w/pfi',
        payload: Buffer.from([0xff, 0xfe]),
        qos: 0,
        retain: false,
        properties: { payloadFormatIndicator: true },
      },
    });
    expect(ack.reasonCode).toBe(0x99);
    await r.waitClosed();
  });

  it('a will whose topic has a wildcard is refused with CONNACK 0x90', async () => {
    const srv = await rt.server();
    const r = await rt.raw(srv, 5);
    const ack = await r.connect({ will: { topic: 'w/#', payload: Buffer.from('x'), qos: 0, retain: false } });
    expect(ack.reasonCode).toBe(0x90);
    await r.waitClosed();
  });
});

describe('will timing (real timers, run concurrently)', () => {
  for (const protocolVersion of VERSIONS) {
    it.concurrent(
      `v${protocolVersion}: the will is published when the keep alive expires (raw client goes silent)`,
      isolated(async (rt) => {
        const srv = await rt.server();
        const watcher = await rt.client(srv, { protocolVersion });
        await watcher.subscribeAsync('will/ka', { qos: 0 });
        const r = await rt.raw(srv, protocolVersion);
        const ack = await r.connect({
          keepalive: 1,
          will: { topic: 'will/ka', payload: Buffer.from('timed out'), qos: 0, retain: false },
        });
        expect(ack.returnCode ?? ack.reasonCode).toBe(0);
        const t0 = Date.now();
        const [m] = await watcher.inbox.waitFor(1, 4000);
        expect(m.payload.toString()).toBe('timed out');
        expect(m.at - t0).toBeGreaterThanOrEqual(1200);
        await r.waitClosed(2000);
      }),
    );
  }

  it.concurrent(
    'Will Delay Interval delays the will',
    isolated(async (rt) => {
      const srv = await rt.server();
      const watcher = await rt.client(srv, { protocolVersion: 5 });
      await watcher.subscribeAsync('will/delay', { qos: 1 });
      const c = await rt.client(srv, {
        protocolVersion: 5,
        clientId: uniqueId('wd'),
        clean: false,
        properties: { sessionExpiryInterval: 30 },
        will: {
          topic: 'will/delay',
          payload: Buffer.from('late'),
          qos: 1,
          retain: false,
          properties: { willDelayInterval: 1 },
        },
      });
      const t0 = Date.now();
      c.stream.destroy();
      await sleep(500);
      expect(watcher.inbox.length).toBe(0);
      const [m] = await watcher.inbox.waitFor(1, 3000);
      expect(m.payload.toString()).toBe('late');
      expect(m.at - t0).toBeGreaterThanOrEqual(900);
    }),
  );

  it.concurrent(
    'a reconnect within the Will Delay Interval cancels the will',
    isolated(async (rt) => {
      const srv = await rt.server();
      const watcher = await rt.client(srv, { protocolVersion: 5 });
      await watcher.subscribeAsync('will/cancel', { qos: 1 });
      const clientId = uniqueId('wc');
      const opts = {
        protocolVersion: 5 as const,
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 30 },
        will: {
          topic: 'will/cancel',
          payload: Buffer.from('should not'),
          qos: 1 as const,
          retain: false,
          properties: { willDelayInterval: 1 },
        },
      };
      const c = await rt.client(srv, opts);
      c.stream.destroy();
      await waitUntil(() => srv.broker.connectedCount === 1, 2000, 'first connection to close');
      const again = await rt.client(srv, { ...opts, will: undefined });
      expect(again.connack.sessionPresent).toBe(true);
      await sleep(1600);
      expect(watcher.inbox.length).toBe(0);
      expect(srv.broker.stats.willsPublished).toBe(0);
    }),
  );

  it.concurrent(
    'DISCONNECT 0x04 with a Will Delay Interval publishes the will after the delay',
    isolated(async (rt) => {
      const srv = await rt.server();
      const watcher = await rt.client(srv, { protocolVersion: 5 });
      await watcher.subscribeAsync('will/d4', { qos: 1 });
      const c = await rt.client(srv, {
        protocolVersion: 5,
        clean: false,
        properties: { sessionExpiryInterval: 30 },
        will: {
          topic: 'will/d4',
          payload: Buffer.from('later'),
          qos: 1,
          retain: false,
          properties: { willDelayInterval: 1 },
        },
      });
      const t0 = Date.now();
      await c.endAsync(false, { reasonCode: 0x04 });
      await sleep(400);
      expect(watcher.inbox.length).toBe(0);
      const [m] = await watcher.inbox.waitFor(1, 3000);
      expect(m.payload.toString()).toBe('later');
      expect(m.at - t0).toBeGreaterThanOrEqual(900);
    }),
  );

  it.concurrent(
    'the will is published when the session expires before the Will Delay Interval',
    isolated(async (rt) => {
      const srv = await rt.server();
      const watcher = await rt.client(srv, { protocolVersion: 5 });
      await watcher.subscribeAsync('will/exp', { qos: 1 });
      const c = await rt.client(srv, {
        protocolVersion: 5,
        clean: false,
        properties: { sessionExpiryInterval: 1 },
        will: {
          topic: 'will/exp',
          payload: Buffer.from('session over'),
          qos: 1,
          retain: false,
          properties: { willDelayInterval: 60 },
        },
      });
      const t0 = Date.now();
      c.stream.destroy();
      const [m] = await watcher.inbox.waitFor(1, 3000);
      expect(m.payload.toString()).toBe('session over');
      expect(m.at - t0).toBeGreaterThanOrEqual(900);
      expect(m.at - t0).toBeLessThan(2500);
    }),
  );
});
