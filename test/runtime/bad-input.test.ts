// Bad input over a raw socket: each case closes only the offender, with the
// right v5 reason code, while another connected client keeps working.

import { describe, it, expect, beforeEach } from 'vitest';
import mqttPacket from 'mqtt-packet';
import type { IConnackPacket, IDisconnectPacket, ISubackPacket } from 'mqtt-packet';
import {
  useRuntime,
  VERSIONS,
  sleep,
  waitUntil,
  publishPacket,
  patchedConnect,
  type RunningServer,
  type TestClient,
  type RawClient,
} from '../helpers/runtime.ts';

const rt = useRuntime();

let srv: RunningServer;
let bystander: TestClient;
let rounds = 0;

beforeEach(async () => {
  srv = await rt.server();
  bystander = await rt.client(srv, { protocolVersion: 5 });
  await bystander.subscribeAsync('alive/t', { qos: 1 });
});

/** The other client still publishes and receives through the broker. */
async function bystanderStillWorks(connected = 1): Promise<void> {
  const payload = `ping-${++rounds}`;
  await bystander.publishAsync('alive/t', payload, { qos: 1 });
  await bystander.inbox.waitFor(1, 2000, (m) => m.payload.toString() === payload);
  expect(bystander.isClosed()).toBe(false);
  expect(srv.broker.connectedCount).toBe(connected); // only the offender is gone
}

async function closedWith(r: RawClient, rc: number | null): Promise<void> {
  await r.waitClosed(3000);
  const d = r.of<IDisconnectPacket>('disconnect');
  if (rc === null) expect(d).toHaveLength(0);
  else expect(d.map((p) => p.reasonCode)).toEqual([rc]);
}

describe('before CONNECT', () => {
  it('garbage bytes close the socket without an answer', async () => {
    const r = await rt.raw(srv, 4);
    r.write(Buffer.from([0x00, 0x03, 0xde, 0xad, 0xbe]));
    await closedWith(r, null);
    expect(r.packets).toHaveLength(0);
    await bystanderStillWorks();
  });

  it('HTTP on the MQTT port closes the socket', async () => {
    const r = await rt.raw(srv, 4);
    // 'G' reads as a PUBACK header and 'E' as a Remaining Length of 69: a
    // request line plus the usual headers is longer than that, so it frames.
    r.write(
      Buffer.from(
        'GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:1883\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n',
      ),
    );
    await r.waitClosed(3000);
    expect(r.of('connack')).toHaveLength(0);
    await bystanderStillWorks();
  });

  it('a PUBLISH before CONNECT closes the socket and is not routed', async () => {
    const r = await rt.raw(srv, 4);
    r.send(publishPacket('alive/t', 'sneaky', 0));
    await closedWith(r, null);
    expect(r.packets).toHaveLength(0);
    await bystanderStillWorks();
    expect(bystander.inbox.payloads()).not.toContain('sneaky');
  });

  it('a PINGREQ before CONNECT closes the socket without PINGRESP', async () => {
    const r = await rt.raw(srv, 4);
    r.send({ cmd: 'pingreq' });
    await r.waitClosed(3000);
    expect(r.of('pingresp')).toHaveLength(0);
    await bystanderStillWorks();
  });

  it('an unsupported protocol version gets CONNACK return code 1, then close', async () => {
    const r = await rt.raw(srv, 4);
    r.write(patchedConnect({ clientId: 'badver' }, { level: 6 }));
    const ack = await r.waitFor<IConnackPacket>('connack');
    expect(ack.returnCode).toBe(1);
    await r.waitClosed(3000);
    await bystanderStillWorks();
  });

  it('a wrong protocol name closes the socket', async () => {
    const r = await rt.raw(srv, 4);
    const b = patchedConnect({ clientId: 'badname' }, {});
    b.write('MQTX', 4, 'latin1');
    r.write(b);
    await r.waitClosed(3000);
    expect(r.of('connack').filter((a) => (a as IConnackPacket).returnCode === 0)).toHaveLength(0);
    await bystanderStillWorks();
  });

  it('the reserved CONNECT flag set closes the socket', async () => {
    const r = await rt.raw(srv, 4);
    r.write(patchedConnect({ clientId: 'reserved' }, { flags: (f) => f | 0x01 }));
    await r.waitClosed(3000);
    expect(r.of('connack').filter((a) => (a as IConnackPacket).returnCode === 0)).toHaveLength(0);
    await bystanderStillWorks();
  });

  it('v5 CONNECT with an Authentication Method gets CONNACK 0x8C', async () => {
    const r = await rt.raw(srv, 5);
    const ack = await r.connect({ properties: { authenticationMethod: 'SCRAM-SHA-1' } });
    expect(ack.reasonCode).toBe(0x8c);
    await r.waitClosed(3000);
    await bystanderStillWorks();
  });

  it('v5 CONNECT with Receive Maximum 0 gets CONNACK 0x82', async () => {
    const r = await rt.raw(srv, 5);
    const b = patchedConnect({ protocolVersion: 5, clientId: 'rm0', properties: { receiveMaximum: 1 } }, {});
    // Properties start after the keep alive: [len=3][0x21][0x00][0x01] → make it 0.
    const at = b.indexOf(Buffer.from([0x21, 0x00, 0x01]));
    b[at + 2] = 0;
    r.write(b);
    const ack = await r.waitFor<IConnackPacket>('connack');
    expect(ack.reasonCode).toBe(0x82);
    await r.waitClosed(3000);
    await bystanderStillWorks();
  });
});

describe.each(VERSIONS)('after CONNECT, protocol version %i', (protocolVersion) => {
  const v5 = protocolVersion === 5;

  it('garbage bytes close the connection (v5 DISCONNECT 0x81)', async () => {
    const r = await rt.raw(srv, protocolVersion);
    await r.connect();
    r.write(Buffer.from([0x00, 0x02, 0xff, 0xff])); // packet type 0 is reserved
    await closedWith(r, v5 ? 0x81 : null);
    await bystanderStillWorks();
  });

  it('a malformed Remaining Length closes the connection (v5 DISCONNECT 0x81)', async () => {
    const r = await rt.raw(srv, protocolVersion);
    await r.connect();
    r.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
    await closedWith(r, v5 ? 0x81 : null);
    await bystanderStillWorks();
  });

  it('a second CONNECT is a protocol error (v5 DISCONNECT 0x82)', async () => {
    const r = await rt.raw(srv, protocolVersion);
    await r.connect({ clientId: `twice-${protocolVersion}` });
    r.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion,
      clean: true,
      keepalive: 0,
      clientId: `twice-${protocolVersion}`,
    });
    await closedWith(r, v5 ? 0x82 : null);
    expect(r.of('connack')).toHaveLength(1);
    await bystanderStillWorks();
  });

  it('a wildcard in a PUBLISH topic closes the connection (v5 DISCONNECT 0x90), nothing routed', async () => {
    const watcher = await rt.client(srv, { protocolVersion });
    await watcher.subscribeAsync('#', { qos: 1 });
    const r = await rt.raw(srv, protocolVersion);
    await r.connect();
    r.send(publishPacket('alive/+', 'wild', 1, 5));
    await closedWith(r, v5 ? 0x90 : null);
    expect(r.of('puback')).toHaveLength(0);
    await bystanderStillWorks(2);
    await sleep(50);
    expect(watcher.inbox.payloads()).not.toContain('wild');
  });

  it('a PUBLISH topic containing U+0000 closes the connection', async () => {
    const r = await rt.raw(srv, protocolVersion);
    await r.connect();
    r.send(publishPacket('bad\u0000topic', 'x', 0));
    await closedWith(r, v5 ? 0x90 : null);
    await bystanderStillWorks();
  });

  it('a server-only packet (CONNACK) from the client closes the connection (v5 0x82)', async () => {
    const r = await rt.raw(srv, protocolVersion);
    await r.connect();
    r.send(
      v5
        ? { cmd: 'connack', sessionPresent: false, reasonCode: 0 }
        : { cmd: 'connack', sessionPresent: false, returnCode: 0 },
    );
    await closedWith(r, v5 ? 0x82 : null);
    await bystanderStillWorks();
  });

  it('a protocol error publishes the offender’s will', async () => {
    const watcher = await rt.client(srv, { protocolVersion });
    await watcher.subscribeAsync('bad/will', { qos: 1 });
    const r = await rt.raw(srv, protocolVersion);
    await r.connect({
      will: { topic: 'bad/will', payload: Buffer.from('misbehaved'), qos: 1, retain: false },
    });
    r.send(publishPacket('x/#', 'wild', 0));
    await r.waitClosed(3000);
    const [m] = await watcher.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('misbehaved');
    await bystanderStillWorks(2);
  });
});

describe.each(VERSIONS)(
  'ill-formed UTF-8 is a Malformed Packet [MQTT-1.5.4-1], protocol version %i',
  (protocolVersion) => {
    const BAD = [0xc3, 0x28]; // a lead byte followed by a non-continuation byte

    it('in the client identifier: the connection is refused', async () => {
      const r = await rt.raw(srv, protocolVersion);
      const b = patchedConnect({ protocolVersion, clientId: 'zz' }, {});
      const at = b.lastIndexOf(Buffer.from('zz'));
      b[at] = BAD[0];
      b[at + 1] = BAD[1];
      r.write(b);
      await waitUntil(() => r.closed || r.of('connack').length > 0, 3000, 'CONNACK or close');
      const ok = r.of<IConnackPacket>('connack').filter((a) => (a.reasonCode ?? a.returnCode) === 0);
      expect(ok).toHaveLength(0);
      await r.waitClosed(2000);
      await bystanderStillWorks();
    });

    it('in a SUBSCRIBE topic filter: not granted (or the connection is closed)', async () => {
      const r = await rt.raw(srv, protocolVersion);
      await r.connect();
      const b = Buffer.from(
        mqttPacket.generate(
          {
            cmd: 'subscribe',
            messageId: 4,
            subscriptions: [{ topic: 'zz', qos: 1, nl: false, rap: false, rh: 0 }],
          },
          { protocolVersion },
        ),
      );
      const at = b.lastIndexOf(Buffer.from('zz'));
      b[at] = BAD[0];
      b[at + 1] = BAD[1];
      r.write(b);
      await waitUntil(() => r.closed || r.of('suback').length > 0, 3000, 'SUBACK or close');
      const granted = r.of<ISubackPacket>('suback').flatMap((a) => a.granted as number[]);
      expect(granted.filter((g) => g < 0x80)).toEqual([]);
      await bystanderStillWorks();
    });

    it('in the will topic: the connection is refused and no will is ever published', async () => {
      const watcher = await rt.client(srv, { protocolVersion });
      await watcher.subscribeAsync('#', { qos: 0 });
      const r = await rt.raw(srv, protocolVersion);
      const b = patchedConnect(
        {
          protocolVersion,
          clientId: 'willutf8',
          will: { topic: 'w/zz', payload: Buffer.from('x'), qos: 0, retain: false },
        },
        {},
      );
      const at = b.indexOf(Buffer.from('w/zz')) + 2;
      b[at] = BAD[0];
      b[at + 1] = BAD[1];
      r.write(b);
      await waitUntil(() => r.closed || r.of('connack').length > 0, 3000, 'CONNACK or close');
      const ok = r.of<IConnackPacket>('connack').filter((a) => (a.reasonCode ?? a.returnCode) === 0);
      expect(ok).toHaveLength(0);
      r.socket.destroy();
      await sleep(100);
      expect(watcher.inbox.length).toBe(0);
      await bystanderStillWorks(2);
    });

    it('in an UNSUBSCRIBE topic filter: the connection is closed (v5 DISCONNECT 0x81)', async () => {
      const r = await rt.raw(srv, protocolVersion);
      await r.connect();
      const b = Buffer.from(
        mqttPacket.generate(
          { cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['zz'] },
          { protocolVersion },
        ),
      );
      const at = b.lastIndexOf(Buffer.from('zz'));
      b[at] = BAD[0];
      b[at + 1] = BAD[1];
      r.write(b);
      await waitUntil(() => r.closed || r.of('unsuback').length > 0, 3000, 'UNSUBACK or close');
      expect(r.of('unsuback')).toHaveLength(0);
      await closedWith(r, protocolVersion === 5 ? 0x81 : null);
      await bystanderStillWorks();
    });

    it('in a PUBLISH topic name: the connection is closed (v5 DISCONNECT 0x81)', async () => {
      const r = await rt.raw(srv, protocolVersion);
      await r.connect();
      const b = Buffer.from(mqttPacket.generate(publishPacket('zz', 'x', 0), { protocolVersion }));
      const at = b.indexOf(Buffer.from('zz'));
      b[at] = BAD[0];
      b[at + 1] = BAD[1];
      r.write(b);
      await closedWith(r, protocolVersion === 5 ? 0x81 : null);
      await bystanderStillWorks();
    });
  },
);

describe('ill-formed UTF-8 in v5 PUBLISH string properties is a Malformed Packet [MQTT-1.5.4-1]', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['Content Type', { contentType: 'zz' }],
    ['Response Topic', { responseTopic: 'zz' }],
    ['User Property value', { userProperties: { k: 'zz' } }],
  ];
  for (const [name, properties] of cases) {
    it(`${name}: DISCONNECT 0x81 and the message is not forwarded`, async () => {
      const watcher = await rt.client(srv, { protocolVersion: 5 });
      await watcher.subscribeAsync('p8/t', { qos: 1 });
      const r = await rt.raw(srv, 5);
      await r.connect();
      const b = Buffer.from(
        mqttPacket.generate(publishPacket('p8/t', 'payload', 1, 9, { properties }), { protocolVersion: 5 }),
      );
      const at = b.indexOf(Buffer.from('zz'));
      b[at] = 0xc3;
      b[at + 1] = 0x28;
      r.write(b);
      await waitUntil(() => r.closed || r.of('puback').length > 0, 3000, 'PUBACK or close');
      expect(r.of('puback')).toHaveLength(0);
      await closedWith(r, 0x81);
      await sleep(50);
      expect(watcher.inbox.length).toBe(0);
      await bystanderStillWorks(2);
    });
  }
});

describe.each(VERSIONS)(
  'malformed fixed headers and options close the connection, protocol version %i',
  (protocolVersion) => {
    const v5 = protocolVersion === 5;
    const gen = (p: Parameters<typeof mqttPacket.generate>[0]) =>
      Buffer.from(mqttPacket.generate(p, { protocolVersion }));
    const cases: [string, () => Buffer][] = [
      // [MQTT-3.3.1-4]: both QoS bits set.
      [
        'a PUBLISH with QoS 3',
        () => {
          const b = gen(publishPacket('m/t', 'xx', 1, 1));
          b[0] |= 0x06;
          return b;
        },
      ],
      // [MQTT-3.8.1-1]: SUBSCRIBE fixed header flags must be 0010.
      [
        'a SUBSCRIBE with fixed header flags 0000',
        () => {
          const b = gen({
            cmd: 'subscribe',
            messageId: 1,
            subscriptions: [{ topic: 'm/t', qos: 0, nl: false, rap: false, rh: 0 }],
          });
          b[0] = 0x80;
          return b;
        },
      ],
      // [MQTT-3.10.1-1]: UNSUBSCRIBE fixed header flags must be 0010.
      [
        'an UNSUBSCRIBE with fixed header flags 0000',
        () => {
          const b = gen({ cmd: 'unsubscribe', messageId: 1, unsubscriptions: ['m/t'] });
          b[0] = 0xa0;
          return b;
        },
      ],
      // [MQTT-3.6.1-1]: PUBREL fixed header flags must be 0010.
      ['a PUBREL with fixed header flags 0000', () => Buffer.from([0x60, 0x02, 0x00, 0x01])],
      // [MQTT-3.8.3-4] / v5 3.8.3.1: Maximum QoS 3 in the subscription options.
      [
        'a SUBSCRIBE requesting QoS 3',
        () => {
          const b = gen({
            cmd: 'subscribe',
            messageId: 1,
            subscriptions: [{ topic: 'm/t', qos: 0, nl: false, rap: false, rh: 0 }],
          });
          b[b.length - 1] |= 0x03;
          return b;
        },
      ],
    ];
    for (const [name, bytes] of cases) {
      it(`${name}${v5 ? ' (DISCONNECT 0x81)' : ''}`, async () => {
        const r = await rt.raw(srv, protocolVersion);
        await r.connect();
        r.write(bytes());
        await waitUntil(() => r.closed || r.packets.length > 1, 3000, 'a reply or close');
        expect(
          r.packets.filter((p) => p.cmd !== 'connack' && p.cmd !== 'disconnect').map((p) => p.cmd),
        ).toEqual([]);
        await closedWith(r, v5 ? 0x81 : null);
        await bystanderStillWorks();
      });
    }
  },
);

describe('v5-only protocol errors', () => {
  it('AUTH without an authentication method gets DISCONNECT 0x82', async () => {
    const r = await rt.raw(srv, 5);
    await r.connect();
    r.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } });
    await closedWith(r, 0x82);
    await bystanderStillWorks();
  });

  it('a PUBLISH with an empty topic and no alias gets DISCONNECT 0x82', async () => {
    const r = await rt.raw(srv, 5);
    await r.connect();
    r.send(publishPacket('', 'x', 0));
    await closedWith(r, 0x82);
    await bystanderStillWorks();
  });

  it('a SUBSCRIBE with subscription identifier 0 is a protocol error', async () => {
    const r = await rt.raw(srv, 5);
    await r.connect();
    // mqtt-packet will not encode identifier 0: encode 1 and patch the varint.
    const b = Buffer.from(
      (await import('mqtt-packet')).default.generate(
        {
          cmd: 'subscribe',
          messageId: 1,
          properties: { subscriptionIdentifier: 1 },
          subscriptions: [{ topic: 's/t', qos: 0, nl: false, rap: false, rh: 0 }],
        },
        { protocolVersion: 5 },
      ),
    );
    const at = b.indexOf(Buffer.from([0x0b, 0x01]));
    b[at + 1] = 0;
    r.write(b);
    await r.waitClosed(3000);
    expect(r.of('suback')).toHaveLength(0);
    expect(r.of<IDisconnectPacket>('disconnect').map((d) => d.reasonCode)[0]).toBeGreaterThanOrEqual(0x81);
    await bystanderStillWorks();
  });

  it('many misbehaving sockets at once do not disturb the connected client', async () => {
    const bad = await Promise.all(Array.from({ length: 20 }, () => rt.raw(srv, 5)));
    bad.forEach((r, i) => {
      if (i % 4 === 0) r.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]));
      else if (i % 4 === 1) r.send({ cmd: 'pingreq' });
      else if (i % 4 === 2) r.write(patchedConnect({ clientId: `v${i}` }, { level: 9 }));
      else r.write(Buffer.from('\x10\x00'));
    });
    await waitUntil(() => bad.every((r) => r.closed), 3000, 'all bad sockets closed');
    await bystanderStillWorks();
    expect(srv.broker.connections.size).toBe(1);
  });
});
