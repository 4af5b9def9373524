// Hostile input on one connection must not hurt anybody else.
//
// One connection of a core Broker gets random byte streams and mutated
// valid packet streams (bytes flipped, truncated, spliced, duplicated, cut
// into random chunks, with clock jumps in between), while a well-behaved
// subscriber and publisher are connected on two other connections.
// After every run:
//   - no exception escaped the broker (receive, timers, transportClosed);
//   - the bad connection is open, or closed (sink closed, no writes after
//     close); a v5 connection the broker closed on its own got a DISCONNECT
//     or CONNACK with a reason code >= 0x80 last, if anything was sent;
//   - the subscriber still gets a fresh QoS 1 message from the publisher;
//   - broker invariants hold (connectedCount, subscriptionCount, ...).

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { Packet, IConnectPacket, IPublishPacket, ISubscribePacket, IConnackPacket, IDisconnectPacket } from 'mqtt-packet';
import type { Broker } from '../core/broker.ts';
import type { CloseCause } from '../core/connection.ts';
import { TestClient, newBroker, encode, decodeAll, type Version } from './helpers/core-client.ts';

// ---------------------------------------------------------------------------
// Vocabulary of the "valid" streams: small, so things collide.

const TOPICS = ['wb/x', 'wb/y', 'a/b', 'a', '/', '$SYS/x', 'é/ü', 'x'];
const FILTERS = ['wb/#', 'wb/+', '#', '+', '+/+', 'a/#', 'a/b', '$SYS/#', '/', 'a/+/b', '$share/g/wb/#', '$share/g/#', '$queue/wb/x', '$share/$queue/wb/x', '$share/h/a/b'];
const CLIENT_IDS = ['fuzz', 'fuzz-2', ''];

const GOOD_SUB = 'well-behaved-subscriber';
const GOOD_PUB = 'well-behaved-publisher';

const pid = fc.integer({ min: 1, max: 4 });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((u) => Buffer.from(u));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const userProps = opt(fc.constantFrom<Record<string, string | string[]>>({ k: 'v' }, { a: ['1', '2'] }, { '': '' }));

function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function connectArb(v: Version): fc.Arbitrary<IConnectPacket> {
  const willProps = v === 5
    ? opt(fc.record({ willDelayInterval: opt(fc.constantFrom(0, 1, 30)), messageExpiryInterval: opt(fc.constantFrom(0, 1, 100)), payloadFormatIndicator: opt(fc.boolean()), contentType: opt(fc.constant('text/plain')), userProperties: userProps }).map(clean))
    : fc.constant(undefined);
  const will = opt(
    fc.record({ topic: fc.constantFrom(...TOPICS), payload: bytes(16), qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2), retain: fc.boolean(), properties: willProps }).map(clean),
  );
  const props = v === 5
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
  const props = v === 5
    ? opt(
        fc
          .record({
            topicAlias: opt(fc.constantFrom(1, 2, 3)),
            messageExpiryInterval: opt(fc.constantFrom(0, 1, 60)),
            payloadFormatIndicator: opt(fc.boolean()),
            contentType: opt(fc.constant('t')),
            responseTopic: opt(fc.constant('wb/reply')),
            correlationData: opt(bytes(4)),
            userProperties: userProps,
          })
          .map(clean),
      )
    : fc.constant(undefined);
  return fc
    .record({ topic: fc.constantFrom(...TOPICS), qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2), retain: fc.boolean(), dup: fc.boolean(), messageId: pid, payload: bytes(24), properties: props, aliasOnly: fc.boolean() })
    .map(({ aliasOnly, messageId, ...r }) => {
      const p: IPublishPacket = clean({ cmd: 'publish', ...r, dup: r.qos > 0 && r.dup, messageId: r.qos > 0 ? messageId : undefined });
      if (aliasOnly && p.properties?.topicAlias) p.topic = '';
      return p;
    });
}

function subscribeArb(v: Version): fc.Arbitrary<ISubscribePacket> {
  const sub = fc
    .record({ topic: fc.constantFrom(...FILTERS), qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2), nl: fc.boolean(), rap: fc.boolean(), rh: fc.constantFrom(0, 1, 2) })
    .map((s) => (v === 5 ? s : { topic: s.topic, qos: s.qos }));
  const props = v === 5 ? opt(fc.record({ subscriptionIdentifier: opt(fc.constantFrom(1, 2, 300)), userProperties: userProps }).map(clean)) : fc.constant(undefined);
  return fc.record({ messageId: pid, subscriptions: fc.array(sub, { minLength: 1, maxLength: 3 }), properties: props }).map((r) => clean<ISubscribePacket>({ cmd: 'subscribe', ...r }));
}

function otherArb(v: Version): fc.Arbitrary<Packet> {
  const v5 = v === 5;
  const arbs: fc.Arbitrary<Packet>[] = [
    publishArb(v),
    publishArb(v),
    subscribeArb(v),
    fc.record({ messageId: pid, unsubscriptions: fc.array(fc.constantFrom(...FILTERS), { minLength: 1, maxLength: 2 }) }).map((r) => ({ cmd: 'unsubscribe' as const, ...r })),
    fc.record({ cmd: fc.constantFrom<'puback' | 'pubrec'>('puback', 'pubrec'), messageId: pid, reasonCode: v5 ? fc.constantFrom(0, 0x10, 0x80, 0x91) : fc.constant(undefined) }).map((p) => clean(p as Packet)),
    fc.record({ cmd: fc.constantFrom<'pubrel' | 'pubcomp'>('pubrel', 'pubcomp'), messageId: pid, reasonCode: v5 ? fc.constantFrom(0, 0x92) : fc.constant(undefined) }).map((p) => clean(p as Packet)),
    fc.constant({ cmd: 'pingreq' as const }),
    fc.record({ reasonCode: v5 ? fc.constantFrom(0, 4, 0x80) : fc.constant(undefined), properties: v5 ? opt(fc.record({ sessionExpiryInterval: fc.constantFrom(0, 5, 1000) })) : fc.constant(undefined) }).map((r) => clean<Packet>({ cmd: 'disconnect', ...r })),
  ];
  if (v5) arbs.push(fc.constant<Packet>({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'x' } }));
  if (v5) arbs.push(connectArb(v)); // a second CONNECT is a protocol error
  return fc.oneof(...arbs);
}

/** A valid packet sequence of version `v` (CONNECT first), encoded. */
function validStreamArb(v: Version): fc.Arbitrary<Buffer> {
  return fc.tuple(connectArb(v), fc.array(otherArb(v), { maxLength: 12 })).map(([c, rest]) => Buffer.concat([c, ...rest].map((p) => encode(p, v))));
}

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
  { weight: 4, arbitrary: fc.record({ k: fc.constant('flip' as const), at, mask: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('set' as const), at, value: fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x10, 0x30, 0x82, 0xe0) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), at }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('splice' as const), at, ins: bytes(8) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('duplicate' as const), from: at, len: fc.integer({ min: 1, max: 40 }), at }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 8 }) }) },
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
  const got = sub.publishes().filter((p) => p.topic === 'wb/fresh' && Buffer.from(p.payload as Buffer).toString() === payload);
  expect(got.length, 'subscriber got the fresh message exactly once').toBe(1);
  expect(got[0].qos).toBe(1);
  expect(sub.parseErrors, 'broker output to the subscriber parses').toEqual([]);
  expect(pub.parseErrors, 'broker output to the publisher parses').toEqual([]);
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

  if (!bad.sink.closed || weClosed || conn.version !== 5) return;
  const cause = causes.get(conn.clientId);
  if (conn.clientId && (cause === 'client-disconnect' || cause === 'client-disconnect-with-will')) return; // the client said goodbye
  const { packets } = decodeAll(bad.sink.allBytes(), 5);
  if (packets.length === 0) return;
  const last = packets[packets.length - 1] as IConnackPacket | IDisconnectPacket;
  expect(['disconnect', 'connack'], `last packet before a broker-side close (cause ${cause})`).toContain(last.cmd);
  expect(last.reasonCode ?? 0, `reason code of the closing ${last.cmd}`).toBeGreaterThanOrEqual(0x80);
}

export function checkInvariants(broker: Broker): void {
  let live = 0;
  let subs = 0;
  for (const [id, s] of broker.sessions) {
    expect(s.clientId).toBe(id);
    if (s.conn) {
      live++;
      expect(s.conn.state, `session ${id} holds a dead connection`).toBe('connected');
      expect(s.conn.session).toBe(s);
      expect(broker.connections.has(s.conn)).toBe(true);
    }
    subs += s.subscriptions.size;
  }
  expect(broker.stats.connectedCount, 'stats.connectedCount = sessions with a live conn').toBe(live);
  expect(broker.router.subscriptionCount, 'router.subscriptionCount = Σ session subscriptions').toBe(subs);
  for (const c of broker.connections) expect(c.state).not.toBe('closed');
}

// ---------------------------------------------------------------------------

const scenarioTail = {
  advances: fc.array(fc.constantFrom(0, 0, 0, 100, 1600, 6000, 100_000), { maxLength: 8 }),
  closeAtEnd: fc.boolean(),
  finalAdvance: fc.constantFrom(0, 0, 2000, 200_000),
};

const randomBytesScenario: fc.Arbitrary<Scenario> = fc.record({
  goodVersion: fc.constantFrom<4 | 5>(4, 5),
  chunks: fc.array(fc.uint8Array({ maxLength: 48 }).map((u) => Buffer.from(u)), { minLength: 1, maxLength: 6 }),
  ...scenarioTail,
});

/** A valid CONNECT, then random bytes: gets past the first-packet check. */
const connectThenGarbageScenario: fc.Arbitrary<Scenario> = fc
  .record({
    goodVersion: fc.constantFrom<4 | 5>(4, 5),
    badVersion: fc.constantFrom<Version>(3, 4, 5, 5),
    connect: fc.constantFrom<Version>(3, 4, 5).chain((v) => connectArb(v).map((c) => ({ ...c, protocolVersion: v }))),
    garbage: fc.array(fc.oneof(fc.uint8Array({ maxLength: 32 }).map((u) => Buffer.from(u)), fc.constantFrom(...[0x30, 0x32, 0x62, 0x82, 0xa2, 0xc0, 0xe0, 0xf0].map((b) => Buffer.from([b, 2, 0, 1])))), { minLength: 1, maxLength: 6 }),
    ...scenarioTail,
  })
  .map(({ connect, garbage, badVersion: _, ...r }) => ({ ...r, chunks: [encode(connect, connect.protocolVersion as Version), ...garbage] }));

const mutatedScenario: fc.Arbitrary<Scenario> = fc
  .record({
    goodVersion: fc.constantFrom<4 | 5>(4, 5),
    stream: fc.constantFrom<Version>(3, 4, 5, 5).chain((v) => validStreamArb(v)),
    mutations: fc.array(mutationArb, { minLength: 0, maxLength: 4 }),
    cuts: fc.array(fc.nat(), { maxLength: 5 }),
    ...scenarioTail,
  })
  .map(({ stream, mutations, cuts, ...r }) => ({ ...r, chunks: cut(mutate(stream, mutations), cuts) }));

export const __mutatedScenario = mutatedScenario;
const SEED = 0x5eed;

describe('malformed input on one connection', () => {
  it('sanity: the valid streams are valid (no mutation → clean run, bad client connected)', () => {
    fc.assert(
      fc.property(fc.constantFrom<Version>(3, 4, 5), fc.constantFrom<4 | 5>(4, 5), (v, gv) => {
        const { broker, bad } = setupWorld(gv);
        bad.sendRaw(encode({ cmd: 'connect', protocolVersion: v, protocolId: v === 3 ? 'MQIsdp' : 'MQTT', clientId: 'fuzz', clean: true, keepalive: 0 }, v));
        expect(bad.conn.state).toBe('connected');
        checkInvariants(broker);
      }),
      { seed: SEED, numRuns: 6 },
    );
    // Every generated stream encodes; most keep the bad client connected or end in its own DISCONNECT.
    const samples = fc.sample(fc.constantFrom<Version>(3, 4, 5).chain((v) => validStreamArb(v).map((b) => [v, b] as const)), { seed: SEED, numRuns: 200 });
    let connected = 0;
    for (const [v, b] of samples) {
      const { packets, errors } = decodeAll(b, v);
      expect(errors).toEqual([]);
      expect(packets[0].cmd).toBe('connect');
      const { bad } = setupWorld(4);
      bad.sendRaw(b);
      if (bad.conn.version === v && (bad.conn.state === 'connected' || bad.sink.allBytes().length > 0)) connected++;
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
});
