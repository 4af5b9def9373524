// One broker under the simulator passes the behaviours the runtime tests
// check with mqtt.js over real TCP: QoS round trips, retained messages,
// wills, persistent sessions, QoS 2 exactly once across a reconnect and
// session takeover, observed through history, client.received and the
// broker's own state.

import { describe, it, expect } from 'vitest';
import { SimClient } from '../../sim/client.ts';
import { checkNoQos2Duplicates, checkSafety } from '../../sim/checkers.ts';
import type { QoS } from '../../core/message.ts';
import { makeWorld, events, settle, watchDisconnects, connOf } from '../helpers/sim.ts';

const fixed = { kind: 'fixed', ms: 1 } as const;

describe('QoS round trips', () => {
  for (const version of [3, 4, 5] as const) {
    for (const qos of [0, 1, 2] as const) {
      it(`v${version} QoS ${qos}: topic, payload and QoS arrive; the publisher's flow completes`, async () => {
        const w = makeWorld({ seed: `rt${version}${qos}` });
        w.addBroker('n1');
        const sub = w.client('sub', { target: 'n1', version, subscriptions: [{ filter: 'rt/#', qos: 2 }] });
        const pub = w.client('pub', { target: 'n1', version });
        const payloads: string[] = [];
        sub.onMessage = (_t, payload) => payloads.push(payload.toString());
        await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
        await w.sleep(10);
        const id = pub.publish('rt/a/b', qos, { payload: 'hello' });
        await w.sleep(50);
        expect(sub.received).toEqual([{ id, topic: 'rt/a/b', qos, dup: false, retain: false }]);
        expect(payloads).toEqual([`${id}|hello`]);
        expect(events(w, 'pub.ok', { c: 'pub', id })).toHaveLength(1);
        expect(pub.inflight).toBe(0);
        const b = w.broker('n1');
        expect(b.sessions.get('pub')!.inboundQos2.size).toBe(0); // PUBREL released the packet id
        expect(b.sessions.get('sub')!.inflight.size).toBe(0); // PUBACK / PUBCOMP received
        expect(b.stats.messagesIn).toBe(1);
        expect(b.stats.messagesOut).toBe(1);
      });
    }
  }

  it('SUBACK grants the requested QoS and delivery is downgraded to the subscription QoS', async () => {
    const w = makeWorld();
    w.addBroker('n1');
    const subs = ([0, 1, 2] as const).map((q) =>
      w.client(`s${q}`, { target: 'n1', subscriptions: [{ filter: 'd', qos: q }] }),
    );
    const pub = w.client('pub', { target: 'n1' });
    await settle(w, () => pub.connected && subs.every((s) => s.connected), 1000, 'connect');
    await w.sleep(10);
    expect(subs.map((s) => events(w, 'sub.ok', { c: s.id })[0].granted)).toEqual(['0', '1', '2']);
    for (const q of [0, 1, 2] as const) pub.publish('d', q);
    await w.sleep(100);
    for (const sq of [0, 1, 2] as const) {
      expect(subs[sq].received.map((m) => m.qos)).toEqual([0, 1, 2].map((pq) => Math.min(pq, sq)));
    }
  });

  it('QoS 1 messages from one publisher arrive in order, even with random latencies', async () => {
    const w = makeWorld({ seed: 9, latency: { kind: 'exponential', min: 0.1, mean: 10 } });
    w.addBroker('n1');
    const sub = w.client('sub', { target: 'n1', subscriptions: [{ filter: 'o', qos: 1 }] });
    const pub = w.client('pub', { target: 'n1' });
    await settle(w, () => sub.connected && pub.connected, 5000, 'connect');
    await w.sleep(500);
    const ids = Array.from({ length: 100 }, () => pub.publish('o', 1));
    await w.sleep(5000);
    expect(sub.received.map((m) => m.id)).toEqual(ids);
    expect(checkSafety(w.history.events, [{ client: 'sub', filter: 'o', from: 0 }])).toEqual([]);
  });
});

describe('retained messages', () => {
  it('a retained message is delivered to a later subscriber with RETAIN set; live delivery has it cleared', async () => {
    const w = makeWorld();
    w.addBroker('n1');
    const early = w.client('early', { target: 'n1', subscriptions: [{ filter: 'cfg/#', qos: 1 }] });
    const pub = w.client('pub', { target: 'n1' });
    await settle(w, () => early.connected && pub.connected, 1000, 'connect');
    await w.sleep(10);
    pub.publish('cfg/a', 1, { retain: true, payload: 'v1' });
    const v2 = pub.publish('cfg/a', 1, { retain: true, payload: 'v2' });
    const b = pub.publish('cfg/b', 0, { retain: true });
    await w.sleep(100);
    expect(early.received.every((m) => !m.retain)).toBe(true);
    expect(
      w
        .broker('n1')
        .retained.match('cfg/#', w.now)
        .map((m) => m.topic)
        .sort(),
    ).toEqual(['cfg/a', 'cfg/b']);

    const late = w.client('late', { target: 'n1', subscriptions: [{ filter: 'cfg/+', qos: 1 }] });
    await settle(w, () => late.received.length === 2, 1000, 'retained delivery');
    // The newer retained message replaced the old one; each arrives at min(message QoS, subscription QoS).
    const got = [...late.received].sort((x, y) => x.topic.localeCompare(y.topic));
    expect(got).toEqual([
      { id: v2, topic: 'cfg/a', qos: 1, dup: false, retain: true },
      { id: b, topic: 'cfg/b', qos: 0, dup: false, retain: true },
    ]);
  });
});

describe('will messages', () => {
  async function setup(opts: { version?: 3 | 4 | 5; keepalive?: number; retain?: boolean } = {}) {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const watcher = w.client('watcher', {
      target: 'n1',
      keepalive: 600,
      subscriptions: [{ filter: 'status/#', qos: 1 }],
    });
    const dev = w.client('dev', {
      target: 'n1',
      version: opts.version ?? 4,
      keepalive: opts.keepalive ?? 60,
      reconnect: false,
      will: { topic: 'status/dev', payload: 'gone', qos: 1, retain: opts.retain },
    });
    await settle(w, () => watcher.connected && dev.connected, 1000, 'connect');
    await w.sleep(10);
    return { w, watcher, dev };
  }

  it('is published when the client process dies (kill: reset, no DISCONNECT)', async () => {
    const { w, watcher, dev } = await setup();
    dev.kill();
    await w.sleep(100);
    expect(events(w, 'will')).toEqual([
      expect.objectContaining({ node: 'n1', c: 'dev', topic: 'status/dev' }),
    ]);
    expect(watcher.received).toEqual([
      { id: 'gone', topic: 'status/dev', qos: 1, dup: false, retain: false },
    ]);
    expect(w.broker('n1').stats.willsPublished).toBe(1);
  });

  it('is published when the client host crashes (process: the OS resets the connection)', async () => {
    const { w, watcher } = await setup();
    const at = w.now;
    w.crash('dev', 'process');
    await w.sleep(100);
    expect(events(w, 'will', { c: 'dev' })).toEqual([expect.objectContaining({ t: at + 1 })]);
    expect(watcher.received.map((m) => m.id)).toEqual(['gone']);
  });

  it('is published after 1.5 × keep alive when the client host loses power', async () => {
    const K = 6;
    const { w, watcher } = await setup({ keepalive: K });
    const lastRx = connOf(w, 'n1', 'dev')!.lastRx;
    w.crash('dev', 'power');
    await w.sleep(1500 * K - 100);
    expect(events(w, 'will')).toEqual([]);
    await w.sleep(1000);
    const will = events(w, 'will', { c: 'dev' });
    expect(will).toHaveLength(1);
    expect(will[0].t).toBeCloseTo(lastRx + 1500 * K, 6);
    expect(watcher.received.map((m) => m.id)).toEqual(['gone']);
  });

  it('is NOT published after a graceful DISCONNECT', async () => {
    const { w, watcher, dev } = await setup();
    const disc = watchDisconnects(w, 'n1');
    dev.disconnect();
    await w.sleep(1000);
    expect(disc).toEqual([expect.objectContaining({ c: 'dev', cause: 'client-disconnect' })]);
    expect(events(w, 'will')).toEqual([]);
    expect(watcher.received).toEqual([]);
    expect(w.broker('n1').stats.willsPublished).toBe(0);
  });

  it('v5: DISCONNECT with reason 0x04 (Disconnect with Will Message) publishes it', async () => {
    const { w, watcher, dev } = await setup({ version: 5 });
    dev.disconnect(0x04);
    await w.sleep(100);
    expect(events(w, 'will', { c: 'dev' })).toHaveLength(1);
    expect(watcher.received.map((m) => m.id)).toEqual(['gone']);
  });

  it('a retained will becomes the retained message of its topic', async () => {
    const { w, dev } = await setup({ retain: true });
    dev.kill();
    await w.sleep(100);
    const later = w.client('later', { target: 'n1', subscriptions: [{ filter: 'status/+', qos: 1 }] });
    await settle(w, () => later.received.length === 1, 1000, 'retained will');
    expect(later.received[0]).toMatchObject({ id: 'gone', retain: true });
  });

  it('v5 Will Delay: published after the delay, or not at all if the client resumes first', async () => {
    for (const resume of [false, true]) {
      const w = makeWorld({ latency: fixed });
      w.addBroker('n1');
      const watcher = w.client('watcher', {
        target: 'n1',
        keepalive: 600,
        subscriptions: [{ filter: 'status/#', qos: 1 }],
      });
      const opts = {
        target: 'n1',
        version: 5 as const,
        clean: false,
        sessionExpiry: 600,
        reconnect: false as const,
        will: { topic: 'status/dev', payload: 'gone', qos: 1 as QoS, delay: 10 },
      };
      const dev = w.client('dev', opts);
      await settle(w, () => watcher.connected && dev.connected, 1000, 'connect');
      await w.sleep(10);
      const killedAt = w.now;
      dev.kill();
      await w.sleep(5000);
      if (resume) dev.connect();
      await w.sleep(10_000);
      if (resume) {
        expect(dev.connected).toBe(true);
        expect(events(w, 'will')).toEqual([]);
        expect(watcher.received).toEqual([]);
      } else {
        const will = events(w, 'will', { c: 'dev' });
        expect(will).toHaveLength(1);
        expect(will[0].t).toBeCloseTo(killedAt + 1 + 10_000, 6);
        expect(watcher.received.map((m) => m.id)).toEqual(['gone']);
      }
    }
  });
});

describe('persistent sessions', () => {
  const variants = [
    { name: 'v3.1.1 clean:false', opts: { version: 4 as const, clean: false } },
    {
      name: 'v5 clean:false + Session Expiry 30',
      opts: { version: 5 as const, clean: false, sessionExpiry: 30 },
    },
  ];
  for (const { name, opts } of variants) {
    it(`${name}: queued QoS 1 messages are delivered on resume with sessionPresent`, async () => {
      const w = makeWorld();
      w.addBroker('n1');
      const sub = w.client('sub', {
        target: 'n1',
        ...opts,
        keepalive: 60,
        subscriptions: [{ filter: 'ps/t', qos: 1 }],
      });
      const pub = w.client('pub', { target: 'n1', version: opts.version });
      await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
      await w.sleep(10);
      expect(events(w, 'client.connack', { c: 'sub' })[0]).toMatchObject({ present: false });
      sub.disconnect();
      await settle(w, () => w.broker('n1').sessions.get('sub')?.conn === null, 1000, 'session offline');

      const ids = [0, 1, 2].map(() => pub.publish('ps/t', 1));
      await w.sleep(100);
      expect(w.broker('n1').sessions.get('sub')!.queued).toBe(3);
      expect(sub.received).toEqual([]);

      sub.connect();
      await settle(w, () => sub.received.length === 3, 1000, 'queued delivery');
      expect(events(w, 'client.connack', { c: 'sub' })[1]).toMatchObject({ present: true });
      expect(sub.received.map((m) => m.id)).toEqual(ids);
      expect(sub.received.every((m) => m.qos === 1 && !m.dup)).toBe(true);
      // The subscription itself survived: no new SUBSCRIBE was sent, and live messages flow.
      expect(events(w, 'sub.invoke', { c: 'sub' })).toHaveLength(1);
      const live = pub.publish('ps/t', 1);
      await w.sleep(100);
      expect(sub.received.at(-1)!.id).toBe(live);
      expect(w.broker('n1').sessions.get('sub')!.queued).toBe(0);
    });
  }

  it('clean session discards the stored session and its queued messages (counted as dropped)', async () => {
    const w = makeWorld();
    w.addBroker('n1');
    const sub = w.client('sub', { target: 'n1', clean: false, subscriptions: [{ filter: 'cs', qos: 1 }] });
    const pub = w.client('pub', { target: 'n1' });
    await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
    await w.sleep(10);
    sub.disconnect();
    await w.sleep(10);
    const queued = pub.publish('cs', 1);
    await w.sleep(10);
    const fresh = new SimClient(w, 'sub', { target: 'n1', host: 'sub-2', clean: true });
    await settle(w, () => fresh.connected, 1000, 'connect');
    await w.sleep(100);
    expect(events(w, 'client.connack', { c: 'sub' }).at(-1)).toMatchObject({ present: false });
    expect(fresh.received).toEqual([]);
    expect(events(w, 'drop', { c: 'sub', id: queued })).toEqual([
      expect.objectContaining({ reason: 'no-session' }),
    ]);
  });

  it('v5 Session Expiry: an offline session ends after its interval', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const sub = w.client('sub', {
      target: 'n1',
      version: 5,
      clean: false,
      sessionExpiry: 20,
      reconnect: false,
      subscriptions: [{ filter: 'e', qos: 1 }],
    });
    const pub = w.client('pub', { target: 'n1' });
    await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
    await w.sleep(10);
    sub.kill();
    await w.sleep(10);
    const owed = pub.publish('e', 1);
    await w.sleep(19_000);
    expect(w.broker('n1').sessions.has('sub')).toBe(true);
    await w.sleep(2000);
    expect(w.broker('n1').sessions.has('sub')).toBe(false);
    expect(w.broker('n1').stats.sessionsExpired).toBe(1);
    expect(events(w, 'drop', { c: 'sub', id: owed })).toEqual([
      expect.objectContaining({ reason: 'session-expired' }),
    ]);
  });

  it('an unacknowledged QoS 1 delivery is resent with DUP on resume', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const sub = w.client('sub', {
      target: 'n1',
      clean: false,
      reconnect: false,
      subscriptions: [{ filter: 'r', qos: 1 }],
    });
    const pub = w.client('pub', { target: 'n1' });
    await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
    await w.sleep(10);
    sub.onMessage = () => sub.kill(); // dies before it can PUBACK
    const id = pub.publish('r', 1);
    await w.sleep(100);
    expect(w.broker('n1').sessions.get('sub')!.inflight.size).toBe(1);
    sub.onMessage = null;
    sub.connect();
    await w.sleep(100);
    expect(sub.received).toEqual([
      { id, topic: 'r', qos: 1, dup: false, retain: false },
      { id, topic: 'r', qos: 1, dup: true, retain: false },
    ]);
    expect(w.broker('n1').sessions.get('sub')!.inflight.size).toBe(0);
  });
});

describe('QoS 2 exactly once across a reconnect', () => {
  it('publisher side: the PUBREC is lost, the client resends with DUP, the broker does not route it again', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const sub = w.client('sub', { target: 'n1', keepalive: 600, subscriptions: [{ filter: 'x', qos: 2 }] });
    const pub = w.client('pub', {
      target: 'n1',
      clean: false,
      keepalive: 600,
      reconnect: { minMs: 500, maxMs: 1000 },
    });
    await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
    await w.sleep(10);
    w.partition(['n1'], ['pub'], { oneWay: true }); // acks to the publisher are lost
    const id = pub.publish('x', 2);
    await w.sleep(100);
    expect(sub.received.map((m) => m.id)).toEqual([id]);
    expect(w.broker('n1').sessions.get('pub')!.inboundQos2.size).toBe(1);
    expect(events(w, 'pub.ok', { c: 'pub' })).toEqual([]);
    w.resetConnections('pub', 'n1');
    w.heal();
    await settle(w, () => pub.connects === 2 && pub.inflight === 0, 10_000, 'resend completes');
    await w.sleep(100);
    expect(events(w, 'client.connack', { c: 'pub' })[1]).toMatchObject({ present: true });
    const ok = events(w, 'pub.ok', { c: 'pub', id });
    expect(ok).toHaveLength(1);
    expect(ok[0].t).toBeGreaterThan(events(w, 'client.connack', { c: 'pub' })[1].t);
    expect(sub.received.map((m) => m.id)).toEqual([id]); // exactly once
    expect(w.broker('n1').sessions.get('pub')!.inboundQos2.size).toBe(0);
    expect(checkNoQos2Duplicates(w.history.events)).toEqual([]);
  });

  it('subscriber side: the PUBREC is lost, the broker resends with DUP, the client does not deliver it again', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const sub = w.client('sub', {
      target: 'n1',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      keepalive: 600,
      reconnect: { minMs: 500, maxMs: 1000 },
      subscriptions: [{ filter: 'x', qos: 2 }],
    });
    const pub = w.client('pub', { target: 'n1', keepalive: 600 });
    await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
    await w.sleep(10);
    let cut = false;
    sub.onMessage = () => {
      if (cut) return;
      cut = true;
      w.partition(['sub'], ['n1'], { oneWay: true }); // the PUBREC about to be sent is lost
    };
    const id = pub.publish('x', 2);
    await w.sleep(100);
    expect(sub.received.map((m) => m.id)).toEqual([id]);
    const session = w.broker('n1').sessions.get('sub')!;
    expect([...session.inflight.values()].map((f) => f.state)).toEqual(['publish']);
    w.resetConnections('sub', 'n1');
    w.heal();
    await settle(w, () => sub.connects === 2 && session.inflight.size === 0, 10_000, 'resend completes');
    await w.sleep(100);
    expect(events(w, 'client.connack', { c: 'sub' })[1]).toMatchObject({ present: true });
    expect(sub.received.map((m) => m.id)).toEqual([id]);
    expect(events(w, 'deliver', { c: 'sub' })).toHaveLength(1);
    expect(checkNoQos2Duplicates(w.history.events)).toEqual([]);
    // And the flow works normally afterwards.
    const next = pub.publish('x', 2);
    await w.sleep(100);
    expect(sub.received.map((m) => m.id)).toEqual([id, next]);
  });

  it('a pending PUBREL is resent on resume and completes the flow', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const sub = w.client('sub', {
      target: 'n1',
      clean: false,
      keepalive: 600,
      reconnect: { minMs: 500, maxMs: 1000 },
      subscriptions: [{ filter: 'x', qos: 2 }],
    });
    const pub = w.client('pub', { target: 'n1', keepalive: 600 });
    await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
    await w.sleep(10);
    const id = pub.publish('x', 2);
    // PUBLISH reaches sub at +2, PUBREC the broker at +3, PUBREL leaves the broker at +3: block the path back.
    await w.sleep(2.5);
    w.partition(['sub'], ['n1'], { oneWay: true });
    await w.sleep(100);
    const session = w.broker('n1').sessions.get('sub')!;
    expect([...session.inflight.values()].map((f) => f.state)).toEqual(['pubrel']);
    w.resetConnections('sub', 'n1');
    w.heal();
    await settle(w, () => sub.connects === 2 && session.inflight.size === 0, 10_000, 'PUBCOMP');
    expect(sub.received.map((m) => m.id)).toEqual([id]);
  });
});

describe('session takeover', () => {
  for (const version of [4, 5] as const) {
    it(`v${version}: a second client with the same id takes the session over; the first is closed`, async () => {
      const w = makeWorld({ latency: fixed });
      w.addBroker('n1');
      const opts = {
        target: 'n1',
        version,
        clean: false,
        sessionExpiry: 3600,
        keepalive: 60,
        reconnect: false as const,
      };
      const first = w.client('dev', { ...opts, subscriptions: [{ filter: 'to/dev', qos: 1 }] });
      const pub = w.client('pub', { target: 'n1' });
      await settle(w, () => first.connected && pub.connected, 1000, 'connect');
      await w.sleep(10);
      const disc = watchDisconnects(w, 'n1');
      // World.client keeps one client per id, so the second one is built directly, on another host.
      const second = new SimClient(w, 'dev', { ...opts, host: 'dev-2' });
      await settle(w, () => second.connected, 1000, 'second connect');
      await w.sleep(10);
      const b = w.broker('n1');
      expect(b.stats.takeovers).toBe(1);
      expect(disc).toEqual([expect.objectContaining({ c: 'dev', cause: 'takeover' })]);
      expect(first.connected).toBe(false);
      expect(second.node).toBe('n1');
      if (version === 5) {
        expect(events(w, 'client.server-disconnect', { c: 'dev' })).toEqual([
          expect.objectContaining({ rc: 0x8e }),
        ]);
        expect(b.stats.closedByReason['0x8e']).toBe(1);
      } else
        expect(events(w, 'client.closed', { c: 'dev' })[0]).toMatchObject({
          reason: 'fin',
          was: 'connected',
        });
      // One session, now bound to the new connection, with its subscription.
      expect(b.sessions.get('dev')!.conn).toBe(connOf(w, 'n1', 'dev'));
      expect(b.connectedCount).toBe(2);
      expect(events(w, 'client.connack', { c: 'dev' }).at(-1)).toMatchObject({ present: true });
      const id = pub.publish('to/dev', 1);
      await w.sleep(100);
      expect(second.received.map((m) => m.id)).toEqual([id]);
      expect(first.received).toEqual([]);
    });
  }

  it('takeover with clean:false hands the unacknowledged QoS 1 delivery to the new connection', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const opts = { target: 'n1', clean: false, keepalive: 60, reconnect: false as const };
    const first = w.client('dev', { ...opts, subscriptions: [{ filter: 'to/dev', qos: 1 }] });
    const pub = w.client('pub', { target: 'n1' });
    await settle(w, () => first.connected && pub.connected, 1000, 'connect');
    await w.sleep(10);
    w.partition(['dev'], ['n1'], { oneWay: true }); // first never acknowledges
    const id = pub.publish('to/dev', 1);
    await w.sleep(100);
    expect(first.received.map((m) => m.id)).toEqual([id]);
    const second = new SimClient(w, 'dev', { ...opts, host: 'dev-2' });
    await settle(w, () => second.received.length === 1, 1000, 'redelivery');
    expect(second.received[0]).toMatchObject({ id, dup: true });
    await w.sleep(10);
    expect(w.broker('n1').sessions.get('dev')!.inflight.size).toBe(0);
  });
});

describe('keep alive', () => {
  it('a healthy client with sporadic traffic is never closed by the broker (PINGREQ timed from the last packet sent)', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const K = 10;
    const c = w.client('c', { target: 'n1', keepalive: K, reconnect: false });
    await settle(w, () => c.connected, 1000, 'connect');
    const disc = watchDisconnects(w, 'n1');
    const rng = w.rng('test/sporadic');
    // Publish just after the client's keep-alive checks and at random moments, for an hour.
    await w.sleep(10);
    c.publish('s', 0);
    for (let t = 0; t < 3_600_000;) {
      const gap = rng.next() * 3 * K * 1000;
      await w.sleep(gap);
      t += gap;
      if (rng.chance(0.5)) c.publish('s', 1);
    }
    expect(disc).toEqual([]);
    expect(c.connected).toBe(true);
    expect(c.connects).toBe(1);
    expect(w.broker('n1').stats.closedByReason).toEqual({});
  });
});

describe('client life cycle', () => {
  for (const how of ['kill', 'disconnect'] as const) {
    it(`a client that is ${how === 'kill' ? 'killed' : 'disconnected'} while connecting never connects`, async () => {
      const w = makeWorld({ latency: { kind: 'fixed', ms: 5 } });
      w.addBroker('n1');
      const c = w.client('c', { target: 'n1', clean: false });
      await w.sleep(3); // TCP handshake under way
      c[how]();
      await w.sleep(60_000);
      expect(c.connected).toBe(false);
      expect(c.connects).toBe(0);
      expect(events(w, 'client.connack')).toEqual([]);
      expect(w.broker('n1').connectedCount).toBe(0);
      expect(w.broker('n1').sessions.size).toBe(0);
      expect(w.broker('n1').connections.size).toBe(0);
    });
  }

  it('a stale attempt (killed while connecting into a partition) does not close a later connection', async () => {
    const w = makeWorld({ latency: fixed, connectTimeoutMs: 10_000 });
    w.addBroker('n1');
    w.host('c', true);
    w.isolate('c');
    const c = w.client('c', { target: 'n1', keepalive: 60 });
    await w.sleep(1000);
    c.kill(); // the first attempt's connect timeout is still pending
    w.heal();
    c.connect();
    await settle(w, () => c.connected, 1000, 'connect');
    await w.sleep(20_000); // past the first attempt's timeout
    expect(c.connected).toBe(true);
    expect(c.connects).toBe(1);
    expect(w.broker('n1').connectedCount).toBe(1);
    expect(events(w, 'client.closed', { c: 'c' })).toHaveLength(1); // just the kill
  });
});

describe('slow consumers (limits.maxWriteBuffer, enforced in the core)', () => {
  const run = async (clogged: boolean) => {
    const w = makeWorld({ seed: 'slow' });
    w.addBroker('n1', { limits: { maxWriteBuffer: 64 * 1024 } as never });
    const sub = w.client('sub', {
      target: 'n1',
      version: 5,
      clean: false,
      sessionExpiry: 600,
      subscriptions: [{ filter: 'big/#', qos: 0 }],
    });
    const pub = w.client('pub', { target: 'n1', version: 5 });
    await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
    await w.sleep(10);
    // The broker's writes to the subscriber are held on the way (its reads stall): they pile up unread.
    if (clogged) w.clog(['n1'], ['sub'], { oneWay: true });
    // 200 KB in bursts of 10 KB, 10 ms apart: a reading client never has more than a burst unread.
    const payload = 'x'.repeat(1000);
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 10; j++) pub.publish('big/t', 0, { payload });
      await w.sleep(10);
    }
    await w.sleep(200);
    return { w, b: w.broker('n1') };
  };

  it('a client that leaves more than maxWriteBuffer bytes unread is cut off, its session kept', async () => {
    const { b } = await run(true);
    expect(b.stats.dropped['slow-consumer']).toBe(1);
    const s = b.sessions.get('sub')!;
    expect(s.conn).toBeNull(); // disconnected ...
    expect(s.subscriptions.has('big/#')).toBe(true); // ... but its persistent session stays
    expect(b.connectedCount).toBe(1); // the publisher is still connected
  });

  it('a client that reads keeps its connection, whatever the volume', async () => {
    const { b } = await run(false);
    expect(b.stats.dropped['slow-consumer']).toBeUndefined();
    expect(b.sessions.get('sub')!.conn).not.toBeNull();
  });
});
