// Host faults: process crash (the OS answers with resets and refusals)
// versus power loss (silence: half-open connections, connect timeouts),
// restart, pause (everything on the host is frozen, then runs late), clock
// skew and drift, and the disk's fsync semantics.

import { describe, it, expect } from 'vitest';
import { SimDisk } from '../../sim/disk.ts';
import { makeWorld, events, settle, watchDisconnects, connOf } from '../helpers/sim.ts';

const fixed = { kind: 'fixed', ms: 1 } as const;

describe('process crash', () => {
  it('peers get a reset at once; connects are refused while the node is down; restart boots a fresh broker', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const c = w.client('c', {
      target: 'n1',
      clean: false,
      keepalive: 30,
      reconnect: { minMs: 1000, maxMs: 2000 },
      subscriptions: [{ filter: 't', qos: 1 }],
    });
    await settle(w, () => c.connected, 1000, 'connect');
    await w.sleep(100);
    const crashAt = w.now;
    w.crash('n1', 'process');
    expect(events(w, 'fault.crash')).toEqual([
      expect.objectContaining({ node: 'n1', mode: 'process', t: crashAt }),
    ]);
    expect(() => w.broker('n1')).toThrow(/not running/);
    expect(w.isReady('n1')).toBe(false);

    await w.sleep(10_000);
    const closed = events(w, 'client.closed', { c: 'c' });
    expect(closed[0]).toMatchObject({ reason: 'reset', was: 'connected', t: crashAt + 1 });
    // Every reconnect attempt is refused within one round trip; none times out.
    const attempts = events(w, 'client.connect', { c: 'c' }).slice(1);
    const refusals = closed.slice(1);
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    expect(refusals.every((e) => e.reason === 'refused' && e.was === 'connecting')).toBe(true);
    refusals.forEach((r, i) => expect(r.t - attempts[i].t).toBe(2));
    expect(c.connected).toBe(false);

    w.restart('n1');
    expect(events(w, 'node.start', { node: 'n1' })).toHaveLength(2);
    await settle(w, () => c.connected, 10_000, 'reconnect after restart');
    // Sessions lived in memory: the restarted broker does not know the client.
    expect(events(w, 'client.connack', { c: 'c' }).at(-1)).toMatchObject({ present: false });
    await w.sleep(10);
    expect(w.broker('n1').sessions.get('c')!.subscriptions.has('t')).toBe(true); // re-subscribed
  });

  it('timers scheduled on a crashed host never fire, even after it restarts', async () => {
    const w = makeWorld();
    w.addBroker('n1');
    const h = w.host('n1');
    let fired = 0;
    h.setTimer(1000, () => fired++);
    w.at(1500, h, () => fired++);
    w.crash('n1');
    w.restart('n1');
    await w.sleep(5000);
    expect(fired).toBe(0);
    expect(h.epoch).toBe(1);
    h.setTimer(1000, () => fired++);
    await w.sleep(2000);
    expect(fired).toBe(1);
  });

  it('the OS of a process-crashed node answers later segments with a reset (even if the crash-time reset was lost)', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const c = w.client('c', { target: 'n1', keepalive: 0, reconnect: false });
    await settle(w, () => c.connected, 1000, 'connect');
    w.isolate('c');
    w.crash('n1', 'process'); // its RST dies in the partition
    w.heal();
    await w.sleep(1000);
    expect(c.connected).toBe(true); // has not heard of it yet
    const at = w.now;
    c.publish('x', 1);
    await w.sleep(100);
    expect(events(w, 'client.closed', { c: 'c' })).toEqual([
      expect.objectContaining({ reason: 'reset', was: 'connected', t: at + 2 }),
    ]);
  });

  it('restart of a running node crashes it first', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const c = w.client('c', { target: 'n1', reconnect: false });
    await settle(w, () => c.connected, 1000, 'connect');
    const before = w.broker('n1');
    w.restart('n1');
    expect(w.broker('n1')).not.toBe(before);
    expect(events(w, 'fault.crash', { node: 'n1', mode: 'process' })).toHaveLength(1);
    await w.sleep(10);
    expect(events(w, 'client.closed', { c: 'c' })[0].reason).toBe('reset');
  });
});

describe('power loss', () => {
  it('connects time out (nothing answers) instead of being refused', async () => {
    const w = makeWorld({ latency: fixed, connectTimeoutMs: 5000 });
    w.addBroker('n1');
    w.crash('n1', 'power');
    const c = w.client('c', { target: 'n1', reconnect: false });
    await w.sleep(4999);
    expect(events(w, 'client.closed')).toEqual([]);
    await w.sleep(2);
    expect(events(w, 'client.closed', { c: 'c' })).toEqual([
      expect.objectContaining({ reason: 'timeout', was: 'connecting', t: 5000 }),
    ]);
    expect(c.connected).toBe(false);
  });

  it('leaves connections half-open; the client notices through its keep alive (no PINGRESP)', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const K = 5;
    const c = w.client('c', { target: 'n1', keepalive: K, reconnect: false });
    const quiet = w.client('quiet', { target: 'n1', keepalive: 0, reconnect: false });
    await settle(w, () => c.connected && quiet.connected, 1000, 'connect');
    await w.sleep(2000);
    const crashAt = w.now;
    w.crash('n1', 'power');
    await w.sleep(K * 1000 - 100);
    // No reset came: both clients still believe they are connected.
    expect(c.connected).toBe(true);
    expect(quiet.connected).toBe(true);
    expect(events(w, 'client.closed')).toEqual([]);
    await w.sleep(2 * K * 1000);
    const kat = events(w, 'client.keepalive-timeout', { c: 'c' });
    expect(kat).toHaveLength(1);
    // The first PINGREQ after the crash goes unanswered for a whole period.
    expect(kat[0].t).toBeGreaterThan(crashAt + K * 1000);
    expect(kat[0].t).toBeLessThanOrEqual(crashAt + 2 * K * 1000 + 1);
    expect(events(w, 'client.closed', { c: 'c' })[0]).toMatchObject({
      reason: 'keepalive',
      was: 'connected',
    });
    // Without keep alive, a client that sends nothing never finds out.
    await w.sleep(3_600_000);
    expect(quiet.connected).toBe(true);
  });

  it('a half-open connection meets a reset once the node is back (the rebooted stack answers RST)', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const c = w.client('c', { target: 'n1', keepalive: 0, reconnect: false });
    await settle(w, () => c.connected, 1000, 'connect');
    w.crash('n1', 'power');
    w.restart('n1');
    await w.sleep(1000);
    expect(c.connected).toBe(true); // still half-open
    c.publish('x', 1);
    await w.sleep(10);
    expect(events(w, 'client.closed', { c: 'c' })).toEqual([
      expect.objectContaining({ reason: 'reset', was: 'connected' }),
    ]);
    expect(w.broker('n1').stats.messagesIn).toBe(0);
  });

  it('a broker sees a client host lose power only through its keep-alive timer', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const K = 8;
    const c = w.client('c', { target: 'n1', keepalive: K, clean: false });
    await settle(w, () => c.connected, 1000, 'connect');
    await w.sleep(500);
    const disc = watchDisconnects(w, 'n1');
    const lastRx = connOf(w, 'n1', 'c')!.lastRx;
    w.crash('c', 'power');
    await w.sleep(30_000);
    expect(disc).toEqual([{ c: 'c', cause: 'keepalive', t: expect.closeTo(lastRx + 1500 * K, 6) }]);
    // A process crash of the client host would have been seen at once.
    const w2 = makeWorld({ latency: fixed });
    w2.addBroker('n1');
    const c2 = w2.client('c', { target: 'n1', keepalive: K });
    await settle(w2, () => c2.connected, 1000, 'connect');
    const disc2 = watchDisconnects(w2, 'n1');
    const at = w2.now;
    w2.crash('c', 'process');
    await w2.sleep(100);
    expect(disc2).toEqual([{ c: 'c', cause: 'transport', t: at + 1 }]);
  });
});

describe('pause', () => {
  it('defers a paused host timer until unpause; it then fires late, once', async () => {
    const w = makeWorld();
    w.addBroker('n1');
    const h = w.host('n1');
    const fired: number[] = [];
    h.setTimer(1000, () => fired.push(w.now));
    await w.sleep(500);
    w.pause('n1');
    expect(h.state).toBe('paused');
    await w.sleep(4500);
    expect(fired).toEqual([]);
    w.unpause('n1');
    expect(events(w, 'fault.pause')).toHaveLength(1);
    expect(events(w, 'fault.unpause')).toHaveLength(1);
    await w.sleep(0);
    expect(fired).toEqual([5000]);
    await w.sleep(10_000);
    expect(fired).toEqual([5000]);
  });

  it('a timer cancelled while deferred does not fire at unpause', async () => {
    const w = makeWorld();
    const h = w.host('h', true);
    let fired = 0;
    const t = h.setTimer(100, () => fired++);
    w.pause('h');
    await w.sleep(1000);
    t.cancel();
    w.unpause('h');
    await w.sleep(1000);
    expect(fired).toBe(0);
  });

  it('deferred timers run in the order they came due', async () => {
    const w = makeWorld();
    const h = w.host('h', true);
    const order: number[] = [];
    for (const d of [300, 100, 200, 400]) h.setTimer(d, () => order.push(d));
    w.pause('h');
    await w.sleep(1000);
    w.unpause('h');
    await w.sleep(1);
    expect(order).toEqual([100, 200, 300, 400]);
  });

  it('holds message handling: nothing is routed or acknowledged while the broker is paused', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const sub = w.client('sub', { target: 'n1', keepalive: 600, subscriptions: [{ filter: 'p', qos: 1 }] });
    const pub = w.client('pub', { target: 'n1', keepalive: 600 });
    await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
    await w.sleep(10);
    w.pause('n1');
    pub.publish('p', 1);
    pub.publish('p', 1);
    await w.sleep(20_000);
    expect(sub.received).toEqual([]);
    expect(events(w, 'pub.ok')).toEqual([]);
    expect(w.broker('n1').stats.messagesIn).toBe(0);
    const resumeAt = w.now;
    w.unpause('n1');
    await w.sleep(10);
    expect(sub.received.map((m) => m.id)).toEqual(['pub:1', 'pub:2']);
    const oks = events(w, 'pub.ok', { c: 'pub' });
    expect(oks.map((e) => e.id)).toEqual(['pub:1', 'pub:2']);
    expect(oks.every((e) => e.t >= resumeAt)).toBe(true);
  });

  it("the broker's keep-alive timer fires late: at unpause, not at 1.5 K", async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    const K = 4;
    const c = w.client('c', { target: 'n1', keepalive: K });
    await settle(w, () => c.connected, 1000, 'connect');
    await w.sleep(100);
    const disc = watchDisconnects(w, 'n1');
    const lastRx = connOf(w, 'n1', 'c')!.lastRx;
    w.crash('c', 'power'); // the client goes silent
    await w.sleep(1000);
    w.pause('n1');
    await w.sleep(30_000);
    expect(w.now).toBeGreaterThan(lastRx + 1500 * K);
    expect(disc).toEqual([]);
    const resumeAt = w.now;
    w.unpause('n1');
    await w.sleep(1);
    expect(disc).toEqual([{ c: 'c', cause: 'keepalive', t: resumeAt }]);
  });

  it('connects to a paused node complete the handshake but get no CONNACK until unpause', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    w.pause('n1');
    const c = w.client('c', { target: 'n1' });
    await w.sleep(8000);
    expect(c.state).toBe('connecting');
    expect(events(w, 'client.closed')).toEqual([]);
    w.unpause('n1');
    await settle(w, () => c.connected, 100, 'connack');
    expect(c.connects).toBe(1);
  });
});

describe('clock skew and drift', () => {
  it('skew steps one host clock; the others and virtual time are untouched', async () => {
    const w = makeWorld();
    w.addBroker('n1');
    w.addBroker('n2');
    await w.sleep(1000);
    w.skew('n1', 5000);
    expect(w.host('n1').now()).toBe(6000);
    expect(w.host('n2').now()).toBe(1000);
    w.skew('n1', -7000);
    expect(w.host('n1').now()).toBe(-1000);
    expect(events(w, 'fault.skew').map((e) => e.ms)).toEqual([5000, -7000]);
    // Timers are relative: a 1 s timer after the jump still takes 1 s of virtual time.
    let firedAt = -1;
    w.host('n1').setTimer(1000, () => (firedAt = w.now));
    await w.sleep(2000);
    expect(firedAt).toBe(2000);
    expect(w.host('n1').now()).toBe(1000);
  });

  it('drift makes a host clock run fast or slow, continuously from the moment it is set', async () => {
    const w = makeWorld();
    w.host('fast', true);
    w.host('slow', true);
    await w.sleep(10_000);
    w.drift('fast', 0.5);
    w.drift('slow', -0.25);
    expect(w.host('fast').now()).toBeCloseTo(10_000, 9);
    expect(w.host('slow').now()).toBeCloseTo(10_000, 9);
    await w.sleep(10_000);
    expect(w.host('fast').now()).toBeCloseTo(25_000, 6);
    expect(w.host('slow').now()).toBeCloseTo(17_500, 6);
    // A timer of 3 s on the fast clock fires after 2 s of virtual time.
    let at = -1;
    w.host('fast').setTimer(3000, () => (at = w.now));
    await w.sleep(5000);
    expect(at).toBeCloseTo(22_000, 6);
    // Changing the rate keeps the clock continuous.
    const before = w.host('fast').now();
    w.drift('fast', 0);
    expect(w.host('fast').now()).toBeCloseTo(before, 6);
    expect(events(w, 'fault.drift').map((e) => e.rate)).toEqual([0.5, -0.25, 0]);
  });

  it('a broker whose clock runs fast enforces keep alive early in real (virtual) time', async () => {
    const w = makeWorld({ latency: fixed });
    w.addBroker('n1');
    w.drift('n1', 1); // twice as fast
    const K = 10;
    const c = w.client('c', { target: 'n1', keepalive: K, reconnect: false });
    await settle(w, () => c.connected, 1000, 'connect');
    const disc = watchDisconnects(w, 'n1');
    const lastRxVirtual = w.now - 1; // CONNECT arrived one latency before the CONNACK did
    await w.sleep(K * 1000);
    // 1.5 K on the broker's clock is 0.75 K of virtual time: before the client's first PINGREQ.
    expect(disc).toEqual([{ c: 'c', cause: 'keepalive', t: expect.closeTo(lastRxVirtual + 750 * K, 6) }]);
  });
});

describe('SimDisk', () => {
  it('a crash loses unsynced writes and keeps synced ones', () => {
    const d = new SimDisk();
    const b = (s: string) => new TextEncoder().encode(s);
    d.put('a', b('1'));
    d.put('b', b('2'));
    d.sync();
    expect(d.syncs).toBe(1);
    d.put('c', b('3')); // never synced
    d.put('a', b('1x')); // overwrite, never synced
    d.delete('b'); // delete, never synced
    expect(d.unsynced).toBe(3);
    // Before the crash, reads see the latest writes.
    expect(new TextDecoder().decode(d.get('a'))).toBe('1x');
    expect(d.get('b')).toBeUndefined();
    expect(d.keys()).toEqual(['a', 'c']);
    d.crash();
    expect(d.unsynced).toBe(0);
    expect(new TextDecoder().decode(d.get('a'))).toBe('1');
    expect(new TextDecoder().decode(d.get('b'))).toBe('2');
    expect(d.get('c')).toBeUndefined();
    expect(d.keys()).toEqual(['a', 'b']);
  });

  it('sync makes deletes durable; keys filters by prefix and is sorted', () => {
    const d = new SimDisk();
    const v = new Uint8Array([1]);
    for (const k of ['s/2', 'r/1', 's/1', 's/3']) d.put(k, v);
    d.sync();
    d.delete('s/2');
    d.sync();
    d.crash();
    expect(d.keys('s/')).toEqual(['s/1', 's/3']);
    expect(d.keys()).toEqual(['r/1', 's/1', 's/3']);
    d.put('s/0', v);
    expect(d.keys('s/')).toEqual(['s/0', 's/1', 's/3']);
  });

  it("a host's disk loses its unsynced writes on power loss, keeps them (OS page cache) on a process crash", async () => {
    for (const mode of ['power', 'process'] as const) {
      const w = makeWorld();
      w.addBroker('n1');
      const disk = w.host('n1').disk;
      disk.put('kept', new Uint8Array([1]));
      disk.sync();
      disk.put('lost', new Uint8Array([2]));
      w.crash('n1', mode);
      w.restart('n1');
      expect(disk.get('kept')).toEqual(new Uint8Array([1]));
      if (mode === 'power') expect(disk.get('lost')).toBeUndefined();
      else expect(disk.get('lost')).toEqual(new Uint8Array([2]));
      expect(w.host('n1').disk).toBe(disk); // the same disk after the reboot
    }
  });
});
