// Hostile input on one connection must not hurt anybody else.
//
// One connection of a core Broker gets
//   - random byte streams (alone, or after a valid CONNECT);
//   - valid packet streams (CONNECT, SUBSCRIBE, PUBLISH, acks, ...) mutated
//     byte-wise: flipped, set, truncated, spliced, duplicated, deleted;
//   - v5 streams whose property blocks were replaced by generated ones
//     (repeated, unknown, overrunning properties);
//   - unmutated hostile-but-well-formed sequences;
// cut into random chunks with clock jumps in between, while a well-behaved
// subscriber and publisher (both v4 or both v5) are connected on two other
// connections. After every run:
//   - no exception escaped the broker (receive, timers, transportClosed);
//   - the bad connection is open, or closed (sink closed, no writes after
//     close); what the broker wrote to it is whole, well-formed packets; a
//     v5 connection the broker closed on its own got a DISCONNECT or CONNACK
//     with a reason code >= 0x80 last, if anything was sent;
//   - the subscriber still gets a fresh QoS 1 message from the publisher;
//   - broker invariants hold after every chunk: stats.connectedCount equals
//     the sessions with a live connection, router.subscriptionCount equals
//     the sum of session subscriptions, limits read from the wire are numbers
//     in range.
// The "reproductions" block at the end holds minimal cases of what these
// properties found in the core, one per root cause.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type {
  Packet,
  IConnectPacket,
  IPublishPacket,
  ISubscribePacket,
  IConnackPacket,
  IDisconnectPacket,
} from 'mqtt-packet';
import type { Broker } from '../../core/broker.ts';
import type { CloseCause } from '../../core/connection.ts';
import {
  TestClient,
  newBroker,
  encode,
  decodeAll,
  splitFrames,
  varint,
  type Version,
} from '../helpers/core-client.ts';

// ---------------------------------------------------------------------------
// Vocabulary of the "valid" streams: small, so things collide.

const TOPICS = ['wb/x', 'wb/x', 'wb/y', 'a/b', 'a', '/', '$SYS/x', 'é/ü', 'x'];
const FILTERS = [
  'wb/#',
  'wb/+',
  '#',
  '+',
  '+/+',
  'a/#',
  'a/b',
  '$SYS/#',
  '/',
  'a/+/b',
  '$share/g/wb/#',
  '$share/g/#',
  '$queue/wb/x',
  '$share/$queue/wb/x',
  '$share/h/a/b',
];
const CLIENT_IDS = ['fuzz', 'fuzz-2', ''];

const GOOD_SUB = 'well-behaved-subscriber';
const GOOD_PUB = 'well-behaved-publisher';

const pid = fc.integer({ min: 1, max: 4 });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const userProps = opt(
  fc.constantFrom<Record<string, string | string[]>>({ k: 'v' }, { a: ['1', '2'] }, { '': '' }),
);

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function connectArb(v: Version): fc.Arbitrary<IConnectPacket> {
  const willProps =
    v === 5
      ? opt(
          fc
            .record({
              willDelayInterval: opt(fc.constantFrom(0, 1, 30)),
              messageExpiryInterval: opt(fc.constantFrom(0, 1, 100)),
              payloadFormatIndicator: opt(fc.boolean()),
              contentType: opt(fc.constantFrom('', 'text/plain')),
              correlationData: opt(bytes(2)),
              userProperties: userProps,
            })
            .map(clean),
        )
      : fc.constant(undefined);
  const will = opt(
    fc
      .record({
        topic: fc.constantFrom(...TOPICS),
        payload: bytes(16),
        qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
        retain: fc.boolean(),
        properties: willProps,
      })
      .map(clean),
  );
  const props =
    v === 5
      ? opt(
          fc
            .record({
              sessionExpiryInterval: opt(fc.constantFrom(0, 5, 0xffffffff)),
              receiveMaximum: opt(fc.constantFrom(1, 2, 65535)),
              maximumPacketSize: opt(fc.constantFrom(64, 200, 100000)),
              topicAliasMaximum: opt(fc.constantFrom(0, 2)),
              requestProblemInformation: opt(fc.boolean()),
              userProperties: userProps,
            })
            .map(clean),
        )
      : fc.constant(undefined);
  return fc
    .record({
      clientId: fc.constantFrom(...(v === 3 ? CLIENT_IDS.filter((c) => c) : CLIENT_IDS)),
      clean: fc.boolean(),
      keepalive: fc.constantFrom(0, 0, 1, 60),
      will,
      properties: props,
    })
    .map((r) =>
      clean<IConnectPacket>({
        cmd: 'connect',
        protocolId: v === 3 ? 'MQIsdp' : 'MQTT',
        protocolVersion: v,
        ...r,
        clean: r.clientId === '' ? true : r.clean,
      }),
    );
}

function publishArb(v: Version): fc.Arbitrary<IPublishPacket> {
  const props =
    v === 5
      ? opt(
          fc
            .record({
              topicAlias: opt(fc.constantFrom(1, 2, 3)),
              messageExpiryInterval: opt(fc.constantFrom(0, 1, 60)),
              payloadFormatIndicator: opt(fc.boolean()),
              contentType: opt(fc.constantFrom('', 't')),
              responseTopic: opt(fc.constantFrom('', 'wb/reply')),
              correlationData: opt(bytes(4)),
              userProperties: userProps,
            })
            .map(clean),
        )
      : fc.constant(undefined);
  return fc
    .record({
      topic: fc.constantFrom(...TOPICS),
      qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
      retain: fc.boolean(),
      dup: fc.boolean(),
      messageId: pid,
      payload: bytes(24),
      properties: props,
      aliasOnly: fc.boolean(),
    })
    .map(({ aliasOnly, messageId, ...r }) => {
      const p: IPublishPacket = clean({
        cmd: 'publish',
        ...r,
        dup: r.qos > 0 && r.dup,
        messageId: r.qos > 0 ? messageId : undefined,
      });
      if (aliasOnly && p.properties?.topicAlias) p.topic = '';
      return p;
    });
}

function subscribeArb(v: Version): fc.Arbitrary<ISubscribePacket> {
  const sub = fc
    .record({
      topic: fc.constantFrom(...FILTERS),
      qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
      nl: fc.boolean(),
      rap: fc.boolean(),
      rh: fc.constantFrom(0, 1, 2),
    })
    .map((s) => (v === 5 ? { ...s, nl: s.nl && !s.topic.startsWith('$') } : { topic: s.topic, qos: s.qos }));
  const props =
    v === 5
      ? opt(
          fc
            .record({ subscriptionIdentifier: opt(fc.constantFrom(1, 2, 300)), userProperties: userProps })
            .map(clean),
        )
      : fc.constant(undefined);
  return fc
    .record({
      messageId: pid,
      subscriptions: fc.array(sub, { minLength: 1, maxLength: 3 }),
      properties: props,
    })
    .map((r) => clean<ISubscribePacket>({ cmd: 'subscribe', ...r }));
}

function otherArb(v: Version): fc.Arbitrary<Packet> {
  const v5 = v === 5;
  const w = (weight: number, arbitrary: fc.Arbitrary<Packet>) => ({ weight, arbitrary });
  const arbs = [
    w(8, publishArb(v)),
    w(4, subscribeArb(v)),
    w(
      1,
      fc
        .record({
          messageId: pid,
          unsubscriptions: fc.array(fc.constantFrom(...FILTERS), { minLength: 1, maxLength: 2 }),
        })
        .map((r) => ({ cmd: 'unsubscribe' as const, ...r })),
    ),
    w(
      2,
      fc
        .record({
          cmd: fc.constantFrom<'puback' | 'pubrec'>('puback', 'pubrec'),
          messageId: pid,
          reasonCode: v5 ? fc.constantFrom(0, 0x10, 0x80, 0x91) : fc.constant(undefined),
        })
        .map((p) => clean(p as Packet)),
    ),
    w(
      2,
      fc
        .record({
          cmd: fc.constantFrom<'pubrel' | 'pubcomp'>('pubrel', 'pubcomp'),
          messageId: pid,
          reasonCode: v5 ? fc.constantFrom(0, 0x92) : fc.constant(undefined),
        })
        .map((p) => clean(p as Packet)),
    ),
    w(1, fc.constant<Packet>({ cmd: 'pingreq' })),
    // The three below end the connection; kept rare so streams get somewhere first.
    w(
      1,
      fc
        .record({
          reasonCode: v5 ? fc.constantFrom(0, 4, 0x80) : fc.constant(undefined),
          properties: v5
            ? opt(fc.record({ sessionExpiryInterval: fc.constantFrom(0, 5, 1000) }))
            : fc.constant(undefined),
        })
        .map((r) => clean<Packet>({ cmd: 'disconnect', ...r })),
    ),
  ];
  if (v5)
    arbs.push(
      w(1, fc.constant<Packet>({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } })),
    );
  if (v5) arbs.push(w(1, connectArb(v))); // a second CONNECT is a protocol error
  return fc.oneof(...arbs);
}

/** A valid packet sequence of version `v` (CONNECT first), each packet encoded. */
function validPacketsArb(v: Version, maxLength = 12): fc.Arbitrary<Buffer[]> {
  return fc
    .tuple(connectArb(v), fc.array(otherArb(v), { maxLength }))
    .map(([c, rest]) => [c, ...rest].map((p) => encode(p, v)));
}

function validStreamArb(v: Version): fc.Arbitrary<Buffer> {
  return validPacketsArb(v).map((ps) => Buffer.concat(ps));
}

// ---------------------------------------------------------------------------
// Structure-aware mutation for v5: replace a packet's property block with a
// generated one: known and unknown identifiers, repeats, values of the right
// width, and string/binary/pair lengths that overrun the packet.

type PropType = 'byte' | 'int16' | 'int32' | 'var' | 'string' | 'binary' | 'pair' | 'unknown';
const PROP_IDS: [number, PropType][] = [
  [0x01, 'byte'],
  [0x02, 'int32'],
  [0x03, 'string'],
  [0x08, 'string'],
  [0x09, 'binary'],
  [0x0b, 'var'],
  [0x11, 'int32'],
  [0x15, 'string'],
  [0x16, 'binary'],
  [0x17, 'byte'],
  [0x18, 'int32'],
  [0x19, 'byte'],
  [0x1f, 'string'],
  [0x21, 'int16'],
  [0x22, 'int16'],
  [0x23, 'int16'],
  [0x26, 'pair'],
  [0x27, 'int32'],
  [0x7f, 'unknown'],
];
const str = (s: string) => [0, s.length, ...Buffer.from(s)];
const GOOD_VALUES: Record<PropType, number[][]> = {
  byte: [[0], [1], [2]],
  int16: [
    [0, 0],
    [0, 1],
    [0, 3],
    [0xff, 0xff],
  ],
  int32: [
    [0, 0, 0, 0],
    [0, 0, 0, 5],
    [0xff, 0xff, 0xff, 0xff],
  ],
  var: [[0], [1], [0x80, 0x01], [0xff, 0xff, 0xff, 0x7f]],
  string: [str(''), str('a'), str('wb/x')],
  binary: [str(''), [0, 2, 0, 0xff]],
  pair: [
    [...str('k'), ...str('v')],
    [...str(''), ...str('')],
  ],
  unknown: [[]],
};
/** Lengths that run past the end of the packet: mqtt-packet yields null (or -1) instead of an error. */
const OVERRUN_VALUES: Record<PropType, number[][]> = {
  byte: [[]],
  int16: [[0]],
  int32: [[0, 0]],
  var: [[0x80]],
  string: [
    [0x01, 0x00],
    [0xff, 0xff],
  ],
  binary: [[0x01, 0x00]],
  pair: [
    [0x01, 0x00],
    [...str('k'), 0x01, 0x00],
  ],
  unknown: [[]],
};

/** Identifiers the broker forwards or acts on come up more often. */
const FORWARDED = new Set([0x01, 0x02, 0x03, 0x08, 0x09, 0x0b, 0x23, 0x26]);
const propIdArb = fc.oneof(
  ...PROP_IDS.map((x) => ({ weight: FORWARDED.has(x[0]) ? 4 : 1, arbitrary: fc.constant(x) })),
);
const goodItemArb = fc
  .tuple(propIdArb, fc.nat())
  .map(([[id, type], k]) => [id, ...GOOD_VALUES[type][k % GOOD_VALUES[type].length]]);
/** An overrunning value only parses "successfully" as the last item of a block, so it goes last. */
const overrunItemArb = fc
  .tuple(propIdArb, fc.nat())
  .map(([[id, type], k]) => [id, ...OVERRUN_VALUES[type][k % OVERRUN_VALUES[type].length]]);
const propBlockArb = fc
  .tuple(
    fc.array(goodItemArb, { maxLength: 3 }),
    fc.boolean(),
    fc.option(overrunItemArb, { nil: undefined, freq: 3 }),
  )
  .map(([items, dupFirst, last]) =>
    Buffer.from(
      [...(dupFirst && items.length ? [items[0], ...items] : items), ...(last ? [last] : [])].flat(),
    ),
  );

function readVarint(b: Buffer, at: number): { value: number; len: number } | null {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 4 && at + i < b.length; i++) {
    value += (b[at + i] & 0x7f) * mul;
    mul *= 128;
    if (!(b[at + i] & 0x80)) return { value, len: i + 1 };
  }
  return null;
}

/** Replaces the property block of one encoded v5 packet (CONNECT, PUBLISH, SUBSCRIBE, UNSUBSCRIBE, DISCONNECT). */
function replaceProps(pkt: Buffer, block: Buffer): Buffer {
  const rl = readVarint(pkt, 1);
  if (!rl) return pkt;
  const b = 1 + rl.len;
  const type = pkt[0] >> 4;
  let off: number;
  if (type === 1) off = b + 2 + pkt.readUInt16BE(b) + 4;
  else if (type === 3) off = b + 2 + pkt.readUInt16BE(b) + (((pkt[0] >> 1) & 3) > 0 ? 2 : 0);
  else if (type === 8 || type === 10) off = b + 2;
  else if (type === 14 && rl.value >= 1) off = b + 1;
  else return pkt;
  if (off >= pkt.length) return Buffer.concat([pkt, varint(block.length), block]);
  const old = readVarint(pkt, off);
  if (!old) return pkt;
  const body = Buffer.concat([
    pkt.subarray(b, off),
    varint(block.length),
    block,
    pkt.subarray(off + old.len + old.value),
  ]);
  return Buffer.concat([pkt.subarray(0, 1), varint(body.length), body]);
}

/** v5 packet stream where some packets get a generated property block. */
const propMutatedStreamArb: fc.Arbitrary<Buffer> = fc
  .tuple(
    validPacketsArb(5),
    fc.array(fc.tuple(fc.nat(), fc.boolean(), propBlockArb), { minLength: 1, maxLength: 4 }),
  )
  .map(([ps, muts]) => {
    const out = [...ps];
    // Mostly PUBLISH and SUBSCRIBE: their properties travel on to other clients.
    const pubsub = out.map((p, i) => (p[0] >> 4 === 3 || p[0] >> 4 === 8 ? i : -1)).filter((i) => i >= 0);
    for (const [i, any, block] of muts) {
      const k = any || pubsub.length === 0 ? i % out.length : pubsub[i % pubsub.length];
      out[k] = replaceProps(out[k], block);
    }
    return Buffer.concat(out);
  });

// ---------------------------------------------------------------------------
// Byte-level mutations.

type Mutation =
  | { k: 'flip'; at: number; mask: number }
  | { k: 'set'; at: number; value: number }
  | { k: 'truncate'; at: number }
  | { k: 'splice'; at: number; ins: Buffer }
  | { k: 'duplicate'; from: number; len: number; at: number }
  | { k: 'delete'; at: number; len: number };

const at = fc.nat();
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ k: fc.constant('flip' as const), at, mask: fc.integer({ min: 1, max: 255 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('set' as const),
      at,
      value: fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x10, 0x30, 0x82, 0xe0),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), at }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('splice' as const), at, ins: bytes(8) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('duplicate' as const),
      from: at,
      len: fc.integer({ min: 1, max: 40 }),
      at,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 8 }) }),
  },
);

function mutate(buf: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of ms) {
    const n = b.length;
    const pos = (x: number) => (n === 0 ? 0 : x % (n + 1));
    switch (m.k) {
      case 'flip':
        if (n) b[m.at % n] ^= m.mask;
        break;
      case 'set':
        if (n) b[m.at % n] = m.value;
        break;
      case 'truncate':
        b = b.subarray(0, pos(m.at));
        break;
      case 'splice': {
        const p = pos(m.at);
        b = Buffer.concat([b.subarray(0, p), m.ins, b.subarray(p)]);
        break;
      }
      case 'duplicate': {
        const f = n ? m.from % n : 0;
        const seg = b.subarray(f, f + m.len);
        const p = pos(m.at);
        b = Buffer.concat([b.subarray(0, p), seg, b.subarray(p)]);
        break;
      }
      case 'delete': {
        const p = pos(m.at);
        b = Buffer.concat([b.subarray(0, p), b.subarray(p + m.len)]);
        break;
      }
    }
  }
  return b;
}

function cut(buf: Buffer, cuts: number[]): Buffer[] {
  const ps = [...new Set(cuts.map((c) => (buf.length ? c % (buf.length + 1) : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of ps) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

// ---------------------------------------------------------------------------
// The world: two well-behaved clients and one bad connection.

interface Scenario {
  goodVersion: 4 | 5;
  chunks: Buffer[];
  /** Clock advance (ms) after each chunk. */
  advances: number[];
  closeAtEnd: boolean;
  finalAdvance: number;
}

interface Outcome {
  broker: Broker;
  bad: TestClient;
  weClosed: boolean;
  causes: Map<string, CloseCause>;
}

function setupWorld(goodVersion: 4 | 5) {
  const { env, broker } = newBroker({}, 'malformed');
  const causes = new Map<string, CloseCause>();
  broker.hooks.onDisconnect = (id, cause) => causes.set(id, cause);
  const sub = new TestClient(broker, goodVersion, 'sub');
  expect((sub.connect(GOOD_SUB) as IConnackPacket).reasonCode ?? 0).toBe(0);
  expect(sub.subscribe('wb/#', 1).granted).toEqual([1]);
  const pub = new TestClient(broker, goodVersion, 'pub');
  pub.connect(GOOD_PUB);
  const bad = new TestClient(broker, 5, 'bad');
  bad.autoAck = false;
  return { env, broker, sub, pub, bad, causes };
}

let fresh = 0;

/** Runs a scenario and checks everything the file header promises. */
function check(s: Scenario): void {
  const { env, broker, sub, pub, bad, causes } = setupWorld(s.goodVersion);
  const drainGood = () => {
    sub.poll();
    pub.poll();
  };

  s.chunks.forEach((chunk, i) => {
    bad.sendRaw(chunk);
    drainGood();
    const ms = s.advances[i] ?? 0;
    if (ms) {
      env.clock.advance(ms);
      drainGood();
    }
    checkInvariants(broker);
  });
  const weClosed = s.closeAtEnd && !bad.closed;
  if (weClosed) bad.conn.transportClosed();
  if (s.finalAdvance) env.clock.advance(s.finalAdvance);
  drainGood();
  checkInvariants(broker);

  checkBadConnection({ broker, bad, weClosed, causes });

  // The well-behaved pair is unharmed: connected, and a fresh QoS 1 message gets through.
  expect(sub.closed, 'subscriber closed').toBe(false);
  expect(pub.closed, 'publisher closed').toBe(false);
  const payload = `fresh-${++fresh}`;
  const acks = pub.publish('wb/fresh', payload, 1);
  const puback = acks.find((p) => p.cmd === 'puback');
  expect(puback, 'publisher got PUBACK').toBeDefined();
  expect((puback as { reasonCode?: number }).reasonCode ?? 0, 'PUBACK reason').toBe(0);
  sub.poll();
  const got = sub
    .publishes()
    .filter((p) => p.topic === 'wb/fresh' && Buffer.from(p.payload as Buffer).toString() === payload);
  expect(got.length, 'subscriber got the fresh message exactly once').toBe(1);
  expect(got[0].qos).toBe(1);
  for (const c of [sub, pub]) {
    const out = decodeAll(c.sink.allBytes(), c.version);
    expect(c.parseErrors, 'broker output to a well-behaved client parses').toEqual([]);
    expect(out.errors).toEqual([]);
    expect(out.rest, 'broker output to a well-behaved client ends on a packet boundary').toBe(0);
  }
  expect(sub.sink.writesAfterClose + pub.sink.writesAfterClose).toBe(0);
  checkInvariants(broker);
}

function checkBadConnection({ broker, bad, weClosed, causes }: Outcome): void {
  const conn = bad.conn;
  expect(bad.sink.writesAfterClose, 'writes after close').toBe(0);
  expect(bad.sink.closeCalls).toBeLessThanOrEqual(1);
  expect(conn.state === 'closed', 'conn.state vs sink.closed').toBe(bad.sink.closed);
  if (conn.state === 'closed') expect(broker.connections.has(conn)).toBe(false);
  else expect(broker.connections.has(conn)).toBe(true);

  // Whatever the broker wrote is a sequence of whole, well-formed packets.
  const { packets, errors, rest } = decodeAll(bad.sink.allBytes(), conn.version === 5 ? 5 : 4);
  expect(errors, 'broker output to the bad connection parses').toEqual([]);
  expect(
    rest,
    `broker output to the bad connection ends on a packet boundary (${packets.map((p) => p.cmd).join(' ')})`,
  ).toBe(0);

  if (!bad.sink.closed || weClosed || conn.version !== 5) return;
  const cause = causes.get(conn.clientId);
  if (conn.clientId && (cause === 'client-disconnect' || cause === 'client-disconnect-with-will')) return; // the client said goodbye
  if (packets.length === 0) return;
  const last = packets[packets.length - 1] as IConnackPacket | IDisconnectPacket;
  expect(['disconnect', 'connack'], `last packet before a broker-side close (cause ${cause})`).toContain(
    last.cmd,
  );
  expect(last.reasonCode ?? 0, `reason code of the closing ${last.cmd}`).toBeGreaterThanOrEqual(0x80);
}

function checkInvariants(broker: Broker): void {
  let live = 0;
  let subs = 0;
  for (const [id, s] of broker.sessions) {
    expect(s.clientId).toBe(id);
    const conn = broker.connectionOf(s);
    if (conn) {
      live++;
      expect(conn.state, `session ${id} holds a dead connection`).toBe('connected');
      expect(conn.session).toBe(s);
      expect(broker.connections.has(conn)).toBe(true);
    }
    subs += s.subscriptions.size;
  }
  expect(broker.stats.connectedCount, 'stats.connectedCount = sessions with a live conn').toBe(live);
  expect(broker.subscriptions.subscriptionCount, 'router.subscriptionCount = Σ session subscriptions').toBe(
    subs,
  );
  for (const c of broker.connections) expect(c.state).not.toBe('closed');
  // Limits taken from the wire are numbers in their protocol ranges (not arrays, null, NaN or -1).
  const inRange = (x: unknown, lo: number, hi: number) =>
    typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
  const show = (x: unknown) => (Array.isArray(x) ? JSON.stringify(x) : String(x));
  for (const [id, s] of broker.sessions)
    expect(
      inRange(s.expiryInterval, 0, 0xffffffff),
      `session ${id} expiryInterval ${show(s.expiryInterval)}`,
    ).toBe(true);
  for (const c of broker.connections) {
    if (c.state !== 'connected') continue;
    expect(
      inRange(c.clientReceiveMaximum, 1, 65535),
      `clientReceiveMaximum ${show(c.clientReceiveMaximum)}`,
    ).toBe(true);
    expect(
      inRange(c.clientMaxPacketSize, 1, 0xffffffff),
      `clientMaxPacketSize ${show(c.clientMaxPacketSize)}`,
    ).toBe(true);
    expect(
      inRange(c.clientTopicAliasMaximum, 0, 65535),
      `clientTopicAliasMaximum ${show(c.clientTopicAliasMaximum)}`,
    ).toBe(true);
    expect(inRange(c.keepalive, 0, 65535), `keepalive ${show(c.keepalive)}`).toBe(true);
  }
}

// ---------------------------------------------------------------------------

const scenarioTail = {
  advances: fc.array(fc.constantFrom(0, 0, 0, 100, 1600, 6000, 100_000), { maxLength: 8 }),
  closeAtEnd: fc.boolean(),
  finalAdvance: fc.constantFrom(0, 0, 2000, 200_000),
};

const randomBytesScenario: fc.Arbitrary<Scenario> = fc.record({
  goodVersion: fc.constantFrom<4 | 5>(4, 5),
  chunks: fc.array(
    fc.uint8Array({ maxLength: 48 }).map((u) => Buffer.from(u)),
    { minLength: 1, maxLength: 6 },
  ),
  ...scenarioTail,
});

/** A valid CONNECT, then random bytes: gets past the first-packet check. */
const connectThenGarbageScenario: fc.Arbitrary<Scenario> = fc
  .record({
    goodVersion: fc.constantFrom<4 | 5>(4, 5),
    connect: fc
      .constantFrom<Version>(3, 4, 5)
      .chain((v) => connectArb(v).map((c) => ({ ...c, protocolVersion: v }))),
    garbage: fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 32 }).map((u) => Buffer.from(u)),
        fc.constantFrom(
          ...[0x30, 0x32, 0x62, 0x82, 0xa2, 0xc0, 0xe0, 0xf0].map((b) => Buffer.from([b, 2, 0, 1])),
        ),
      ),
      { minLength: 1, maxLength: 6 },
    ),
    ...scenarioTail,
  })
  .map(({ connect, garbage, ...r }) => ({
    ...r,
    chunks: [encode(connect, connect.protocolVersion as Version), ...garbage],
  }));

const mutatedScenario: fc.Arbitrary<Scenario> = fc
  .record({
    goodVersion: fc.constantFrom<4 | 5>(4, 5),
    stream: fc.constantFrom<Version>(3, 4, 5, 5).chain((v) => validStreamArb(v)),
    mutations: fc.array(mutationArb, { minLength: 0, maxLength: 4 }),
    cuts: fc.array(fc.nat(), { maxLength: 16 }),
    ...scenarioTail,
  })
  .map(({ stream, mutations, cuts, ...r }) => ({ ...r, chunks: cut(mutate(stream, mutations), cuts) }));

/** v5 streams whose PUBLISH/SUBSCRIBE/... property blocks were replaced, plus a few byte mutations, one packet per chunk mostly. */
const propBlockScenario: fc.Arbitrary<Scenario> = fc
  .record({
    goodVersion: fc.constantFrom<4 | 5>(4, 5, 5),
    stream: propMutatedStreamArb,
    mutations: fc.array(mutationArb, { maxLength: 2 }),
    cuts: fc.array(fc.nat(), { maxLength: 8 }),
    ...scenarioTail,
  })
  .map(({ stream, mutations, cuts, ...r }) => ({ ...r, chunks: cut(mutate(stream, mutations), cuts) }));

/** Unmutated hostile-but-well-formed sequences, one packet per chunk: invariants are checked after every packet. */
const packetSequenceScenario: fc.Arbitrary<Scenario> = fc
  .record({
    goodVersion: fc.constantFrom<4 | 5>(4, 5),
    packets: fc
      .constantFrom<Version>(3, 4, 5, 5)
      .chain((v) =>
        fc
          .tuple(connectArb(v), fc.array(otherArb(v), { maxLength: 25 }))
          .map(([c, rest]) => [c, ...rest].map((p) => encode(p, v))),
      ),
    ...scenarioTail,
  })
  .map(({ packets, ...r }) => ({ ...r, chunks: packets }));

const SEED = 0x5eed;

describe('malformed input on one connection', () => {
  it('sanity: the valid streams are valid (no mutation → clean run, bad client connected)', () => {
    fc.assert(
      fc.property(fc.constantFrom<Version>(3, 4, 5), fc.constantFrom<4 | 5>(4, 5), (v, gv) => {
        const { broker, bad } = setupWorld(gv);
        bad.sendRaw(
          encode(
            {
              cmd: 'connect',
              protocolVersion: v,
              protocolId: v === 3 ? 'MQIsdp' : 'MQTT',
              clientId: 'fuzz',
              clean: true,
              keepalive: 0,
            },
            v,
          ),
        );
        expect(bad.conn.state).toBe('connected');
        checkInvariants(broker);
      }),
      { seed: SEED, numRuns: 6 },
    );
    // Every generated stream encodes; most keep the bad client connected or end in its own DISCONNECT.
    const samples = fc.sample(
      fc.constantFrom<Version>(3, 4, 5).chain((v) => validStreamArb(v).map((b) => [v, b] as const)),
      { seed: SEED, numRuns: 200 },
    );
    let connected = 0;
    for (const [v, b] of samples) {
      const { packets, errors } = decodeAll(b, v);
      expect(errors).toEqual([]);
      expect(packets[0].cmd).toBe('connect');
      const { bad } = setupWorld(4);
      bad.sendRaw(b);
      if (bad.conn.version === v && (bad.conn.state === 'connected' || bad.sink.allBytes().length > 0))
        connected++;
    }
    expect(connected).toBeGreaterThan(150);
  });

  it('property: random byte streams', () => {
    fc.assert(fc.property(randomBytesScenario, check), { seed: SEED, numRuns: 150 });
  });

  it('property: a valid CONNECT followed by random bytes', () => {
    fc.assert(fc.property(connectThenGarbageScenario, check), { seed: SEED + 1, numRuns: 150 });
  });

  it('property: mutated valid packet streams (flip, set, truncate, splice, duplicate, delete; random chunking)', () => {
    fc.assert(fc.property(mutatedScenario, check), { seed: SEED + 2, numRuns: 400 });
  });

  it('property: v5 streams with generated property blocks (repeats, unknown ids, overrunning lengths)', () => {
    fc.assert(fc.property(propBlockScenario, check), { seed: SEED + 4, numRuns: 400 });
  });

  it('property: well-formed hostile packet sequences, invariants after every packet', () => {
    fc.assert(fc.property(packetSequenceScenario, check), { seed: SEED + 3, numRuns: 200 });
  });
});

// ---------------------------------------------------------------------------
// Minimal reproductions of what the properties above found, one per root cause.

/** v5 PUBLISH (QoS 0) from raw parts: topic, raw property bytes, payload. */
function rawPublish5(topic: string, props: number[], payload: string): Buffer {
  const t = Buffer.from(topic);
  const body = Buffer.concat([
    Buffer.from([0, t.length]),
    t,
    Buffer.from([props.length, ...props]),
    Buffer.from(payload),
  ]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

describe('malformed input: reproductions', () => {
  function world(goodVersion: 4 | 5 = 5) {
    const w = setupWorld(goodVersion);
    w.bad.connect('fuzz');
    return w;
  }

  function freshMessageGetsThrough(sub: TestClient, pub: TestClient): void {
    const payload = `fresh-${++fresh}`;
    expect(pub.publish('wb/fresh', payload, 1).map((p) => p.cmd)).toContain('puback');
    sub.poll();
    expect(
      sub.publishes().filter((p) => Buffer.from(p.payload as Buffer).toString() === payload).length,
    ).toBe(1);
  }

  // A string/binary property whose length runs past the property block: mqtt-packet
  // yields `null` for it instead of a parse error, and the broker forwards the null.
  it.each([
    ['Content Type (0x03)', 0x03],
    ['Response Topic (0x08)', 0x08],
    ['Correlation Data (0x09)', 0x09],
  ])(
    'a PUBLISH whose %s length overruns the packet is not forwarded as null to v5 subscribers',
    (_name, id) => {
      const { broker, sub, pub, bad } = world(5);
      expect(() => bad.sendRaw(rawPublish5('wb/x', [id, 0x01, 0x00], 'hi'))).not.toThrow();
      // Either refused (DISCONNECT 0x81) or delivered without the broken property; never a crash.
      if (bad.closed)
        expect(
          (decodeAll(bad.sink.allBytes(), 5).packets.at(-1) as IDisconnectPacket).reasonCode,
        ).toBeGreaterThanOrEqual(0x80);
      expect(sub.parseErrors).toEqual([]);
      freshMessageGetsThrough(sub, pub);
      checkInvariants(broker);
    },
  );

  it('a User Property pair that overruns the packet is not forwarded as null', () => {
    const { sub, pub, bad } = world(5);
    // 0x26, name length 0x0100 (runs past the end).
    expect(() => bad.sendRaw(rawPublish5('wb/x', [0x26, 0x01, 0x00], 'hi'))).not.toThrow();
    freshMessageGetsThrough(sub, pub);
  });

  it('a retained PUBLISH with an overrunning property does not poison later SUBSCRIBEs', () => {
    const { broker, pub, bad } = world(4);
    const msg = rawPublish5('wb/poison', [0x09, 0x01, 0x00], 'hi');
    msg[0] |= 0x01; // RETAIN
    expect(() => bad.sendRaw(msg)).not.toThrow();
    const late = new TestClient(broker, 5, 'late');
    late.connect('late-subscriber');
    expect(() => late.subscribe('wb/#', 1)).not.toThrow();
    expect(late.closed).toBe(false);
    freshMessageGetsThrough(late, pub);
  });

  it('a will with an overrunning property does not crash when it is published', () => {
    const { broker, env, sub, pub } = world(5);
    const w = new TestClient(broker, 5, 'will');
    // CONNECT v5 with a will whose Content Type length overruns: build from a valid one and patch.
    const ok = encode(
      {
        cmd: 'connect',
        protocolVersion: 5,
        clientId: 'will-client',
        clean: true,
        keepalive: 0,
        will: {
          topic: 'wb/will',
          payload: Buffer.from('w'),
          qos: 0,
          retain: false,
          properties: { contentType: '' },
        },
      },
      5,
    );
    const at = ok.indexOf(Buffer.from([0x03, 0x03, 0x00, 0x00])); // will props: length 3, Content Type, len 0
    expect(at).toBeGreaterThan(0);
    ok[at + 2] = 0x01; // string length 0x0100
    expect(() => w.sendRaw(ok)).not.toThrow();
    // Refusing the CONNECT is fine too; accepting it means the will is published on close.
    expect(() => w.conn.transportClosed()).not.toThrow();
    env.clock.advance(1000);
    freshMessageGetsThrough(sub, pub);
    checkInvariants(broker);
  });

  it("a SUBSCRIBE carrying the Subscription Identifier twice does not break other clients' publishes", () => {
    const { broker, sub, pub, bad } = world(5);
    // SUBSCRIBE id 1, properties: 0x0B 1, 0x0B 2 (a Protocol Error [MQTT-3.8.2-?]), filter wb/# QoS 1.
    const t = Buffer.from('wb/#');
    const body = Buffer.concat([Buffer.from([0, 1, 4, 0x0b, 1, 0x0b, 2, 0, t.length]), t, Buffer.from([1])]);
    bad.sendRaw(Buffer.concat([Buffer.from([0x82, body.length]), body]));
    if (!bad.closed) bad.subscribe('#', 1, { subscriptionIdentifier: 3 }); // an overlapping subscription
    expect(() => freshMessageGetsThrough(sub, pub)).not.toThrow();
    checkInvariants(broker);
  });

  // A PUBACK/PUBREC/PUBREL/PUBCOMP (or QoS>0 PUBLISH) too short to hold its Packet Identifier parses
  // with messageId -1; the ack the broker answers with encodes as a bare header (RL 2 or 4, no body),
  // which desynchronises the client's stream: the next packet is swallowed as that body.
  it.each([
    ['PUBREL', [0x62, 0x00]],
    ['PUBREL', [0x62, 0x01, 0x00]],
    ['PUBREC', [0x50, 0x00]],
    ['QoS 1 PUBLISH', [0x32, 0x07, 0x00, 0x04, ...Buffer.from('wb/x'), 0x00]],
  ])('v5: a %s too short for its Packet Identifier gets no truncated reply (%j)', (_name, bytes) => {
    const { broker, sub, pub, bad } = world(5);
    bad.sendRaw(Buffer.from(bytes));
    bad.sendRaw(encode({ cmd: 'pingreq' }, 5));
    const out = decodeAll(bad.sink.allBytes(), 5);
    expect(out.errors).toEqual([]);
    expect(out.rest, `output: ${bad.sink.allBytes().toString('hex')}`).toBe(0);
    if (bad.closed) expect((out.packets.at(-1) as IDisconnectPacket).reasonCode).toBe(0x81);
    else expect(out.packets.at(-1)?.cmd).toBe('pingresp');
    freshMessageGetsThrough(sub, pub);
    checkInvariants(broker);
  });

  it('v4: a PUBREL too short for its Packet Identifier gets no truncated reply', () => {
    const { broker } = setupWorld(4);
    const b = new TestClient(broker, 4, 'bad4');
    b.connect('fuzz4');
    b.sendRaw(Buffer.from([0x62, 0x00]));
    if (b.closed) return; // closing is a fine answer in 3.1.1
    b.sendRaw(encode({ cmd: 'pingreq' }, 4));
    const out = decodeAll(b.sink.allBytes(), 4);
    expect(out.errors).toEqual([]);
    expect(out.rest, `output: ${b.sink.allBytes().toString('hex')}`).toBe(0);
    expect(out.packets.at(-1)?.cmd, `output: ${b.sink.allBytes().toString('hex')}`).toBe('pingresp');
  });

  // Repeated properties come out of mqtt-packet as arrays, overrunning integers as -1; both end up in
  // session/connection state (Session Expiry NaN → a NaN timer; Receive Maximum NaN → no window).
  it.each([
    ['Session Expiry Interval twice', [0x11, 0, 0, 0, 10, 0x11, 0, 0, 0, 20]],
    ['Receive Maximum twice', [0x21, 0, 5, 0x21, 0, 6]],
    ['Maximum Packet Size twice', [0x27, 0, 0, 1, 0, 0x27, 0, 0, 2, 0]],
    ['Topic Alias Maximum twice', [0x22, 0, 1, 0x22, 0, 2]],
  ])('v5 CONNECT with %s is refused, not stored', (_name, props) => {
    const { broker, sub, pub } = setupWorld(5);
    const c = new TestClient(broker, 5, 'dup');
    const ok = encode(
      { cmd: 'connect', protocolVersion: 5, clientId: 'dup-props', clean: true, keepalive: 0 },
      5,
    );
    c.sendRaw(replaceProps(ok, Buffer.from(props)));
    if (!c.closed) {
      checkInvariants(broker);
      c.conn.transportClosed();
    } else {
      const last = decodeAll(c.sink.allBytes(), 5).packets.at(-1) as IConnackPacket | undefined;
      if (last) expect(last.reasonCode).toBeGreaterThanOrEqual(0x80);
    }
    checkInvariants(broker);
    freshMessageGetsThrough(sub, pub);
  });

  it('v5 DISCONNECT with the Session Expiry Interval twice does not leave a NaN expiry', () => {
    const { broker, sub, pub } = setupWorld(5);
    const c = new TestClient(broker, 5, 'dup');
    c.connect('dup-expiry', { properties: { sessionExpiryInterval: 60 } });
    c.sendRaw(Buffer.from([0xe0, 12, 0x00, 10, 0x11, 0, 0, 0, 10, 0x11, 0, 0, 0, 20]));
    checkInvariants(broker);
    freshMessageGetsThrough(sub, pub);
  });

  it("v5: the closing DISCONNECT respects the client's Maximum Packet Size [MQTT-3.1.2-24]", () => {
    const { broker, sub, pub } = setupWorld(5);
    const c = new TestClient(broker, 5, 'small');
    const ack = c.connect('small-packets', { properties: { maximumPacketSize: 32 } });
    expect(ack.reasonCode).toBe(0);
    c.sendRaw(Buffer.from([0x30, 0xff, 0xff, 0x7f])); // 2 MiB: over the broker's limit
    expect(c.closed).toBe(true);
    const { frames } = splitFrames(c.sink.allBytes());
    const last = decodeAll(frames[frames.length - 1], 5).packets[0] as IDisconnectPacket;
    expect(last.cmd).toBe('disconnect');
    expect(last.reasonCode).toBe(0x95);
    // The Reason String is optional; it must go rather than push the packet over the client's limit.
    for (const f of frames)
      expect(f.length, `${f.subarray(0, 1).toString('hex')}… is ${f.length} bytes`).toBeLessThanOrEqual(32);
    freshMessageGetsThrough(sub, pub);
  });

  it('$queue/f and $share/$queue/f from one client keep session and router counts equal', () => {
    const { broker, bad } = world(5);
    expect(bad.subscribe('$queue/wb/x', 1).granted).toEqual([1]);
    checkInvariants(broker);
    expect(bad.subscribe('$share/$queue/wb/x', 1).granted).toEqual([1]);
    checkInvariants(broker);
  });

  it('after unsubscribing $share/$queue/f, what the session lists is what gets routed', () => {
    const { broker, bad, pub } = world(5);
    bad.subscribe('$queue/wb/x', 1);
    bad.subscribe('$share/$queue/wb/x', 1);
    bad.send({ cmd: 'unsubscribe', messageId: 99, unsubscriptions: ['$share/$queue/wb/x'] });
    bad.poll();
    const listed = [...broker.sessions.get('fuzz')!.subscriptions.keys()];
    pub.publish('wb/x', 'still-there', 1);
    bad.poll();
    const delivered = bad
      .publishes()
      .some((p) => Buffer.from(p.payload as Buffer).toString() === 'still-there');
    expect(delivered, `session lists ${JSON.stringify(listed)}`).toBe(listed.length > 0);
    checkInvariants(broker);
  });
});
