// A node whose data dir's disk is full or whose fsync fails (core/disk-fault.ts): it refuses new
// persistent work with 0x97 (full) / 0x80 (fsync) instead of acknowledging what it cannot keep,
// holds the acknowledgement of what a failed sync carried until a sync succeeds, keeps what was
// stored, and takes persistent work again once the fault clears.

import { describe, it, expect } from 'vitest';
import { makeWorld, events, settle } from '../helpers/sim.ts';
import type { World } from '../../sim/world.ts';
import type { SimClient } from '../../sim/client.ts';
import { RC } from '../../core/reason-codes.ts';

const fixed = { kind: 'fixed', ms: 1 } as const;
const reconnect = { minMs: 500, maxMs: 1000 };

async function setup(pubVersion: 4 | 5 = 5): Promise<{ w: World; sub: SimClient; pub: SimClient }> {
  const w = makeWorld({ latency: fixed });
  w.addBroker('n1', {}, undefined, { persist: true });
  const sub = w.client('sub', {
    target: 'n1',
    version: 5,
    clean: false,
    sessionExpiry: 3600,
    keepalive: 30,
    reconnect,
    subscriptions: [{ filter: 'a/#', qos: 1 }],
  });
  const pub = w.client('pub', { target: 'n1', version: pubVersion, keepalive: 30, reconnect });
  await settle(w, () => sub.connected && pub.connected, 1000, 'connect');
  await w.sleep(50);
  sub.kill(); // offline: what is published for it must be kept on disk
  await w.sleep(10);
  return { w, sub, pub };
}

const oks = (w: World) => events(w, 'pub.ok', { c: 'pub' }).map((e) => e.id);
const fails = (w: World) => events(w, 'pub.fail', { c: 'pub' });

for (const [kind, rc] of [
  ['full', RC.QuotaExceeded],
  ['fsync', RC.UnspecifiedError],
] as const) {
  describe(`disk fault: ${kind}`, () => {
    const inject = (w: World, on: boolean) =>
      kind === 'full' ? w.diskFull('n1', on) : w.fsyncFails('n1', on);

    it(`MQTT 5: QoS 1/2 publishes are refused with 0x${rc.toString(16)} while it lasts; the one a failed sync carried is acknowledged once the disk works again; nothing acknowledged is lost across a power loss`, async () => {
      const { w, sub, pub } = await setup();
      const before = [pub.publish('a/1', 1), pub.publish('a/2', 2)];
      await settle(w, () => oks(w).length === 2, 2000, 'acks before the fault');

      inject(w, true);
      expect(events(w, 'fault.disk', { node: 'n1' }).at(-1)).toMatchObject({ fault: kind, on: true });
      // The node learns of the fault from its next sync: the publish that meets it is held, not acknowledged.
      const held = pub.publish('a/3', 1);
      await w.sleep(100);
      expect(oks(w)).not.toContain(held);
      expect(fails(w)).toEqual([]);
      // Another publisher is refused at once (on pub's connection the refusals would wait behind the held
      // ack: acks go in the order of their publishes).
      const pub2 = w.client('pub2', { target: 'n1', version: 5, keepalive: 30 });
      await settle(w, () => pub2.connected, 1000, 'pub2');
      const refused = [pub2.publish('a/4', 1), pub2.publish('a/5', 2), pub2.publish('a/6', 1)];
      const fails2 = () => events(w, 'pub.fail', { c: 'pub2' });
      await settle(w, () => fails2().length === 3, 2000, 'refusals');
      expect(fails2().map((e) => [e.id, e.rc])).toEqual(refused.map((id) => [id, rc]));
      expect(w.broker('n1').stats.dropped[kind === 'full' ? 'disk-full' : 'disk-error']).toBe(3);
      expect(oks(w)).not.toContain(held);
      await w.sleep(5000); // the node retries its sync every second: still failing, still held
      expect(oks(w)).not.toContain(held);
      const failed = w.host('n1').disk.failedSyncs;
      expect(failed).toBeGreaterThanOrEqual(5);

      inject(w, false);
      await settle(w, () => oks(w).includes(held), 2000, 'the held ack');
      const after = [pub.publish('a/7', 1), pub.publish('a/8', 2)];
      await settle(w, () => oks(w).length === 5, 2000, 'persistent work accepted again');
      expect(fails(w)).toEqual([]);

      w.crash('n1', 'power');
      await w.sleep(500);
      w.restart('n1');
      sub.connect();
      const acked = [...before, held, ...after];
      await settle(
        w,
        () => acked.every((id) => sub.received.some((m) => m.id === id)),
        10_000,
        'owed messages',
      );
      expect(events(w, 'client.connack', { c: 'sub' }).at(-1)).toMatchObject({ present: true });
      // Refused messages were never routed.
      expect(sub.received.filter((m) => refused.includes(m.id))).toEqual([]);
    });

    it('a power loss while a sync fails: the held message was never acknowledged; what was stored before stays', async () => {
      const { w, sub, pub } = await setup();
      const before = pub.publish('a/1', 1); // a clean publisher: it resends what it holds on its next connection
      await settle(w, () => oks(w).length === 1, 2000, 'ack before the fault');
      inject(w, true);
      const held = pub.publish('a/2', 1);
      await w.sleep(2500);
      expect(oks(w)).not.toContain(held);
      w.crash('n1', 'power');
      inject(w, false);
      await w.sleep(500);
      w.restart('n1');
      sub.connect();
      await settle(w, () => sub.received.some((m) => m.id === before), 10_000, 'the stored message');
      // The publisher resends what it holds unacknowledged when it reconnects: at least once, never lost.
      // (Half-open after the power loss: the publisher notices by its keep alive, 30 s.)
      await settle(w, () => oks(w).includes(held), 60_000, 'the resent message acknowledged');
      await settle(w, () => sub.received.some((m) => m.id === held), 10_000, 'the resent message delivered');
    });

    it('MQTT 3.1.1: a QoS 1 publish gets no PUBACK; the connection is closed', async () => {
      const { w, pub } = await setup(4);
      inject(w, true);
      pub.publish('a/1', 1); // meets the fault: held
      await w.sleep(50);
      const closedBefore = events(w, 'client.closed', { c: 'pub' }).length;
      const refused = pub.publish('a/2', 1);
      await settle(w, () => events(w, 'client.closed', { c: 'pub' }).length > closedBefore, 2000, 'close');
      expect(oks(w)).not.toContain(refused);
      expect(fails(w)).toEqual([]); // 3.1.1 has no negative PUBACK
      inject(w, false);
      await settle(w, () => oks(w).includes(refused), 10_000, 'the resend acknowledged after the fault');
    });

    it(`CONNECT: a new persistent session is refused (5: 0x${rc.toString(16)}, 3.1.1: return code 3); a clean one is accepted, a stored one resumes`, async () => {
      const { w, sub, pub } = await setup();
      inject(w, true);
      pub.publish('a/1', 1); // a write that meets the fault
      await w.sleep(100);
      const v5 = w.client('p5', {
        target: 'n1',
        version: 5,
        clean: false,
        sessionExpiry: 600,
        keepalive: 30,
      });
      const v4 = w.client('p4', { target: 'n1', version: 4, clean: false, keepalive: 30 });
      const clean = w.client('c5', { target: 'n1', version: 5, keepalive: 30 });
      await w.sleep(200);
      expect(events(w, 'client.connack', { c: 'p5' })[0]).toMatchObject({ rc });
      expect(events(w, 'client.connack', { c: 'p4' })[0]).toMatchObject({ rc: 3 });
      expect(events(w, 'client.connack', { c: 'c5' })[0]).toMatchObject({ rc: 0 });
      expect(clean.connected).toBe(true);
      sub.connect();
      await settle(w, () => sub.connected, 2000, 'the stored session resumes');
      expect(events(w, 'client.connack', { c: 'sub' }).at(-1)).toMatchObject({ rc: 0, present: true });
      v5.kill();
      v4.kill();
      inject(w, false);
      await w.sleep(1500);
      v5.connect();
      await settle(w, () => v5.connected, 2000, 'a persistent session accepted again');
    });
  });
}
