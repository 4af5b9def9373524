// A standalone node with a disk: persistent sessions (subscriptions, owed
// QoS 1 messages, expiry) and retained messages survive a restart; a power
// loss forgets only what was not synced, and an acknowledged QoS 1/2
// message is always synced before its PUBACK.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { makeWorld, events, settle } from '../helpers/sim.ts';
import type { World } from '../../sim/world.ts';
import type { SimClient } from '../../sim/client.ts';
import {
  decodeOwed,
  encodeOwed,
  decodeSession,
  encodeSession,
  decodeRetained,
  encodeRetained,
} from '../../core/persist-codec.ts';
import type { Message } from '../../core/message.ts';

const fixed = { kind: 'fixed', ms: 1 } as const;
const reconnect = { minMs: 500, maxMs: 1000 };

async function setup(
  opts: { version?: 4 | 5; expiry?: number } = {},
): Promise<{ w: World; sub: SimClient; pub: SimClient }> {
  const w = makeWorld({ latency: fixed });
  w.addBroker('n1', {}, undefined, { persist: true });
  const sub = w.client('sub', {
    target: 'n1',
    version: opts.version ?? 5,
    clean: false,
    sessionExpiry: opts.expiry ?? 3600,
    keepalive: 30,
    reconnect,
    subscriptions: [{ filter: 'a/#', qos: 1 }],
  });
  const pub = w.client('pub', { target: 'n1', keepalive: 30, reconnect });
  await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
  await w.sleep(50);
  return { w, sub, pub };
}

/** Publishes n QoS 1 messages while the subscriber is away; returns their ids once all are acknowledged. */
async function publishWhileAway(w: World, sub: SimClient, pub: SimClient, n: number): Promise<string[]> {
  sub.kill();
  await w.sleep(10);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(pub.publish(`a/${i % 3}`, 1));
  await settle(w, () => events(w, 'pub.ok', { c: 'pub' }).length === n, 5000, 'acks');
  return ids;
}

describe('persistent sessions on a simulated disk', () => {
  for (const mode of ['process', 'power'] as const) {
    it(`a ${mode} crash and restart: the subscriber resumes its session and gets every acknowledged QoS 1 message, in order; retained messages are back`, async () => {
      const { w, sub, pub } = await setup();
      pub.publish('cfg/mode', 1, { retain: true, payload: 'auto' });
      const ids = await publishWhileAway(w, sub, pub, 30);
      w.crash('n1', mode);
      await w.sleep(1000);
      w.restart('n1');
      expect(events(w, 'node.restore', { node: 'n1' }).at(-1)).toMatchObject({
        sessions: 1,
        messages: 30,
        retained: 1,
        expired: 0,
      });
      expect(w.broker('n1').sessions.get('sub')!.subscriptions.has('a/#')).toBe(true);

      sub.connect();
      await settle(w, () => sub.received.length >= 30, 10_000, 'queued messages');
      expect(events(w, 'client.connack', { c: 'sub' }).at(-1)).toMatchObject({ present: true });
      expect(sub.received.map((m) => m.id)).toEqual(ids);

      const late = w.client('late', {
        target: 'n1',
        keepalive: 30,
        subscriptions: [{ filter: 'cfg/#', qos: 1 }],
      });
      await settle(w, () => late.received.length === 1, 2000, 'retained');
      expect(late.received[0]).toMatchObject({ topic: 'cfg/mode', retain: true });
    });
  }

  it('delivered and acknowledged messages are not delivered again after a restart (their records were deleted)', async () => {
    const { w, sub, pub } = await setup();
    const ids = await publishWhileAway(w, sub, pub, 5);
    sub.connect();
    await settle(w, () => sub.received.length === 5, 5000, 'delivery');
    await w.sleep(200); // PUBACKs in, deletes synced by the lazy sync
    w.crash('n1', 'power');
    w.restart('n1');
    expect(events(w, 'node.restore').at(-1)).toMatchObject({ sessions: 1, messages: 0 });
    await settle(w, () => sub.connected, 5000, 'reconnect');
    await w.sleep(500);
    expect(sub.received.map((m) => m.id)).toEqual(ids);
  });

  it('power loss forgets exactly the unsynced writes: a QoS 0 retained message of the last few ms is lost, an acknowledged QoS 1 one is kept', async () => {
    const { w, pub } = await setup();
    pub.publish('r/one', 1, { retain: true });
    await settle(w, () => events(w, 'pub.ok', { c: 'pub' }).length === 1, 1000, 'ack');
    pub.publish('r/zero', 0, { retain: true });
    await w.sleep(5); // arrived and written, not yet synced (sync within 50 ms)
    expect(w.broker('n1').retained.size).toBe(2);
    expect(w.host('n1').disk.unsynced).toBeGreaterThan(0);
    w.crash('n1', 'power');
    w.restart('n1');
    expect([...w.broker('n1').retained.all()].map((m) => m.topic)).toEqual(['r/one']);

    // The same with a process crash keeps it (the OS still had the write).
    const pub2 = w.client('pub2', { target: 'n1', keepalive: 30 });
    await settle(w, () => pub2.connected, 1000, 'connect');
    pub2.publish('r/zero2', 0, { retain: true });
    await w.sleep(5);
    expect(w.host('n1').disk.unsynced).toBeGreaterThan(0);
    w.crash('n1', 'process');
    w.restart('n1');
    expect([...w.broker('n1').retained.all()].map((m) => m.topic).sort()).toEqual(['r/one', 'r/zero2']);
  });

  it('session expiry counts on across the restart: a session that expired while the node was down is gone, with its messages', async () => {
    const { w, sub, pub } = await setup({ expiry: 10 });
    await publishWhileAway(w, sub, pub, 3);
    w.crash('n1', 'process');
    await w.sleep(15_000);
    w.restart('n1');
    expect(events(w, 'node.restore').at(-1)).toMatchObject({ sessions: 0, messages: 0, expired: 1 });
    expect(w.host('n1').disk.keys('q/')).toEqual([]);
    sub.connect();
    await settle(w, () => sub.connected, 5000, 'reconnect');
    expect(events(w, 'client.connack', { c: 'sub' }).at(-1)).toMatchObject({ present: false });
  });

  it('MQTT 3.1.1 clean-session=false sessions are kept too; a clean session leaves nothing on disk', async () => {
    const { w, sub, pub } = await setup({ version: 4 });
    const ids = await publishWhileAway(w, sub, pub, 4);
    const clean = w.client('clean', {
      target: 'n1',
      clean: true,
      keepalive: 30,
      subscriptions: [{ filter: 'a/#', qos: 1 }],
    });
    await settle(w, () => clean.connected, 1000, 'connect');
    expect(w.host('n1').disk.keys('s/')).toEqual(['s/sub']);
    w.crash('n1', 'process');
    w.restart('n1');
    sub.connect();
    await settle(w, () => sub.received.length === 4, 5000, 'queued');
    expect(sub.received.map((m) => m.id)).toEqual(ids);
  });

  it('with an asynchronous store the PUBACK waits until the write is durable, acknowledgements keep their order, and a publish that wrote nothing waits for nothing', async () => {
    const w = makeWorld({ latency: fixed });
    const disk = w.host('n1', true).disk as import('../../sim/disk.ts').SimDisk & {
      whenDurable?(fn: () => void): void;
    };
    const held: (() => void)[] = [];
    disk.whenDurable = (fn) => held.push(fn); // durability arrives when the test says so
    w.addBroker('n1', {}, undefined, { persist: true });
    const sub = w.client('sub', {
      target: 'n1',
      version: 5,
      clean: false,
      sessionExpiry: 60,
      keepalive: 30,
      subscriptions: [{ filter: 'a/#', qos: 1 }],
    });
    const pub = w.client('pub', { target: 'n1', version: 5, keepalive: 30 });
    await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
    await w.sleep(20);
    sub.kill();
    await w.sleep(20);
    held.splice(0); // the subscription's own writes
    const ids = [pub.publish('a/1', 1), pub.publish('a/2', 1)];
    await w.sleep(100);
    expect(events(w, 'pub.ok', { c: 'pub' })).toEqual([]);
    expect(held.length).toBe(2);
    held[1](); // the second publish's sync completes first: its PUBACK still waits for the first
    await w.sleep(20);
    expect(events(w, 'pub.ok', { c: 'pub' })).toEqual([]);
    held[0]();
    await w.sleep(20);
    expect(events(w, 'pub.ok', { c: 'pub' }).map((e) => e.id)).toEqual(ids);
    // A publish that matches no persistent session writes nothing and is acknowledged at once.
    pub.publish('elsewhere', 1);
    await w.sleep(20);
    expect(events(w, 'pub.ok', { c: 'pub' })).toHaveLength(3);
  });

  it('the same seed gives the same history with a disk', async () => {
    const run = async (): Promise<string> => {
      const { w, sub, pub } = await setup();
      await publishWhileAway(w, sub, pub, 10);
      w.crash('n1', 'power');
      w.restart('n1');
      sub.connect();
      await settle(w, () => sub.received.length === 10, 5000, 'queued');
      return w.history.hash;
    };
    expect(await run()).toBe(await run());
  });
});

describe('store records', () => {
  const arbMsg = fc.record({
    topic: fc.string({ minLength: 1 }),
    payload: fc.uint8Array().map((a) => Buffer.from(a)),
    qos: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
    retain: fc.boolean(),
    from: fc.string(),
    receivedAt: fc.double({ noNaN: true }),
    expiresAt: fc.option(fc.double({ noNaN: true }), { nil: undefined }),
    mid: fc.option(fc.string(), { nil: undefined }),
    props: fc.option(
      fc.record(
        {
          payloadFormatIndicator: fc.boolean(),
          contentType: fc.string(),
          responseTopic: fc.string(),
          correlationData: fc.uint8Array().map((a) => Buffer.from(a)),
          userProperties: fc.dictionary(
            fc.string(),
            fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 2, maxLength: 3 })),
          ),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
  });
  const clean = (m: Message): Message =>
    JSON.parse(JSON.stringify(m, (_k, v) => (v === undefined ? undefined : v)));

  it('messages, owed deliveries, sessions and retained messages round-trip; truncated records raise, never garble', () => {
    fc.assert(
      fc.property(
        arbMsg,
        fc.array(fc.integer({ min: 1, max: 268435455 }), { maxLength: 3 }),
        fc.integer({ min: 1, max: 200 }),
        (m0, subIds, cut) => {
          const m = m0 as Message;
          const o = decodeOwed(
            encodeOwed({ msg: m, qos: m.qos, retain: m.retain, subIds: subIds.length ? subIds : undefined }),
          );
          expect(clean(o.msg)).toEqual(clean(m));
          expect(o.subIds).toEqual(subIds.length ? subIds : undefined);
          expect(clean(decodeRetained(encodeRetained(m)))).toEqual(clean(m));
          const bytes = encodeRetained(m);
          if (cut < bytes.length) expect(() => decodeRetained(bytes.subarray(0, cut))).toThrow();
        },
      ),
      { numRuns: 200 },
    );
    const rec = {
      expiry: 4294967295,
      connectedAt: 1.5,
      disconnectedAt: 2,
      protocolVersion: 5 as const,
      subs: [
        { key: '$share/g/a/+', qos: 2 as const, nl: true, rap: false, rh: 2 as const, subId: 7 },
        { key: 'b', qos: 0 as const, nl: false, rap: true, rh: 0 as const },
      ],
      in2: [1, 65535],
    };
    expect(decodeSession(encodeSession(rec))).toEqual(rec);
  });

  it('in-flight packet ids, the PUBREL state, completion markers and held inbound QoS 2 ids round-trip; records written before them still read', () => {
    const m: Message = {
      topic: 'a/b',
      payload: Buffer.from('x'),
      qos: 2,
      retain: false,
      from: 'p',
      receivedAt: 5,
    };
    const plain = encodeOwed({ msg: m, qos: 2, retain: false });
    expect(decodeOwed(plain).pid).toBeUndefined();
    expect(decodeOwed(plain).released).toBeUndefined();
    const sent = decodeOwed(encodeOwed({ msg: m, qos: 2, retain: false, subIds: [3], pid: 65535 }));
    expect([sent.pid, sent.released, sent.subIds]).toEqual([65535, undefined, [3]]);
    const rel = decodeOwed(encodeOwed({ msg: m, qos: 2, retain: true, pid: 7, released: true }));
    expect([rel.pid, rel.released, rel.retain, rel.msg.topic]).toEqual([7, true, true, 'a/b']);
    const done = decodeOwed(
      encodeOwed({ msg: { ...m, mid: 'n2.cd34.9' }, qos: 2, retain: false, completed: true }),
    );
    expect([done.completed, done.pid, done.msg.mid]).toEqual([true, undefined, 'n2.cd34.9']);
    const base = {
      expiry: 60,
      connectedAt: 1,
      disconnectedAt: 0,
      protocolVersion: 5 as const,
      subs: [],
      in2: [4],
    };
    expect(decodeSession(encodeSession(base))).toEqual(base); // no held ids: the old layout, byte for byte
    const held = { ...base, in2held: [{ pid: 9, mid: 'n1.ab12.42' }] };
    expect(decodeSession(encodeSession(held))).toEqual(held);
  });
});
