// QoS 0/1/2 delivery end to end over real TCP with mqtt.js clients, both
// protocol versions: round trips, acknowledgements, downgrade to the
// subscription QoS, overlapping subscriptions, ordering, $-topics.

import { describe, it, expect } from 'vitest';
import mqttPacket from 'mqtt-packet';
import type {
  IPublishPacket,
  IPubrecPacket,
  IPubcompPacket,
  IPubackPacket,
  IUnsubackPacket,
  IConnackPacket,
} from 'mqtt-packet';
import { useRuntime, VERSIONS, sleep, waitUntil, uniqueId, publishPacket } from '../helpers/runtime.ts';

const rt = useRuntime();

describe.each(VERSIONS)('QoS over TCP, protocol version %i', (protocolVersion) => {
  for (const qos of [0, 1, 2] as const) {
    it(`QoS ${qos} message round trip keeps topic, payload and QoS`, async () => {
      const srv = await rt.server();
      const sub = await rt.client(srv, { protocolVersion });
      const pub = await rt.client(srv, { protocolVersion });
      await sub.subscribeAsync('qos/rt', { qos: 2 });
      await pub.publishAsync('qos/rt', Buffer.from([0, 1, 2, 255]), { qos });
      const [m] = await sub.inbox.waitFor(1);
      expect(m.topic).toBe('qos/rt');
      expect([...m.payload]).toEqual([0, 1, 2, 255]);
      expect(m.packet.qos).toBe(qos);
      expect(m.packet.retain).toBe(false);
      await sleep(100);
      expect(sub.inbox.length).toBe(1); // exactly once, no duplicates
    });
  }

  it('publisher receives PUBACK for QoS 1', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion });
    const pub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('qos/ack1', { qos: 1 });
    await pub.publishAsync('qos/ack1', 'x', { qos: 1 });
    const acks = pub.packetsIn.filter((p) => p.cmd === 'puback') as IPubackPacket[];
    expect(acks).toHaveLength(1);
    expect(acks[0].reasonCode ?? 0).toBe(0);
    await sub.inbox.waitFor(1);
  });

  it('publisher receives PUBREC then PUBCOMP for QoS 2, broker releases the packet id', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion });
    const pub = await rt.client(srv, { protocolVersion, clientId: uniqueId('pub2') });
    await sub.subscribeAsync('qos/ack2', { qos: 2 });
    await pub.publishAsync('qos/ack2', 'x', { qos: 2 });
    const cmds = pub.packetsIn.map((p) => p.cmd).filter((c) => c === 'pubrec' || c === 'pubcomp');
    expect(cmds).toEqual(['pubrec', 'pubcomp']);
    const rec = pub.packetsIn.find((p) => p.cmd === 'pubrec') as IPubrecPacket;
    const comp = pub.packetsIn.find((p) => p.cmd === 'pubcomp') as IPubcompPacket;
    expect(rec.messageId).toBe(comp.messageId);
    expect(srv.broker.sessions.get(pub.options.clientId!)!.inboundQos2.size).toBe(0);
    await sub.inbox.waitFor(1);
  });

  it('broker-to-client QoS 1 and QoS 2 flows complete (nothing left in flight)', async () => {
    const srv = await rt.server();
    const subId = uniqueId('sub');
    const sub = await rt.client(srv, { protocolVersion, clientId: subId });
    const pub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('qos/out/#', { qos: 2 });
    await pub.publishAsync('qos/out/1', 'one', { qos: 1 });
    await pub.publishAsync('qos/out/2', 'two', { qos: 2 });
    const got = await sub.inbox.waitFor(2);
    expect(got.map((m) => [m.topic, m.packet.qos])).toEqual([
      ['qos/out/1', 1],
      ['qos/out/2', 2],
    ]);
    // The subscriber's PUBACK / PUBREC+PUBCOMP empty the broker's inflight window.
    await waitUntil(() => srv.broker.sessions.get(subId)!.inflight.size === 0, 2000, 'inflight to drain');
    expect(sub.packetsIn.filter((p) => p.cmd === 'pubrel')).toHaveLength(1);
  });

  it('downgrades to the subscription QoS', async () => {
    const srv = await rt.server();
    const s0 = await rt.client(srv, { protocolVersion });
    const s1 = await rt.client(srv, { protocolVersion });
    const s2 = await rt.client(srv, { protocolVersion });
    const pub = await rt.client(srv, { protocolVersion });
    await s0.subscribeAsync('qos/down', { qos: 0 });
    await s1.subscribeAsync('qos/down', { qos: 1 });
    await s2.subscribeAsync('qos/down', { qos: 2 });
    await pub.publishAsync('qos/down', 'q2', { qos: 2 });
    await pub.publishAsync('qos/down', 'q1', { qos: 1 });
    const [a] = await s0.inbox.waitFor(2);
    const [b] = await s1.inbox.waitFor(2);
    const [c] = await s2.inbox.waitFor(2);
    expect(s0.inbox.messages.map((m) => m.packet.qos)).toEqual([0, 0]);
    expect(s1.inbox.messages.map((m) => m.packet.qos)).toEqual([1, 1]);
    // Never upgraded above the published QoS.
    expect(s2.inbox.messages.map((m) => m.packet.qos)).toEqual([2, 1]);
    expect([a, b, c].map((m) => m.payload.toString())).toEqual(['q2', 'q2', 'q2']);
  });

  it('SUBACK grants the requested QoS', async () => {
    const srv = await rt.server();
    const c = await rt.client(srv, { protocolVersion });
    const granted = await c.subscribeAsync({ 'g/0': { qos: 0 }, 'g/1': { qos: 1 }, 'g/2': { qos: 2 } });
    expect(granted.map((g) => g.qos)).toEqual([0, 1, 2]);
  });

  it('QoS 1 messages from one publisher arrive in order', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion });
    const pub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('qos/order', { qos: 1 });
    const n = 50;
    await Promise.all(
      Array.from({ length: n }, (_, i) => pub.publishAsync('qos/order', String(i), { qos: 1 })),
    );
    await sub.inbox.waitFor(n);
    expect(sub.inbox.payloads()).toEqual(Array.from({ length: n }, (_, i) => String(i)));
  });

  it('overlapping subscriptions deliver one copy at the highest matching QoS', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion });
    const pub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync({ 'ov/+/c': { qos: 0 }, 'ov/#': { qos: 2 }, 'ov/b/c': { qos: 1 } });
    await pub.publishAsync('ov/b/c', 'once', { qos: 2 });
    await sub.inbox.waitFor(1);
    await sleep(150);
    expect(sub.inbox.length).toBe(1);
    expect(sub.inbox.messages[0].packet.qos).toBe(2);
  });

  it('unsubscribe stops delivery', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion });
    const pub = await rt.client(srv, { protocolVersion });
    await sub.subscribeAsync('uns/t', { qos: 1 });
    await pub.publishAsync('uns/t', 'before', { qos: 1 });
    await sub.inbox.waitFor(1);
    await sub.unsubscribeAsync('uns/t');
    await pub.publishAsync('uns/t', 'after', { qos: 1 });
    await sleep(150);
    expect(sub.inbox.payloads()).toEqual(['before']);
  });

  it('$-topics are not matched by # or +/..., only by filters starting with $', async () => {
    const srv = await rt.server();
    const hash = await rt.client(srv, { protocolVersion });
    const plus = await rt.client(srv, { protocolVersion });
    const dollar = await rt.client(srv, { protocolVersion });
    const pub = await rt.client(srv, { protocolVersion });
    await hash.subscribeAsync('#', { qos: 1 });
    await plus.subscribeAsync('+/x', { qos: 1 });
    await dollar.subscribeAsync('$app/+', { qos: 1 });
    await pub.publishAsync('$app/x', 'hidden', { qos: 1 });
    await pub.publishAsync('app/x', 'visible', { qos: 1 });
    await dollar.inbox.waitFor(1);
    await hash.inbox.waitFor(1);
    await plus.inbox.waitFor(1);
    await sleep(150);
    expect(dollar.inbox.topics()).toEqual(['$app/x']);
    expect(hash.inbox.topics()).toEqual(['app/x']);
    expect(plus.inbox.topics()).toEqual(['app/x']);
  });
});

describe('QoS 2 exactly once with a raw client', () => {
  for (const protocolVersion of VERSIONS) {
    it(`v${protocolVersion}: a resent QoS 2 PUBLISH (same id, before PUBREL) is routed only once`, async () => {
      const srv = await rt.server();
      const sub = await rt.client(srv, { protocolVersion });
      await sub.subscribeAsync('eo/t', { qos: 2 });
      const r = await rt.raw(srv, protocolVersion);
      await r.connect();
      r.send(publishPacket('eo/t', 'only-once', 2, 7));
      await r.waitFor('pubrec');
      r.send(publishPacket('eo/t', 'only-once', 2, 7, { dup: true }));
      await waitUntil(() => r.of('pubrec').length === 2, 2000, 'second PUBREC');
      r.send({ cmd: 'pubrel', messageId: 7 });
      await r.waitFor('pubcomp');
      await sub.inbox.waitFor(1);
      await sleep(150);
      expect(sub.inbox.payloads()).toEqual(['only-once']);
    });
  }

  it('v5: PUBREL for an unknown packet id gets PUBCOMP 0x92', async () => {
    const srv = await rt.server();
    const r = await rt.raw(srv, 5);
    await r.connect();
    r.send({ cmd: 'pubrel', messageId: 99 });
    const comp = await r.waitFor<IPubcompPacket>('pubcomp');
    expect(comp.messageId).toBe(99);
    expect(comp.reasonCode).toBe(0x92);
  });

  it('v5: PUBACK carries 0x10 No matching subscribers when nobody subscribed', async () => {
    const srv = await rt.server();
    const r = await rt.raw(srv, 5);
    await r.connect();
    r.send(publishPacket('nobody/listens', 'x', 1, 3));
    const ack = await r.waitFor<IPubackPacket>('puback');
    expect(ack.messageId).toBe(3);
    expect(ack.reasonCode).toBe(0x10);
  });

  it('v5: UNSUBACK reports 0x11 for a filter that was not subscribed', async () => {
    const srv = await rt.server();
    const c = await rt.client(srv, { protocolVersion: 5 });
    await c.subscribeAsync('u/a');
    await c.unsubscribeAsync(['u/a', 'u/none']);
    const ack = c.packetsIn.find((p) => p.cmd === 'unsuback') as IUnsubackPacket;
    expect(ack.granted).toEqual([0x00, 0x11]);
  });

  it('raw subscriber receives PUBLISH QoS 2, the broker sends PUBREL after PUBREC', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion: 4 });
    const r = await rt.raw(srv, 4);
    const id = uniqueId('rawsub');
    await r.connect({ clientId: id });
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'r2/t', qos: 2 }] });
    await r.waitFor('suback');
    await pub.publishAsync('r2/t', 'hello', { qos: 2 });
    const p = await r.waitFor<IPublishPacket>('publish');
    expect(p.qos).toBe(2);
    r.send({ cmd: 'pubrec', messageId: p.messageId });
    const rel = await r.waitFor('pubrel');
    expect((rel as { messageId: number }).messageId).toBe(p.messageId);
    expect(srv.broker.sessions.get(id)!.inflight.get(p.messageId!)?.state).toBe('pubrel');
    r.send({ cmd: 'pubcomp', messageId: p.messageId });
    await waitUntil(() => srv.broker.sessions.get(id)!.inflight.size === 0, 2000, 'inflight to drain');
  });

  it('v5: a PUBREC with an error reason code ends the QoS 2 flow without PUBREL', async () => {
    const srv = await rt.server();
    const pub = await rt.client(srv, { protocolVersion: 5 });
    const id = uniqueId('rawrec');
    const r = await rt.raw(srv, 5);
    await r.connect({ clientId: id });
    r.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: 'rec/t', qos: 2, nl: false, rap: false, rh: 0 }],
    });
    await r.waitFor('suback');
    await pub.publishAsync('rec/t', 'refused', { qos: 2 });
    const p = await r.waitFor<IPublishPacket>('publish');
    r.send({ cmd: 'pubrec', messageId: p.messageId, reasonCode: 0x80 });
    await waitUntil(() => srv.broker.sessions.get(id)!.inflight.size === 0, 2000, 'inflight to drain');
    await sleep(100);
    expect(r.of('pubrel')).toHaveLength(0);
  });
});

describe('framing over TCP', () => {
  it('packets split into 1-byte writes and several packets in one write are both handled', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion: 4 });
    await sub.subscribeAsync('frag/#', { qos: 1 });
    const r = await rt.raw(srv, 4);
    r.socket.setNoDelay(true);
    const gen = (p: Parameters<typeof r.send>[0]) => mqttPacket.generate(p, { protocolVersion: 4 });
    const connect = gen({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: uniqueId('frag'),
    });
    const big = gen(publishPacket('frag/one', Buffer.alloc(300, 0x61), 1, 1)); // 2-byte Remaining Length
    for (const b of Buffer.concat([connect, big])) {
      r.write(Buffer.from([b]));
      await new Promise((res) => setImmediate(res));
    }
    await r.waitFor('connack');
    await r.waitFor('puback');
    // Three packets in a single write.
    r.write(
      Buffer.concat([
        gen(publishPacket('frag/two', 'b', 1, 2)),
        gen(publishPacket('frag/three', 'c', 0)),
        gen({ cmd: 'pingreq' }),
      ]),
    );
    await r.waitFor('pingresp');
    await sub.inbox.waitFor(3);
    expect(sub.inbox.topics()).toEqual(['frag/one', 'frag/two', 'frag/three']);
    expect(sub.inbox.messages[0].payload.length).toBe(300);
  });
});

describe('MQTT 3.1 (MQIsdp)', () => {
  it('a protocol level 3 client can publish and subscribe', async () => {
    const srv = await rt.server();
    const c = await rt.client(srv, { protocolVersion: 3, protocolId: 'MQIsdp' });
    expect(c.connack.returnCode).toBe(0);
    const other = await rt.client(srv, { protocolVersion: 4 });
    await c.subscribeAsync('v31/t', { qos: 1 });
    await other.publishAsync('v31/t', 'to 3.1', { qos: 1 });
    await c.publishAsync('v31/t', 'from 3.1', { qos: 2 });
    await c.inbox.waitFor(2);
    expect(c.inbox.payloads()).toEqual(['to 3.1', 'from 3.1']);
  });

  it('a protocol level 3 client with an empty client id is rejected with return code 2', async () => {
    const srv = await rt.server();
    const r = await rt.raw(srv, 4);
    // mqtt-packet refuses to encode this one: [0x10, 14, "MQIsdp", level 3, clean, keep alive 0, client id ""].
    r.write(Buffer.from([0x10, 14, 0, 6, ...Buffer.from('MQIsdp'), 3, 0x02, 0, 0, 0, 0]));
    const ack = await r.waitFor<IConnackPacket>('connack');
    expect(ack.returnCode).toBe(2);
    await r.waitClosed();
  });
});
