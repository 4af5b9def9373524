// Persistent sessions, session expiry, takeover and client identifiers end
// to end over real TCP.

import { describe, it, expect } from 'vitest';
import type { IPublishPacket, IConnackPacket, IDisconnectPacket } from 'mqtt-packet';
import {
  useRuntime,
  isolated,
  sleep,
  waitUntil,
  uniqueId,
  patchedConnect,
  publishPacket,
} from '../helpers/runtime.ts';

const rt = useRuntime();

describe('persistent session resume', () => {
  const variants = [
    { name: 'v3.1.1 clean:false', opts: { protocolVersion: 4 as const, clean: false } },
    {
      name: 'v5 clean:false + Session Expiry 30',
      opts: { protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 30 } },
    },
  ];
  for (const { name, opts } of variants) {
    it(`${name}: queued QoS 1 messages are delivered on resume with sessionPresent`, async () => {
      const srv = await rt.server();
      const clientId = uniqueId('ps');
      const first = await rt.client(srv, { ...opts, clientId });
      expect(first.connack.sessionPresent).toBe(false);
      await first.subscribeAsync('ps/t', { qos: 1 });
      await first.endAsync();
      await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'session to go offline');

      const pub = await rt.client(srv, { protocolVersion: opts.protocolVersion });
      for (let i = 0; i < 3; i++) await pub.publishAsync('ps/t', `m${i}`, { qos: 1 });
      expect(srv.broker.sessions.get(clientId)!.queued).toBe(3);

      const again = await rt.client(srv, { ...opts, clientId });
      expect(again.connack.sessionPresent).toBe(true);
      const got = await again.inbox.waitFor(3);
      expect(got.map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2']);
      expect(got.every((m) => m.packet.qos === 1)).toBe(true);
      // The subscription itself survived too.
      await pub.publishAsync('ps/t', 'live', { qos: 1 });
      await again.inbox.waitFor(4);
      expect(again.inbox.payloads()[3]).toBe('live');
    });

    it(`${name}: Clean Start / clean session discards the stored session`, async () => {
      const srv = await rt.server();
      const clientId = uniqueId('cs');
      const first = await rt.client(srv, { ...opts, clientId });
      await first.subscribeAsync('cs/t', { qos: 1 });
      await first.endAsync();
      await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'session to go offline');
      const pub = await rt.client(srv, { protocolVersion: opts.protocolVersion });
      await pub.publishAsync('cs/t', 'queued', { qos: 1 });

      const fresh = await rt.client(srv, { ...opts, clientId, clean: true });
      expect(fresh.connack.sessionPresent).toBe(false);
      await pub.publishAsync('cs/t', 'after', { qos: 1 });
      await sleep(200);
      expect(fresh.inbox.length).toBe(0); // neither queued messages nor the old subscription
      expect(srv.broker.stats.dropped['no-session']).toBe(1);
    });
  }

  it('v3.1.1 clean:true does not keep a session', async () => {
    const srv = await rt.server();
    const clientId = uniqueId('v4c');
    const a = await rt.client(srv, { protocolVersion: 4, clientId, clean: true });
    await a.subscribeAsync('x/y', { qos: 1 });
    await a.endAsync();
    await waitUntil(() => !srv.broker.sessions.has(clientId), 2000, 'session removal');
    const b = await rt.client(srv, { protocolVersion: 4, clientId, clean: false });
    expect(b.connack.sessionPresent).toBe(false);
  });

  it('v5 clean:false with Session Expiry 0 (absent) ends the session at disconnect', async () => {
    const srv = await rt.server();
    const clientId = uniqueId('v5z');
    const a = await rt.client(srv, { protocolVersion: 5, clientId, clean: false });
    await a.subscribeAsync('x/y', { qos: 1 });
    await a.endAsync();
    await waitUntil(() => !srv.broker.sessions.has(clientId), 2000, 'session removal');
    const b = await rt.client(srv, { protocolVersion: 5, clientId, clean: false });
    expect(b.connack.sessionPresent).toBe(false);
  });

  it.concurrent(
    'v5 session expiry actually expires the session (1 s)',
    isolated(async (rt) => {
      const srv = await rt.server();
      const clientId = uniqueId('exp');
      const a = await rt.client(srv, {
        protocolVersion: 5,
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 1 },
      });
      await a.subscribeAsync('exp/t', { qos: 1 });
      await a.endAsync();
      const pub = await rt.client(srv, { protocolVersion: 5 });
      await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'session to go offline');
      await pub.publishAsync('exp/t', 'lost', { qos: 1 });
      expect(srv.broker.sessions.get(clientId)!.queued).toBe(1);
      await waitUntil(() => !srv.broker.sessions.has(clientId), 3000, 'session expiry');
      expect(srv.broker.stats.sessionsExpired).toBe(1);
      expect(srv.broker.stats.dropped['session-expired']).toBe(1);
      const b = await rt.client(srv, {
        protocolVersion: 5,
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 1 },
      });
      expect(b.connack.sessionPresent).toBe(false);
      await sleep(150);
      expect(b.inbox.length).toBe(0);
    }),
  );

  it.concurrent(
    'v5 session is still present just before it expires',
    isolated(async (rt) => {
      const srv = await rt.server();
      const clientId = uniqueId('exp2');
      const a = await rt.client(srv, {
        protocolVersion: 5,
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 2 },
      });
      await a.subscribeAsync('exp2/t', { qos: 1 });
      await a.endAsync();
      await sleep(600);
      const b = await rt.client(srv, {
        protocolVersion: 5,
        clientId,
        clean: false,
        properties: { sessionExpiryInterval: 2 },
      });
      expect(b.connack.sessionPresent).toBe(true);
      // Reconnecting cancelled the expiry timer: the session outlives the original 2 s.
      await sleep(1700);
      expect(srv.broker.sessions.get(clientId)?.conn).not.toBeNull();
      expect(srv.broker.stats.sessionsExpired).toBe(0);
    }),
  );

  it('v5 DISCONNECT with Session Expiry Interval 0 ends a persistent session', async () => {
    const srv = await rt.server();
    const clientId = uniqueId('dse');
    const a = await rt.client(srv, {
      protocolVersion: 5,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    await a.subscribeAsync('dse/t', { qos: 1 });
    await a.endAsync(false, { reasonCode: 0, properties: { sessionExpiryInterval: 0 } });
    await waitUntil(() => !srv.broker.sessions.has(clientId), 2000, 'session removal');
    const b = await rt.client(srv, { protocolVersion: 5, clientId, clean: false });
    expect(b.connack.sessionPresent).toBe(false);
  });

  it('v5 DISCONNECT setting a non-zero expiry after CONNECT with 0 is a protocol error (0x82)', async () => {
    const srv = await rt.server();
    const r = await rt.raw(srv, 5);
    await r.connect({ clean: true });
    r.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
    const d = await r.waitFor<IDisconnectPacket>('disconnect');
    expect(d.reasonCode).toBe(0x82);
    await r.waitClosed();
  });

  it('unacknowledged QoS 1 PUBLISH is resent with DUP on resume', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion: 4 });
    const clientId = uniqueId('dup');
    const r1 = await rt.raw(srv, 4);
    await r1.connect({ clientId, clean: false });
    r1.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'dup/t', qos: 1 }] });
    await r1.waitFor('suback');
    await pub.publishAsync('dup/t', 'unacked', { qos: 1 });
    const first = await r1.waitFor<IPublishPacket>('publish');
    expect(first.dup).toBe(false);
    r1.socket.destroy(); // no PUBACK
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'session to go offline');

    const r2 = await rt.raw(srv, 4);
    const ack = await r2.connect({ clientId, clean: false });
    expect(ack.sessionPresent).toBe(true);
    const again = await r2.waitFor<IPublishPacket>('publish');
    expect(again.dup).toBe(true);
    expect(again.messageId).toBe(first.messageId);
    expect(again.payload.toString()).toBe('unacked');
    r2.send({ cmd: 'puback', messageId: again.messageId });
    await waitUntil(() => srv.broker.sessions.get(clientId)!.inflight.size === 0, 2000, 'inflight to drain');
  });

  it('a pending QoS 2 PUBREL is resent on resume', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion: 4 });
    const clientId = uniqueId('rel');
    const r1 = await rt.raw(srv, 4);
    await r1.connect({ clientId, clean: false });
    r1.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rel/t', qos: 2 }] });
    await r1.waitFor('suback');
    await pub.publishAsync('rel/t', 'q2', { qos: 2 });
    const p = await r1.waitFor<IPublishPacket>('publish');
    r1.send({ cmd: 'pubrec', messageId: p.messageId });
    await r1.waitFor('pubrel');
    r1.socket.destroy(); // no PUBCOMP
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'session to go offline');

    const r2 = await rt.raw(srv, 4);
    await r2.connect({ clientId, clean: false });
    const rel = await r2.waitFor('pubrel');
    expect((rel as { messageId: number }).messageId).toBe(p.messageId);
    expect(r2.of('publish')).toHaveLength(0); // the message itself is not redelivered
    r2.send({ cmd: 'pubcomp', messageId: p.messageId });
    await waitUntil(() => srv.broker.sessions.get(clientId)!.inflight.size === 0, 2000, 'inflight to drain');
  });
});

describe('session takeover', () => {
  it('v5: the old connection receives DISCONNECT 0x8E and is closed; the new one works', async () => {
    const srv = await rt.server();
    const clientId = uniqueId('to');
    const old = await rt.client(srv, { protocolVersion: 5, clientId });
    const fresh = await rt.client(srv, { protocolVersion: 5, clientId });
    await waitUntil(() => old.disconnects.length > 0, 2000, 'DISCONNECT on the old client');
    expect(old.disconnects[0].reasonCode).toBe(0x8e);
    await waitUntil(() => old.isClosed(), 2000, 'old connection close');
    expect(fresh.isClosed()).toBe(false);
    expect(srv.broker.stats.takeovers).toBe(1);
    expect(srv.broker.connectedCount).toBe(1);
    await fresh.subscribeAsync('to/t', { qos: 1 });
    await fresh.publishAsync('to/t', 'alive', { qos: 1 });
    await fresh.inbox.waitFor(1);
  });

  it('v3.1.1: the old connection is closed; the new one works', async () => {
    const srv = await rt.server();
    const clientId = uniqueId('to4');
    const old = await rt.client(srv, { protocolVersion: 4, clientId });
    const fresh = await rt.client(srv, { protocolVersion: 4, clientId });
    await waitUntil(() => old.isClosed(), 2000, 'old connection close');
    expect(fresh.isClosed()).toBe(false);
    expect(srv.broker.connectedCount).toBe(1);
    await fresh.subscribeAsync('to4/t', { qos: 1 });
    await fresh.publishAsync('to4/t', 'alive', { qos: 1 });
    await fresh.inbox.waitFor(1);
  });

  it('v5 takeover with clean:false keeps the session (subscriptions, sessionPresent)', async () => {
    const srv = await rt.server();
    const clientId = uniqueId('to5p');
    const opts = {
      protocolVersion: 5 as const,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 30 },
    };
    const old = await rt.client(srv, opts);
    await old.subscribeAsync('tp/t', { qos: 1 });
    const fresh = await rt.client(srv, opts);
    expect(fresh.connack.sessionPresent).toBe(true);
    await waitUntil(() => old.isClosed(), 2000, 'old connection close');
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('tp/t', 'to-new', { qos: 1 });
    const [m] = await fresh.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('to-new');
    expect(old.inbox.length).toBe(0);
  });
});

describe('more session state', () => {
  it('v5 takeover publishes the old connection’s will (Will Delay 0)', async () => {
    const srv = await rt.server();
    const watcher = await rt.client(srv, { protocolVersion: 5 });
    await watcher.subscribeAsync('tow/will', { qos: 1 });
    const clientId = uniqueId('tow');
    await rt.client(srv, {
      protocolVersion: 5,
      clientId,
      will: { topic: 'tow/will', payload: Buffer.from('replaced'), qos: 1, retain: false },
    });
    await rt.client(srv, { protocolVersion: 5, clientId });
    const [m] = await watcher.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('replaced');
  });

  it('takeover with clean:false resends the old connection’s unacknowledged QoS 1 PUBLISH to the new one', async () => {
    const srv = await rt.server();
    const clientId = uniqueId('tor');
    const old = await rt.raw(srv, 5);
    await old.connect({ clientId, clean: false, properties: { sessionExpiryInterval: 30 } });
    old.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: 'tor/t', qos: 1, nl: false, rap: false, rh: 0 }],
    });
    await old.waitFor('suback');
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('tor/t', 'in flight', { qos: 1 });
    const first = await old.waitFor<IPublishPacket>('publish');
    const fresh = await rt.raw(srv, 5);
    const ack = await fresh.connect({ clientId, clean: false, properties: { sessionExpiryInterval: 30 } });
    expect(ack.sessionPresent).toBe(true);
    const again = await fresh.waitFor<IPublishPacket>('publish');
    expect(again.dup).toBe(true);
    expect(again.messageId).toBe(first.messageId);
    expect((await old.waitFor<IDisconnectPacket>('disconnect')).reasonCode).toBe(0x8e);
  });

  it('inbound QoS 2 state survives a reconnect: PUBREL after resume completes, the resent PUBLISH is not routed again', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 4 });
    await sub.subscribeAsync('in2/t', { qos: 2 });
    const clientId = uniqueId('in2');
    const r1 = await rt.raw(srv, 4);
    await r1.connect({ clientId, clean: false });
    r1.send(publishPacket('in2/t', 'once', 2, 21));
    await r1.waitFor('pubrec');
    r1.socket.destroy(); // before PUBREL
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
    const r2 = await rt.raw(srv, 4);
    await r2.connect({ clientId, clean: false });
    r2.send(publishPacket('in2/t', 'once', 2, 21, { dup: true }));
    await r2.waitFor('pubrec');
    r2.send({ cmd: 'pubrel', messageId: 21 });
    await r2.waitFor('pubcomp');
    await sub.inbox.waitFor(1);
    await sleep(150);
    expect(sub.inbox.payloads()).toEqual(['once']);
  });

  it('QoS 0 messages are queued for an offline session (queueQos0: true)', async () => {
    const srv = await rt.server();
    const clientId = uniqueId('q0');
    const a = await rt.client(srv, { protocolVersion: 4, clientId, clean: false });
    await a.subscribeAsync('q0/t', { qos: 0 });
    await a.endAsync();
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
    const pub = await rt.client(srv, { protocolVersion: 4 });
    await pub.publishAsync('q0/t', 'qos0 while away', { qos: 0 });
    await waitUntil(() => srv.broker.sessions.get(clientId)!.queued === 1, 2000, 'queued');
    const b = await rt.client(srv, { protocolVersion: 4, clientId, clean: false });
    const [m] = await b.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('qos0 while away');
    expect(m.packet.qos).toBe(0);
  });

  it('QoS 0 messages are dropped for an offline session with queueQos0: false', async () => {
    const srv = await rt.server({ session: { queueQos0: false } });
    const clientId = uniqueId('q0n');
    const a = await rt.client(srv, { protocolVersion: 4, clientId, clean: false });
    await a.subscribeAsync('q0n/t', { qos: 1 });
    await a.endAsync();
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
    const pub = await rt.client(srv, { protocolVersion: 4 });
    await pub.publishAsync('q0n/t', 'zero', { qos: 0 });
    await pub.publishAsync('q0n/t', 'one', { qos: 1 });
    await waitUntil(() => srv.broker.stats.dropped['offline-qos0'] === 1, 2000, 'offline-qos0 drop');
    const b = await rt.client(srv, { protocolVersion: 4, clientId, clean: false });
    await b.inbox.waitFor(1);
    await sleep(100);
    expect(b.inbox.payloads()).toEqual(['one']);
  });

  it.concurrent(
    'v3.1.1 persistent sessions expire after session.v3SessionExpiry',
    isolated(async (rt) => {
      const srv = await rt.server({ session: { v3SessionExpiry: 1 } });
      const clientId = uniqueId('v3x');
      const a = await rt.client(srv, { protocolVersion: 4, clientId, clean: false });
      await a.subscribeAsync('v3x/t', { qos: 1 });
      await a.endAsync();
      await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
      await waitUntil(() => !srv.broker.sessions.has(clientId), 3000, 'v3 session expiry');
      const b = await rt.client(srv, { protocolVersion: 4, clientId, clean: false });
      expect(b.connack.sessionPresent).toBe(false);
    }),
  );

  it("v5 resume: retransmitted PUBLISHes respect the new connection's Receive Maximum [MQTT-3.3.4-9]", async () => {
    const srv = await rt.server();
    const clientId = uniqueId('rmr');
    const r1 = await rt.raw(srv, 5);
    await r1.connect({
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 30, receiveMaximum: 5 },
    });
    r1.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: 'rmr/t', qos: 1, nl: false, rap: false, rh: 0 }],
    });
    await r1.waitFor('suback');
    const pub = await rt.client(srv, { protocolVersion: 5 });
    for (let i = 0; i < 5; i++) await pub.publishAsync('rmr/t', `m${i}`, { qos: 1 });
    await waitUntil(() => r1.of('publish').length === 5, 2000, '5 unacknowledged PUBLISH');
    r1.socket.destroy();
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');

    const r2 = await rt.raw(srv, 5);
    await r2.connect({
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 30, receiveMaximum: 2 },
    });
    await r2.waitFor('publish');
    await sleep(200);
    // Unacknowledged QoS 1 PUBLISHes outstanding on this connection must not exceed 2.
    expect(r2.of('publish').length).toBeLessThanOrEqual(2);
    // Acknowledging lets the rest through, each exactly once.
    const seen = new Set<number>();
    await waitUntil(
      () => {
        for (const p of r2.of<IPublishPacket>('publish')) {
          if (!seen.has(p.messageId!)) {
            seen.add(p.messageId!);
            r2.send({ cmd: 'puback', messageId: p.messageId });
          }
        }
        return seen.size === 5;
      },
      3000,
      'all 5 messages',
    );
    expect(
      r2
        .of<IPublishPacket>('publish')
        .map((p) => p.payload.toString())
        .sort(),
    ).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});

describe('resume with a smaller client Maximum Packet Size', () => {
  it('an in-flight message now too large for the client is discarded, not left blocking the window [MQTT-3.1.2-25]', async () => {
    const srv = await rt.server({ limits: { maxInflight: 1 } });
    const clientId = uniqueId('mpsr');
    const r1 = await rt.raw(srv, 5);
    await r1.connect({ clientId, clean: false, properties: { sessionExpiryInterval: 30 } });
    r1.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: 'mpsr/t', qos: 1, nl: false, rap: false, rh: 0 }],
    });
    await r1.waitFor('suback');
    const pub = await rt.client(srv, { protocolVersion: 5 });
    await pub.publishAsync('mpsr/t', Buffer.alloc(500, 1), { qos: 1 });
    await r1.waitFor('publish'); // not acknowledged
    r1.socket.destroy();
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');

    const r2 = await rt.raw(srv, 5);
    await r2.connect({
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 30, maximumPacketSize: 200 },
    });
    await pub.publishAsync('mpsr/t', 'small', { qos: 1 });
    const p = await r2.waitFor<IPublishPacket>('publish', () => true, 1000);
    expect(p.payload.toString()).toBe('small');
    expect(r2.of<IPublishPacket>('publish').every((x) => x.payload.length < 200)).toBe(true);
  });
});

describe('client identifiers', () => {
  it('v5 empty client id gets an Assigned Client Identifier', async () => {
    const srv = await rt.server();
    const c = await rt.client(srv, { protocolVersion: 5, clientId: '' });
    const assigned = c.connack.properties?.assignedClientIdentifier;
    expect(typeof assigned).toBe('string');
    expect(assigned!.length).toBeGreaterThan(0);
    expect(srv.broker.sessions.get(assigned!)?.conn).not.toBeNull();
    const d = await rt.client(srv, { protocolVersion: 5, clientId: '' });
    expect(d.connack.properties?.assignedClientIdentifier).not.toBe(assigned);
  });

  it('v3.1.1 empty client id with clean session is accepted', async () => {
    const srv = await rt.server();
    const c = await rt.client(srv, { protocolVersion: 4, clientId: '', clean: true });
    expect(c.connack.returnCode).toBe(0);
    await c.subscribeAsync('e/t', { qos: 1 });
    await c.publishAsync('e/t', 'works', { qos: 1 });
    await c.inbox.waitFor(1);
  });

  it('v3.1.1 empty client id with clean session 0 is rejected with return code 2', async () => {
    const srv = await rt.server();
    const r = await rt.raw(srv, 4);
    // mqtt-packet refuses to encode this, so clear the Clean Session flag by hand.
    r.write(patchedConnect({ clientId: '', clean: true }, { flags: (f) => f & ~0x02 }));
    const ack = await r.waitFor<IConnackPacket>('connack');
    expect(ack.returnCode).toBe(2);
    expect(ack.sessionPresent).toBe(false);
    await r.waitClosed();
  });
});
