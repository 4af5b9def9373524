// Replicas on disk and what a restart rebuilds instead of reading it (issue 15, docs/durability.md):
// a replica read back from the data dir is of its owner's previous life until the owner speaks again (the
// owner's snapshot replaces its messages; a session the owner no longer claims is dropped); the route table
// and the client-id claims are not kept on disk: each node's come back from its restored sessions, the
// others' from the peers at link-up.

import { describe, it, expect } from 'vitest';
import { events, makeWorld, settle } from '../helpers/sim.ts';
import { simProblems } from '../../sim/convergence.ts';
import type { World } from '../../sim/world.ts';

const reconnect = { minMs: 300, maxMs: 1000 };
const nodes = ['n1', 'n2', 'n3'];

async function cluster(): Promise<World> {
  const w = makeWorld();
  w.addCluster(nodes, { persist: true });
  await settle(w, () => simProblems(w).length === 0, 10_000, 'the cluster');
  return w;
}

/** n3's replica of `id` (undefined: none). */
const replica = (w: World, id: string) => w.cluster('n3').replicator.replicas.get(id);

/** A persistent subscriber `s` (on `target`) goes offline and is owed ten QoS 1 messages published on `on`. */
async function offlineWithTen(w: World, target: string | string[], on: string) {
  const sub = w.client('s', {
    target,
    version: 5,
    clean: false,
    sessionExpiry: 3600,
    reconnect,
    subscriptions: [{ filter: 'a/#', qos: 1 }],
  });
  const pub = w.client('p', { target: on, version: 5, reconnect });
  await settle(w, () => sub.connected && pub.connected, 5000, 'clients');
  await w.sleep(500);
  sub.disconnect();
  await w.sleep(100);
  for (let i = 0; i < 10; i++) pub.publish(`a/${i}`, 1);
  await settle(w, () => pub.acked.size === 10, 5000, 'acks');
  return sub;
}

describe('replicas read back from the data dir', () => {
  it("a replica whose owner completed its messages while the node was down takes the owner's snapshot", async () => {
    const w = await cluster();
    const sub = await offlineWithTen(w, 'n1', 'n2');
    expect(replica(w, 's')?.msgs.size).toBe(10);
    w.crash('n3', 'process');
    sub.connect(); // on n1: it gets the ten and acknowledges them; n3 does not hear of it
    await settle(w, () => sub.received.length === 10, 5000, 'deliveries');
    await w.sleep(500);
    w.partition(['n3'], ['n1', 'n2']);
    w.restart('n3');
    await w.sleep(100);
    // Read back from the disk: the ten, of the owner's previous life.
    expect(replica(w, 's')?.msgs.size).toBe(10);
    expect(replica(w, 's')?.old).toBe(true);
    w.heal();
    await settle(w, () => simProblems(w).length === 0, 20_000, 'the heal');
    await w.sleep(500);
    expect(replica(w, 's')?.msgs.size).toBe(0);
    expect(replica(w, 's')?.owner).toBe('n1');
    // And so on its disk: a second restart reads back the replica without the ten.
    w.partition(['n3'], ['n1', 'n2']);
    w.restart('n3');
    await w.sleep(100);
    expect(replica(w, 's')?.msgs.size).toBe(0);
  });

  it('a replica of a session that ended while the node was down is dropped once its owner is heard', async () => {
    const w = await cluster();
    const [sub, other] = [5, 3600].map((expiry, i) =>
      w.client(['s', 't'][i], {
        target: 'n1',
        version: 5,
        clean: false,
        sessionExpiry: expiry,
        reconnect,
        subscriptions: [{ filter: 'a/#', qos: 1 }],
      }),
    );
    await settle(w, () => sub.connected && other.connected, 5000, 'clients');
    await w.sleep(500);
    expect(replica(w, 's')).toBeDefined();
    w.crash('n3', 'process');
    sub.disconnect(); // its session expires on n1 5 s later
    await w.sleep(8000);
    expect(w.broker('n1').sessions.has('s')).toBe(false);
    w.partition(['n3'], ['n1', 'n2']);
    w.restart('n3');
    await w.sleep(100);
    expect(replica(w, 's')).toBeDefined();
    w.heal();
    await settle(w, () => simProblems(w).length === 0, 20_000, 'the heal');
    await w.sleep(500);
    expect(replica(w, 's')).toBeUndefined();
    expect(replica(w, 't')?.old).toBe(false); // n1 still holds t: claimed, refreshed
    expect(w.host('n3').disk.keys('R/')).toEqual(['R/t']);
  });

  it('replicas of an owner that came back without its data stay: the client resumes from one', async () => {
    const w = await cluster();
    const sub = await offlineWithTen(w, ['n1', 'n3'], 'n1');
    for (const n of nodes) w.crash(n, 'power');
    const disk = w.host('n1').disk; // n1's disk is replaced: it restarts empty
    for (const k of disk.keys()) disk.delete(k);
    disk.sync();
    for (const n of nodes) w.restart(n);
    await settle(w, () => simProblems(w).length === 0, 20_000, 'the restart');
    await w.sleep(500);
    expect(replica(w, 's')?.msgs.size).toBe(10);
    sub.connect(); // on n3
    await settle(w, () => sub.received.length >= 10, 10_000, 'the ten');
    expect(events(w, 'client.connack', { c: 's' }).at(-1)).toMatchObject({ present: true });
  });
});

describe('routes and claims after a whole-cluster power loss are rebuilt, not read back', () => {
  it.each([
    ['within a second', 300],
    ['one at a time, a minute apart', 60_000],
  ])(
    'restarted %s: the route table is what it was; an offline session resumes on another node',
    async (_, gap) => {
      const w = await cluster();
      const subs = [
        { id: 's1', target: 'n1', filter: 'a/#' },
        { id: 's2', target: 'n2', filter: '$share/g/b/#' },
        { id: 's3', target: ['n3', 'n1'], filter: 'c/+/x' },
      ].map((x) =>
        w.client(x.id, {
          target: x.target,
          version: 5,
          clean: false,
          sessionExpiry: 3600,
          reconnect,
          subscriptions: [{ filter: x.filter, qos: 1 }],
        }),
      );
      const pub = w.client('p', { target: 'n2', version: 5, reconnect });
      await settle(w, () => subs.every((s) => s.connected) && pub.connected, 5000, 'clients');
      await w.sleep(500);
      subs[2].disconnect(); // offline on n3, owed what follows
      await w.sleep(100);
      for (let i = 0; i < 5; i++) pub.publish(`c/${i}/x`, 1);
      await settle(w, () => pub.acked.size === 5, 5000, 'acks');
      const before = nodes.map((n) => w.cluster(n).routes.dump());
      expect(before[0]).toEqual(['$share/g/b/# -> n2', 'a/# -> n1', 'c/+/x -> n3']);

      for (const n of nodes) w.crash(n, 'power');
      await w.sleep(1000);
      for (const n of nodes) {
        w.restart(n);
        await w.sleep(gap);
      }
      await settle(w, () => simProblems(w).length === 0 && subs[0].connected, 30_000, 'convergence');
      await w.sleep(1000);
      expect(nodes.map((n) => w.cluster(n).routes.dump())).toEqual(before);

      // s3's session was restored on n3 and claimed from there; it connects on n1 (its next target).
      subs[2].connect();
      await settle(w, () => subs[2].received.length >= 5, 10_000, "s3's messages");
      expect(new Set(subs[2].received.map((d) => d.topic)).size).toBe(5);
      expect(events(w, 'client.connack', { c: 's3' }).at(-1)).toMatchObject({ present: true });
      await settle(w, () => !w.broker('n3').sessions.has('s3'), 5000, 'n3 to hand s3 over');
      expect(w.broker('n1').sessions.get('s3')?.conn).toBeTruthy();
    },
  );
});
