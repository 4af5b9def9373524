// The hand-written 3.1/3.1.1 CONNECT decoder against mqtt-packet's parser:
// the same packet for every CONNECT mqtt-packet generates, and for damaged
// frames either the same packet or null (left to mqtt-packet, which reports
// the error).

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { decodeConnect311 } from '../../core/connect-codec.ts';
import { varint } from '../helpers/core-client.ts';

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const arb = fc.record({
  version: fc.constantFrom(3 as const, 4 as const),
  clientId: text,
  clean: fc.boolean(),
  keepalive: fc.integer({ min: 0, max: 65535 }),
  will: fc.option(
    fc.record({
      topic: text,
      payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
      retain: fc.boolean(),
    }),
    { nil: undefined },
  ),
  username: fc.option(text, { nil: undefined }),
  password: fc.option(
    fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a)),
    { nil: undefined },
  ),
});

type Connect = typeof arb extends fc.Arbitrary<infer T> ? T : never;

/** The CONNECT frame for `x`, written byte by byte (mqtt-packet's generate refuses some frames its parser takes). */
function generate(x: Connect): Buffer {
  const str = (v: string | Buffer) => {
    const b = Buffer.from(v);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
  };
  const flags =
    (x.username !== undefined ? 0x80 : 0) |
    (x.password !== undefined ? 0x40 : 0) |
    (x.will ? 0x04 | (x.will.qos << 3) | (x.will.retain ? 0x20 : 0) : 0) |
    (x.clean ? 0x02 : 0);
  const parts = [
    str(x.version === 3 ? 'MQIsdp' : 'MQTT'),
    Buffer.from([x.version, flags, x.keepalive >> 8, x.keepalive & 255]),
    str(x.clientId),
  ];
  if (x.will) parts.push(str(x.will.topic), str(x.will.payload));
  if (x.username !== undefined) parts.push(str(x.username));
  if (x.password !== undefined) parts.push(str(x.password));
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}

/** mqtt-packet's result for one frame: the packet, or the error it reports. */
function reference(frame: Buffer): { packet?: Packet; error?: string } {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: { packet?: Packet; error?: string } = {};
  parser.on('packet', (p: Packet) => (out.packet ??= p));
  parser.on('error', (e: Error) => (out.error ??= e.message));
  parser.parse(frame);
  return out;
}

/** A packet as comparable data: key order kept, buffers as hex. */
const plain = (p: unknown): string =>
  JSON.stringify(p, (_k, v) =>
    v && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('hex') : v,
  );

describe('3.1/3.1.1 CONNECT decoder', () => {
  it('decodes what mqtt-packet decodes, field for field and in the same order', () => {
    fc.assert(
      fc.property(arb, (x) => {
        const frame = generate(x);
        const ref = reference(frame);
        expect(ref.error).toBeUndefined();
        const got = decodeConnect311(frame);
        expect(got).not.toBeNull();
        expect(plain(got)).toBe(plain(ref.packet));
      }),
      { numRuns: 500 },
    );
  });

  it("for damaged frames gives mqtt-packet's packet or null, never a packet mqtt-packet refuses", () => {
    const damage = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.nat() });
    let decoded = 0;
    fc.assert(
      fc.property(arb, damage, fc.boolean(), (x, d, truncate) => {
        const whole = generate(x);
        // Damage a byte of the body (the Framer already checked the fixed header), or cut the body short
        // and fix the Remaining Length to match, as a frame would arrive.
        let body = Buffer.from(whole.subarray(headerLength(whole)));
        if (truncate) body = body.subarray(0, d.cut % (body.length + 1));
        else body[d.at % body.length] = d.byte;
        const frame = Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
        const ref = reference(frame);
        const got = decodeConnect311(frame);
        if (got === null) return;
        decoded++;
        expect(ref.error).toBeUndefined();
        expect(plain(got)).toBe(plain(ref.packet));
      }),
      { numRuns: 2000 },
    );
    expect(decoded).toBeGreaterThan(0);
  });

  it('leaves 5.0, bridge mode, bad flags and other packets to the general parser', () => {
    const v4 = generate({
      version: 4,
      clientId: 'c',
      clean: true,
      keepalive: 60,
      will: undefined,
      username: undefined,
      password: undefined,
    });
    expect(decodeConnect311(v4)).not.toBeNull();
    const v5 = mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'c',
      clean: true,
      keepalive: 60,
    } as Packet);
    expect(decodeConnect311(v5)).toBeNull();
    const at = headerLength(v4) + 6; // protocol level
    const bridge = Buffer.from(v4);
    bridge[at] = 0x84;
    expect(decodeConnect311(bridge)).toBeNull();
    const reserved = Buffer.from(v4);
    reserved[at + 1] |= 1;
    expect(decodeConnect311(reserved)).toBeNull();
    const flagsOnHeader = Buffer.from(v4);
    flagsOnHeader[0] = 0x11;
    expect(decodeConnect311(flagsOnHeader)).toBeNull();
    expect(decodeConnect311(Buffer.from([0xc0, 0x00]))).toBeNull();
  });
});

function headerLength(frame: Buffer): number {
  let i = 1;
  while (frame[i] & 0x80) i++;
  return i + 1;
}
