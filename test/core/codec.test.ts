// Codec edge cases: the framer on its own, then bytes in / bytes out through
// a core Broker connection (no network).

import { describe, it, expect } from 'vitest';
import type { Packet, IConnackPacket, IPublishPacket, IDisconnectPacket } from 'mqtt-packet';
import { Framer, FrameError } from '../../core/framer.ts';
import { TestClient, newBroker, encode, decodeAll, varint, type Version } from '../helpers/core-client.ts';

/** A frame of `type` whose body is `bodyLen` bytes of filler. */
function frame(first: number, bodyLen: number, fill = 0x61): Buffer {
  return Buffer.concat([Buffer.from([first]), varint(bodyLen), Buffer.alloc(bodyLen, fill)]);
}

function collect(f: Framer, chunks: Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) f.push(c, (fr) => (out.push(Buffer.from(fr)), true));
  return out;
}

/** Buffer lists compared with Buffer.equals (toEqual walks every byte slowly). */
function sameFrames(got: Buffer[], want: Buffer[]): boolean {
  return got.length === want.length && got.every((g, i) => g.equals(want[i]));
}

function splitAt(buf: Buffer, ...cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

describe('Framer', () => {
  const packets = [
    frame(0xc0, 0),
    frame(0x30, 1),
    frame(0x30, 127),
    frame(0x30, 128),
    frame(0x82, 300),
    frame(0xe0, 0),
    frame(0x30, 16384),
  ];
  const stream = Buffer.concat(packets);

  it('varint helper encodes the spec examples', () => {
    expect(varint(0)).toEqual(Buffer.from([0x00]));
    expect(varint(127)).toEqual(Buffer.from([0x7f]));
    expect(varint(128)).toEqual(Buffer.from([0x80, 0x01]));
    expect(varint(16383)).toEqual(Buffer.from([0xff, 0x7f]));
    expect(varint(16384)).toEqual(Buffer.from([0x80, 0x80, 0x01]));
    expect(varint(2097151)).toEqual(Buffer.from([0xff, 0xff, 0x7f]));
    expect(varint(2097152)).toEqual(Buffer.from([0x80, 0x80, 0x80, 0x01]));
    expect(varint(268435455)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0x7f]));
  });

  it('cuts many packets out of one chunk', () => {
    const f = new Framer(1 << 20);
    expect(sameFrames(collect(f, [stream]), packets)).toBe(true);
    expect(f.error).toBe(FrameError.None);
  });

  it('gives the same packets for a split at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const f = new Framer(1 << 20);
      const got = collect(f, splitAt(stream, cut));
      expect(sameFrames(got, packets), `cut at ${cut}`).toBe(true);
    }
  });

  it('gives the same packets for two cuts around every header byte', () => {
    let off = 0;
    for (const p of packets) {
      for (let a = off; a < off + 6 && a <= stream.length; a++) {
        for (let b = a; b < a + 6 && b <= stream.length; b++) {
          const got = collect(new Framer(1 << 20), splitAt(stream, a, b));
          expect(sameFrames(got, packets), `cuts at ${a},${b}`).toBe(true);
        }
      }
      off += p.length;
    }
  });

  it('gives the same packets one byte at a time, with empty chunks in between', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) chunks.push(stream.subarray(i, i + 1), Buffer.alloc(0));
    expect(sameFrames(collect(new Framer(1 << 20), chunks), packets)).toBe(true);
  });

  it('a 5-byte Remaining Length is malformed', () => {
    const f = new Framer(1 << 28);
    const got = collect(f, [Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00])]);
    expect(got).toEqual([]);
    expect(f.error).toBe(FrameError.Malformed);
  });

  it('a 5-byte Remaining Length is malformed even when it arrives one byte at a time', () => {
    const f = new Framer(1 << 28);
    const bytes = [0x30, 0xff, 0xff, 0xff, 0xff, 0x7f];
    for (let i = 0; i < 4; i++) {
      collect(f, [Buffer.from([bytes[i]])]);
      expect(f.error, `after ${i + 1} bytes`).toBe(FrameError.None);
    }
    collect(f, [Buffer.from([bytes[4]])]);
    expect(f.error).toBe(FrameError.Malformed);
  });

  it('a 4-byte Remaining Length (the maximum, 268435455) is not malformed', () => {
    const f = new Framer(268_435_455);
    collect(f, [Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])]);
    // 1 + 4 + 268435455 exceeds the largest allowed maximum: too large, not malformed.
    expect(f.error).toBe(FrameError.TooLarge);
    const g = new Framer(1 << 20);
    collect(g, [Buffer.from([0x30, 0x80, 0x80, 0x80, 0x01])]); // 2^21 > 1 MiB
    expect(g.error).toBe(FrameError.TooLarge);
  });

  it('accepts a packet of exactly the maximum size and refuses one byte more', () => {
    // Body lengths on both sides of every Remaining Length width change.
    for (const len of [14, 126, 127, 128, 16382, 16383, 16384, 69996]) {
      const exact = frame(0x30, len);
      const max = exact.length;
      const f = new Framer(max);
      expect(sameFrames(collect(f, [exact]), [exact]), `max ${max}`).toBe(true);
      expect(f.error).toBe(FrameError.None);

      const over = frame(0x30, len + 1);
      expect(over.length).toBeGreaterThan(max);
      const g = new Framer(max);
      expect(collect(g, [over]), `max ${max}`).toEqual([]);
      expect(g.error).toBe(FrameError.TooLarge);

      // And with a smaller limit the exact one is refused too.
      const h = new Framer(max - 1);
      collect(h, [exact]);
      expect(h.error).toBe(FrameError.TooLarge);
    }
  });

  it('refuses an oversized packet from its header alone, before buffering the body', () => {
    const f = new Framer(1000);
    collect(f, [Buffer.from([0x30, 0xe9, 0x07])]); // 1001 body bytes
    expect(f.error).toBe(FrameError.TooLarge);
  });

  it('stops at the first error and ignores later bytes', () => {
    const f = new Framer(100);
    const got = collect(f, [Buffer.concat([frame(0xc0, 0), frame(0x30, 200), frame(0xc0, 0)])]);
    expect(got).toEqual([frame(0xc0, 0)]);
    expect(collect(f, [frame(0xc0, 0)])).toEqual([]);
    expect(f.error).toBe(FrameError.TooLarge);
  });

  it('stops delivering when onFrame returns false', () => {
    const f = new Framer(100);
    const got: Buffer[] = [];
    f.push(Buffer.concat([frame(0xc0, 0), frame(0xc0, 0)]), (fr) => (got.push(fr), false));
    expect(got.length).toBe(1);
  });
});

// ---------------------------------------------------------------------------
// Through a Broker connection.

function cmds(ps: Packet[]): string[] {
  return ps.map((p) => p.cmd);
}

/** A session-worth of client packets, publishing to itself so deliveries show up in the output. */
function conversation(v: Version): Buffer {
  const ps: Packet[] = [
    {
      cmd: 'connect',
      protocolId: v === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: v,
      clientId: 'splitter',
      clean: true,
      keepalive: 0,
    },
    { cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 's/#', qos: 2 }] },
    { cmd: 'publish', topic: 's/0', payload: Buffer.from('zero'), qos: 0, retain: false, dup: false },
    {
      cmd: 'publish',
      topic: 's/1',
      payload: Buffer.alloc(200, 1),
      qos: 1,
      messageId: 7,
      retain: false,
      dup: false,
    },
    {
      cmd: 'publish',
      topic: 's/2',
      payload: Buffer.from('two'),
      qos: 2,
      messageId: 8,
      retain: true,
      dup: false,
    },
    { cmd: 'pubrel', messageId: 8 },
    { cmd: 'puback', messageId: 1 },
    { cmd: 'pubrec', messageId: 2 },
    { cmd: 'pubcomp', messageId: 2 },
    { cmd: 'pingreq' },
    { cmd: 'unsubscribe', messageId: 3, unsubscriptions: ['s/#'] },
    {
      cmd: 'publish',
      topic: 's/3',
      payload: Buffer.alloc(0),
      qos: 1,
      messageId: 9,
      retain: false,
      dup: false,
    },
    { cmd: 'disconnect' },
  ];
  return Buffer.concat(ps.map((p) => encode(p, v)));
}

function run(chunks: Buffer[]): { out: Buffer; closed: boolean } {
  const { broker } = newBroker();
  const c = new TestClient(broker, 4);
  for (const ch of chunks) c.sendRaw(ch);
  return { out: c.sink.allBytes(), closed: c.closed };
}

describe('broker connection: framing', () => {
  for (const v of [3, 4, 5] as Version[]) {
    it(`v${v}: the same conversation split at every byte boundary gives byte-identical output`, () => {
      const stream = conversation(v);
      const whole = run([stream]);
      const { packets, errors } = decodeAll(whole.out, v);
      expect(errors).toEqual([]);
      expect(cmds(packets)).toEqual([
        'connack',
        'suback',
        'publish',
        'publish',
        'puback',
        'publish',
        'pubrec',
        'pubcomp',
        'pubrel',
        'pingresp',
        'unsuback',
        'puback',
      ]);
      expect(whole.closed).toBe(true); // DISCONNECT at the end
      for (let cut = 1; cut < stream.length; cut++) {
        const r = run(splitAt(stream, cut));
        expect(r.out.equals(whole.out), `cut at ${cut}`).toBe(true);
        expect(r.closed).toBe(true);
      }
      const bytewise = run([...stream].map((b) => Buffer.from([b])));
      expect(bytewise.out.equals(whole.out)).toBe(true);
    });
  }

  it('many packets in one chunk: 300 PINGREQ → 300 PINGRESP', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 4);
    c.connect('pinger');
    c.sendRaw(Buffer.concat(Array.from({ length: 300 }, () => encode({ cmd: 'pingreq' }, 4))));
    const got = c.poll();
    expect(got.length).toBe(300);
    expect(got.every((p) => p.cmd === 'pingresp')).toBe(true);
  });

  it('many packets in one chunk: 100 QoS 1 PUBLISH → 100 PUBACK in order (v5)', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 5);
    c.connect('bulk');
    const ids = Array.from({ length: 100 }, (_, i) => 1000 + i);
    c.sendRaw(
      Buffer.concat(
        ids.map((messageId) =>
          encode(
            {
              cmd: 'publish',
              topic: 'bulk/t',
              payload: Buffer.from(String(messageId)),
              qos: 1,
              messageId,
              retain: false,
              dup: false,
            },
            5,
          ),
        ),
      ),
    );
    const got = c.poll();
    expect(cmds(got)).toEqual(ids.map(() => 'puback'));
    expect(got.map((p) => p.messageId)).toEqual(ids);
    expect(c.closed).toBe(false);
  });

  it('CONNECT and PUBLISH in one chunk, then a partial packet, then its rest', () => {
    const { broker } = newBroker();
    const sub = new TestClient(broker, 4);
    sub.connect('sub');
    sub.subscribe('p/#', 0);
    const pub = new TestClient(broker, 4);
    const connect = encode(
      { cmd: 'connect', protocolVersion: 4, clientId: 'pub', clean: true, keepalive: 0 },
      4,
    );
    const p1 = encode(
      { cmd: 'publish', topic: 'p/1', payload: Buffer.from('one'), qos: 0, retain: false, dup: false },
      4,
    );
    const p2 = encode(
      { cmd: 'publish', topic: 'p/2', payload: Buffer.from('two'), qos: 0, retain: false, dup: false },
      4,
    );
    pub.sendRaw(Buffer.concat([connect, p1, p2.subarray(0, 3)]));
    expect(sub.poll().map((p) => (p as IPublishPacket).topic)).toEqual(['p/1']);
    pub.sendRaw(p2.subarray(3));
    expect(sub.poll().map((p) => (p as IPublishPacket).topic)).toEqual(['p/2']);
  });

  it('v5: a 5-byte Remaining Length closes with DISCONNECT 0x81 Malformed Packet', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 5);
    c.connect('rl5');
    c.sendRaw(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]));
    const got = c.poll();
    expect(cmds(got)).toEqual(['disconnect']);
    expect((got[0] as IDisconnectPacket).reasonCode).toBe(0x81);
    expect(c.closed).toBe(true);
    expect(broker.stats.connectedCount).toBe(0);
  });

  it('v4: a 5-byte Remaining Length closes the connection without a packet', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 4);
    c.connect('rl5');
    c.sendRaw(Buffer.from([0xc0, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    expect(c.poll()).toEqual([]);
    expect(c.closed).toBe(true);
  });

  it('before CONNECT: a 5-byte Remaining Length closes the connection without a packet', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 4);
    c.sendRaw(Buffer.from([0x10, 0x80, 0x80, 0x80, 0x80, 0x00]));
    expect(c.sink.allBytes().length).toBe(0);
    expect(c.closed).toBe(true);
    expect(broker.connections.size).toBe(0);
  });

  describe('Maximum Packet Size', () => {
    const MAX = 1000;
    const topic = 'lim/t';
    // v5 QoS 0 PUBLISH: 1 + RL bytes + (2 + topic) + 1 (property length) + payload
    const bytesFor = (total: number) => {
      const rlLen = total - 1 > 129 ? 2 : 1;
      return total - 1 - rlLen - (2 + topic.length) - 1;
    };

    function setup(v: Version) {
      const { broker } = newBroker({ limits: { maxPacketSize: MAX } });
      const sub = new TestClient(broker, v);
      sub.connect('sub');
      sub.subscribe('lim/#', 0);
      const pub = new TestClient(broker, v);
      const ack = pub.connect('pub');
      return { broker, sub, pub, ack };
    }

    it('v5 CONNACK advertises it', () => {
      const { ack } = setup(5);
      expect(ack.properties?.maximumPacketSize).toBe(MAX);
    });

    it('v5: a PUBLISH of exactly the limit is accepted and delivered', () => {
      const { sub, pub } = setup(5);
      const payload = Buffer.alloc(bytesFor(MAX), 7);
      const bytes = encode({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, 5);
      expect(bytes.length).toBe(MAX);
      pub.sendRaw(bytes);
      expect(pub.closed).toBe(false);
      const got = sub.poll();
      expect(got.length).toBe(1);
      expect((got[0] as IPublishPacket).payload).toEqual(payload);
    });

    it('v5: one byte over the limit → DISCONNECT 0x95 Packet Too Large, nothing delivered', () => {
      const { sub, pub, broker } = setup(5);
      const payload = Buffer.alloc(bytesFor(MAX) + 1, 7);
      const bytes = encode({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, 5);
      expect(bytes.length).toBe(MAX + 1);
      pub.sendRaw(bytes);
      const got = pub.poll();
      expect(cmds(got)).toEqual(['disconnect']);
      expect((got[0] as IDisconnectPacket).reasonCode).toBe(0x95);
      expect(pub.closed).toBe(true);
      expect(sub.poll()).toEqual([]);
      expect(broker.stats.connectedCount).toBe(1);
    });

    it('v5: an oversized packet is refused from its first bytes', () => {
      const { pub } = setup(5);
      pub.sendRaw(Buffer.from([0x30, 0xe9, 0x07])); // RL 1001
      expect(pub.closed).toBe(true);
      expect((pub.poll()[0] as IDisconnectPacket).reasonCode).toBe(0x95);
    });

    it('v4: one byte over the limit closes without a packet', () => {
      const { sub, pub } = setup(4);
      // v4 has no property length byte.
      const payload = Buffer.alloc(bytesFor(MAX) + 2, 7);
      const bytes = encode({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, 4);
      expect(bytes.length).toBe(MAX + 1);
      pub.sendRaw(bytes);
      expect(pub.poll()).toEqual([]);
      expect(pub.closed).toBe(true);
      expect(sub.poll()).toEqual([]);
    });

    it('v4: exactly the limit is accepted', () => {
      const { sub, pub } = setup(4);
      const payload = Buffer.alloc(bytesFor(MAX) + 1, 7);
      const bytes = encode({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, 4);
      expect(bytes.length).toBe(MAX);
      pub.sendRaw(bytes);
      expect(pub.closed).toBe(false);
      expect(sub.poll().length).toBe(1);
    });
  });
});

describe('broker connection: CONNECT round trips', () => {
  it('v3.1 (MQIsdp, version 3) → 3.1 CONNACK accepted', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 3);
    c.sendRaw(
      encode(
        {
          cmd: 'connect',
          protocolId: 'MQIsdp',
          protocolVersion: 3,
          clientId: 'old-client',
          clean: true,
          keepalive: 30,
        },
        3,
      ),
    );
    expect(c.sink.allBytes()).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    expect(c.closed).toBe(false);
    expect(c.conn.version).toBe(3);
    expect(broker.sessions.get('old-client')?.protocolVersion).toBe(3);
    expect(broker.stats.connectedCount).toBe(1);
    // and it works: subscribe + publish to itself
    expect(c.subscribe('x', 1).granted).toEqual([1]);
    c.publish('x', 'hi', 1);
    expect(c.publishes().map((p) => p.payload.toString())).toEqual(['hi']);
  });

  it('v3.1.1 (MQTT, version 4) → CONNACK 0, session present on resume', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 4);
    c.sendRaw(
      encode(
        {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: 'c311',
          clean: false,
          keepalive: 0,
        },
        4,
      ),
    );
    expect(c.sink.allBytes()).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]));
    c.conn.transportClosed();
    const d = new TestClient(broker, 4);
    d.sendRaw(
      encode(
        {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: 'c311',
          clean: false,
          keepalive: 0,
        },
        4,
      ),
    );
    expect(d.sink.allBytes()).toEqual(Buffer.from([0x20, 0x02, 0x01, 0x00]));
  });

  it('v5 → CONNACK reason 0 with the server limits', () => {
    const { broker } = newBroker({ limits: { receiveMaximum: 50, topicAliasMaximum: 10 } });
    const c = new TestClient(broker, 5);
    c.sendRaw(
      encode(
        {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 5,
          clientId: 'c5',
          clean: true,
          keepalive: 10,
          properties: { sessionExpiryInterval: 60 },
        },
        5,
      ),
    );
    const { packets, errors } = decodeAll(c.sink.allBytes(), 5);
    expect(errors).toEqual([]);
    expect(packets.length).toBe(1);
    const ack = packets[0] as IConnackPacket;
    expect(ack.cmd).toBe('connack');
    expect(ack.reasonCode).toBe(0);
    expect(ack.sessionPresent).toBe(false);
    expect(ack.properties?.receiveMaximum).toBe(50);
    expect(ack.properties?.topicAliasMaximum).toBe(10);
    expect(ack.properties?.maximumPacketSize).toBe(broker.config.limits.maxPacketSize);
    expect(ack.properties?.assignedClientIdentifier).toBeUndefined();
    expect(c.conn.version).toBe(5);
  });

  it('v5 empty client id → CONNACK carries the Assigned Client Identifier', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 5);
    const ack = c.connect('');
    expect(ack.reasonCode).toBe(0);
    const id = ack.properties?.assignedClientIdentifier;
    expect(typeof id).toBe('string');
    expect(broker.sessions.has(id!)).toBe(true);
  });

  it('v3.1 empty client id → CONNACK 2 Identifier Rejected, closed', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 3);
    // mqtt-packet will not encode this, so by hand: MQIsdp, level 3, clean, keep alive 0, client id ''.
    c.sendRaw(
      Buffer.from([0x10, 14, 0x00, 0x06, ...Buffer.from('MQIsdp'), 0x03, 0x02, 0x00, 0x00, 0x00, 0x00]),
    );
    expect(c.sink.allBytes()).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x02]));
    expect(c.closed).toBe(true);
  });

  it('unknown protocol version → CONNACK 1, closed', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 4);
    const bytes = encode(
      { cmd: 'connect', protocolVersion: 4, clientId: 'v6', clean: true, keepalive: 0 },
      4,
    );
    bytes[8] = 6; // protocol level byte: 0x10 RL 0x00 0x04 'MQTT' level
    c.sendRaw(bytes);
    expect(c.sink.allBytes()).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x01]));
    expect(c.closed).toBe(true);
    expect(broker.sessions.size).toBe(0);
  });

  it('a first packet that is not CONNECT closes without a reply', () => {
    const { broker } = newBroker();
    const c = new TestClient(broker, 4);
    c.sendRaw(encode({ cmd: 'pingreq' }, 4));
    expect(c.sink.allBytes().length).toBe(0);
    expect(c.closed).toBe(true);
  });
});

describe('broker connection: PUBLISH payload round trips', () => {
  const topic = 'rt/size';

  /** Payload length that makes the PUBLISH Remaining Length exactly `rl`. */
  function payloadFor(rl: number, v: Version, qos: number): number {
    return rl - (2 + Buffer.byteLength(topic)) - (qos > 0 ? 2 : 0) - (v === 5 ? 1 : 0);
  }

  const cases: { rl: number; rlBytes: number }[] = [
    { rl: 127, rlBytes: 1 },
    { rl: 128, rlBytes: 2 },
    { rl: 16383, rlBytes: 2 },
    { rl: 16384, rlBytes: 3 },
    { rl: 2097151, rlBytes: 3 },
    { rl: 2097152, rlBytes: 4 },
  ];

  for (const v of [3, 4, 5] as Version[]) {
    for (const qos of [0, 1, 2] as const) {
      it(`v${v} QoS ${qos}: 0-byte payload and Remaining Length boundaries 127/128/16383/16384/2^21-1/2^21 arrive intact`, () => {
        const { broker } = newBroker({ limits: { maxPacketSize: 4 * 1024 * 1024 } });
        const sub = new TestClient(broker, v);
        sub.connect('sub');
        expect(sub.subscribe('rt/#', qos).granted).toEqual([qos]);
        const pub = new TestClient(broker, v);
        pub.connect('pub');

        const sizes = [0, 1, ...cases.map((c) => payloadFor(c.rl, v, qos))];
        for (const [i, n] of sizes.entries()) {
          const payload = Buffer.alloc(n);
          for (let k = 0; k < n; k++) payload[k] = (k * 31 + i) & 0xff;
          const writesBefore = sub.sink.all.length;
          const acks = pub.publish(topic, payload, qos);
          if (qos === 1) expect(cmds(acks)).toEqual(['puback']);
          if (qos === 2) expect(cmds(acks)).toEqual(['pubrec', 'pubcomp']);
          const got = sub.poll().filter((p) => p.cmd === 'publish') as IPublishPacket[];
          expect(got.length, `payload ${n}`).toBe(1);
          expect(got[0].topic).toBe(topic);
          expect(got[0].qos).toBe(qos);
          expect(Buffer.from(got[0].payload as Buffer).equals(payload), `payload ${n} intact`).toBe(true);
          // The outbound packet's Remaining Length is the boundary itself.
          const raw = sub.sink.all[writesBefore];
          expect(raw[0] >> 4).toBe(3);
          const c = cases[i - 2];
          if (c) {
            expect(raw.subarray(1, 1 + c.rlBytes).equals(varint(c.rl)), `RL ${c.rl}`).toBe(true);
            expect(raw.length).toBe(1 + c.rlBytes + c.rl);
          }
        }
        expect(pub.closed).toBe(false);
        expect(sub.closed).toBe(false);
        expect(sub.parseErrors).toEqual([]);
      });
    }
  }

  it('v5 → v4 and v4 → v5: payload and multi-byte UTF-8 topic survive the version change', () => {
    const { broker } = newBroker();
    const s4 = new TestClient(broker, 4);
    s4.connect('s4');
    s4.subscribe('ü/+', 1);
    const s5 = new TestClient(broker, 5);
    s5.connect('s5');
    s5.subscribe('ü/+', 1);
    const p5 = new TestClient(broker, 5);
    p5.connect('p5');
    const payload = Buffer.from([0, 1, 2, 0xff, 0xfe]);
    p5.publish('ü/€', payload, 1);
    for (const s of [s4, s5]) {
      const got = s.poll().filter((p) => p.cmd === 'publish') as IPublishPacket[];
      expect(got.map((p) => p.topic)).toEqual(['ü/€']);
      expect(Buffer.from(got[0].payload as Buffer).equals(payload)).toBe(true);
    }
  });
});
