// The hand-written 3.1.1 PUBLISH codec of the hot path against mqtt-packet:
// same bytes out, same packet in, and malformed frames left to mqtt-packet.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import type { Packet, IPublishPacket } from 'mqtt-packet';
import { decodePublish311, encodePublish311 } from '../../core/publish-codec.ts';

const arb = fc.record({
  topic: fc.string({ unit: 'grapheme', maxLength: 200 }),
  payload: fc.uint8Array({ maxLength: 20_000 }).map((a) => Buffer.from(a)),
  qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
  retain: fc.boolean(),
  dup: fc.boolean(),
  pid: fc.integer({ min: 1, max: 65535 }),
});

function reference(x: {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  pid: number;
}): Buffer {
  return mqttPacket.generate(
    {
      cmd: 'publish',
      topic: x.topic,
      payload: x.payload,
      qos: x.qos,
      retain: x.retain,
      dup: x.dup,
      messageId: x.qos ? x.pid : undefined,
    } as Packet,
    { protocolVersion: 4 },
  );
}

describe('3.1.1 PUBLISH codec', () => {
  it('encodes byte for byte like mqtt-packet', () => {
    fc.assert(
      fc.property(arb, (x) => {
        expect(encodePublish311(x.topic, x.payload, x.qos, x.retain, x.dup, x.pid).equals(reference(x))).toBe(
          true,
        );
      }),
      { numRuns: 500 },
    );
  });

  it('decodes what mqtt-packet decodes', () => {
    fc.assert(
      fc.property(arb, (x) => {
        const frame = reference(x);
        const parser = mqttPacket.parser({ protocolVersion: 4 });
        let ref: Packet | undefined;
        parser.on('packet', (p: Packet) => (ref = p));
        parser.parse(frame);
        const got = decodePublish311(frame)!;
        const r = ref as unknown as IPublishPacket & { payload: Buffer; length: number };
        expect({ ...got, payload: got.payload.toString('hex') }).toEqual({
          cmd: r.cmd,
          retain: r.retain,
          qos: r.qos,
          dup: r.dup,
          topic: r.topic,
          length: r.length,
          payload: r.payload.toString('hex'),
          ...(x.qos ? { messageId: x.pid } : {}),
        });
      }),
      { numRuns: 500 },
    );
  });

  it('leaves truncated and QoS 3 frames to the general parser', () => {
    // Topic length beyond the frame; packet id missing; both QoS bits set.
    expect(decodePublish311(Buffer.from([0x30, 0x03, 0x00, 0x05, 0x61]))).toBeNull();
    expect(decodePublish311(Buffer.from([0x32, 0x03, 0x00, 0x01, 0x61]))).toBeNull();
    expect(decodePublish311(Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]))).toBeNull();
    expect(decodePublish311(Buffer.from([0x82, 0x02, 0x00, 0x01]))).toBeNull();
  });
});
