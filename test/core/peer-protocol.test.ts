// The peer protocol: frames round-trip; garbage, unknown types, oversized or
// truncated frames, and frames before authentication close the link without
// crashing the node or disturbing its other links.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  F,
  FrameReader,
  FrameError,
  encodeJson,
  encodeMessage,
  encodePing,
  encodeRelay,
  encodeRMsg,
  encodeRetain,
  encodeSeq,
  knownOfSeq,
  restamp,
  type Frame,
} from '../../core/cluster/peer-protocol.ts';
import { World } from '../../sim/world.ts';
import type { Message } from '../../core/message.ts';

describe('frames', () => {
  it('round-trip: JSON, binary message (with properties and expiry), ping, sequenced', () => {
    const msg: Message = {
      topic: 'a/b',
      payload: Buffer.from([0, 1, 2, 255]),
      qos: 2,
      retain: true,
      from: 'c1',
      receivedAt: 1234.5,
      expiresAt: 11_234.5,
      mid: 'n1.x.7',
      props: { contentType: 'bin', correlationData: Buffer.from('cd'), userProperties: { k: ['a', 'b'] } },
    };
    const frames = [
      encodeJson(F.Routes, { full: true, add: ['x/#'], del: [] }),
      encodeMessage(F.Forward, msg, 1000, ['$share/g/a/+']),
      encodePing(5, 42),
      encodeSeq(9, encodeRetain(msg, { l: 1000.5, c: 3, n: 'n2' }, 1000, false, true)),
    ];
    const out: Frame[] = [];
    const r = new FrameReader();
    const all = Buffer.concat(frames);
    for (let i = 0; i < all.length; i += 7) r.push(all.subarray(i, i + 7), 1000, out); // split anywhere
    expect(out.map((f) => f.type)).toEqual([F.Routes, F.Forward, F.Ping, F.Seq]);
    const fwd = out[1] as Extract<Frame, { type: F.Forward }>;
    expect(fwd.groups).toEqual(['$share/g/a/+']);
    expect(fwd.msg.payload).toEqual(msg.payload);
    expect(fwd.msg.expiresAt).toBe(11_235); // remaining time travels in whole milliseconds
    expect(fwd.msg.props?.correlationData).toEqual(Buffer.from('cd'));
    expect(fwd.msg.mid).toBe('n1.x.7');
    const seq = out[3] as Extract<Frame, { type: F.Seq }>;
    expect(seq.seq).toBe(9);
    expect(seq.inner.type).toBe(F.Retain);
    const ret = seq.inner as Extract<Frame, { type: F.Retain }>;
    expect(ret.notForwarded).toBe(true);
    expect(ret.deleted).toBe(false);
    expect(ret.v).toEqual({ l: 1000.5, c: 3, n: 'n2' });
    expect(ret.msg.payload).toEqual(msg.payload);
  });

  it('Forward: the receiver epoch its sender knew travels; restamp gives another peer its own', () => {
    fc.assert(
      fc.property(
        fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
        fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
        fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
        fc.uint8Array({ maxLength: 40 }),
        (a, b, groups, payload) => {
          const msg: Message = {
            topic: 't/x',
            payload: Buffer.from(payload),
            qos: 1,
            retain: false,
            from: 'p',
            receivedAt: 7,
            mid: 'n1.i.9',
          };
          const base = encodeMessage(F.Forward, msg, 0, groups, a);
          const read = (f: Buffer) => {
            const out: Frame[] = [];
            new FrameReader().push(f, 0, out);
            return out[0] as Extract<Frame, { type: F.Forward }>;
          };
          for (const [frame, known] of [
            [base, a],
            [restamp(base, b), b],
          ] as const) {
            const f = read(frame);
            expect(f.known).toBe(known);
            expect(f.groups).toEqual(groups);
            expect(f.msg.payload).toEqual(msg.payload);
            expect(knownOfSeq(encodeSeq(3, frame))).toBe(known);
          }
        },
      ),
    );
    // Other frames have no stamp to read back.
    expect(knownOfSeq(encodeSeq(3, encodeJson(F.Routes, { full: false, add: [], del: [], e: 4 })))).toBe(
      undefined,
    );
  });

  it('RMsg: one record per message, shared by the sessions it is replicated for; truncation anywhere is a FrameError', () => {
    const msg: Message = {
      topic: 'fleet/7/cmd',
      payload: Buffer.from('hello'),
      qos: 2,
      retain: false,
      from: 'backend-1',
      receivedAt: 99,
      mid: 'n1.a.3',
      expiresAt: 5099,
    };
    const a = encodeRMsg('dev-1', 1, msg, 1000);
    const b = encodeRMsg('dev-22', 2, msg, 1000);
    const out: Frame[] = [];
    new FrameReader().push(Buffer.concat([a, b]), 2000, out);
    const [ra, rb] = out as Extract<Frame, { type: F.RMsg }>[];
    expect([ra.body.clientId, ra.body.dq, rb.body.clientId, rb.body.dq]).toEqual(['dev-1', 1, 'dev-22', 2]);
    expect(rb.body.msg.payload.toString()).toBe('hello');
    expect(rb.body.msg).toMatchObject({
      topic: 'fleet/7/cmd',
      qos: 2,
      from: 'backend-1',
      mid: 'n1.a.3',
      expiresAt: 6099,
    });
    for (let cut = 5; cut < a.length; cut++) {
      const f = Buffer.from(a.subarray(0, cut));
      f.writeUInt32BE(cut - 4, 0);
      expect(() => new FrameReader().push(f, 0, [])).toThrow(FrameError);
    }
  });

  it('Relay (core/replicant roles): header and inner frame round-trip; a relay of a relay, a bad header or a cut is a FrameError', () => {
    const msg: Message = {
      topic: 't',
      payload: Buffer.from('p'),
      qos: 1,
      retain: false,
      from: 'c',
      receivedAt: 1,
    };
    const inner = encodeMessage(F.Forward, { ...msg, mid: 'r1.a.1' }, 0);
    const relay = encodeRelay(
      {
        from: 'r1',
        to: [
          ['r2', []],
          ['r3', ['$share/g/t']],
        ],
      },
      inner,
    );
    const out: Frame[] = [];
    new FrameReader().push(Buffer.concat([relay, encodeSeq(3, relay)]), 0, out);
    const [f, seq] = out as [Extract<Frame, { type: F.Relay }>, Extract<Frame, { type: F.Seq }>];
    expect(f.head).toEqual({
      from: 'r1',
      to: [
        ['r2', []],
        ['r3', ['$share/g/t']],
      ],
    });
    expect(f.inner.type).toBe(F.Forward);
    expect((f.inner as Extract<Frame, { type: F.Forward }>).msg.mid).toBe('r1.a.1');
    expect(f.raw).toEqual(inner.subarray(4)); // passed on as it came
    expect(seq.inner.type).toBe(F.Relay);
    const bad = [
      encodeRelay({ from: 'r1' }, relay), // a relay in a relay
      encodeRelay({ from: 7 } as never, inner),
      encodeRelay({ from: 'r1', to: [['r2']] } as never, inner),
    ];
    for (const b of bad) expect(() => new FrameReader().push(b, 0, [])).toThrow(FrameError);
    for (let cut = 5; cut < relay.length; cut++) {
      const c = Buffer.from(relay.subarray(0, cut));
      c.writeUInt32BE(cut - 4, 0);
      expect(() => new FrameReader().push(c, 0, [])).toThrow(FrameError);
    }
  });

  it("Held (a holder of a lost owner's replicas, for its backup): round-trip; a malformed replica or will is a FrameError", () => {
    const wire = {
      topic: 'a',
      payload: 'AA==',
      qos: 1,
      retain: false,
      from: 'c',
      receivedAt: 1,
      mid: 'm1',
      dq: 1,
    };
    const replica = { clientId: 'c1', subs: [], msgs: [wire], expiry: 60, seen: ['m0'], at: 5, lastSent: 3 };
    const will = { clientId: 'c1', at: 5, will: wire, delay: 0 };
    const read = (body: unknown) => {
      const out: Frame[] = [];
      new FrameReader().push(encodeJson(F.Held, body), 0, out);
      return out[0];
    };
    const ok = read({ owner: 'n3', inc: 'abc', replicas: [replica], wills: [will] });
    expect(ok.type).toBe(F.Held);
    expect((ok as Extract<Frame, { type: F.Held }>).body.replicas[0].at).toBe(5);
    for (const bad of [
      { owner: 'n3', replicas: [null], wills: [] },
      { owner: 'n3', replicas: [{ ...replica, at: undefined }], wills: [] },
      { owner: 'n3', replicas: [], wills: [null] },
      { owner: 'n3', replicas: [], wills: [{ clientId: 'c1', at: 5 }] }, // a will to hand on has its message
      { owner: 'n3', ended: false, replicas: [], wills: [] },
      { replicas: [], wills: [] },
    ])
      expect(() => read(bad)).toThrow(FrameError);
  });

  it('never throws anything but FrameError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          new FrameReader().push(Buffer.from(bytes), 0, []);
        } catch (e) {
          expect(e).toBeInstanceOf(FrameError);
        }
      }),
      { numRuns: 2000, seed: 11 },
    );
  });
});

describe('a hostile peer', () => {
  it('garbage, unknown frames and frames before authentication close that link only', async () => {
    const w = new World({ seed: 'hostile-peer' });
    w.addCluster(['n1', 'n2']);
    const sub = w.client('sub', { target: 'n2', subscriptions: [{ filter: 'ok/#', qos: 1 }] });
    const pub = w.client('pub', { target: 'n1' });
    const attacker = w.host('mallory', true);
    const payloads = [
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      encodeJson(F.Routes, { full: true, add: ['#'], del: [] }), // before authentication
      Buffer.from([0, 0, 0, 2, 99, 0]), // unknown type
      Buffer.from([0xff, 0xff, 0xff, 0xff, 1]), // absurd length
    ];
    const closed: string[] = [];
    await w.run(async (w) => {
      await w.sleep(3000);
      for (const p of payloads) {
        w.network.connect(
          attacker,
          w.host('n1'),
          { onOpen: (s) => s.write(p), onData: () => {}, onClose: (r) => closed.push(r) },
          undefined,
          'cluster',
        );
      }
      await w.sleep(3000);
      pub.publish('ok/1', 1);
      await w.sleep(1000);
    });
    expect(closed.length).toBe(payloads.length);
    expect(w.cluster('n1').routes.dump()).toEqual(['ok/# -> n2']);
    expect(
      w
        .cluster('n1')
        .status()
        .find((s) => s.node === 'n2')?.state,
    ).toBe('running');
    expect(sub.received.map((r) => r.id)).toEqual(['pub:1']);
  });
});
