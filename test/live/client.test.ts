// The live client's history behind a balancer: it learns which node holds
// its connection only after the CONNACK (by asking the nodes' admin APIs),
// while mqtt.js already hands it the session's queued messages. Those must
// be recorded after the CONNACK they followed on the wire, or the
// connack-first checker blames the broker for the client's bookkeeping.

import { describe, it, expect } from 'vitest';
import { LiveClient } from '../../sim/live/live-client.ts';
import type { LiveWorld } from '../../sim/live/live-world.ts';
import { History } from '../../sim/history.ts';
import { checkConnackFirst } from '../../sim/checkers.ts';
import { isolated, sleep, waitUntil, uniqueId } from '../helpers/runtime.ts';

/** The parts of LiveWorld a LiveClient uses: one real broker behind the target 'lb', a slow node lookup. */
function worldBehindBalancer(
  port: number | ((target: string) => number),
  locateMs: number,
  located = 'n1',
): LiveWorld {
  const history = new History({ keepEvents: true });
  const wall0 = performance.now();
  const world = {
    history,
    timeScale: 1,
    brokers: new Map(),
    get now() {
      return performance.now() - wall0;
    },
    record: (ev: never) => history.record(world.now, ev),
    recordAt: (t: number, ev: never) => history.record(t, ev),
    afterSetup: (fn: () => void) => fn(),
    mqttPort: (t: string) => (typeof port === 'number' ? port : port(t)),
    locate: async () => {
      await sleep(locateMs);
      return located;
    },
  };
  return world as unknown as LiveWorld;
}

describe('LiveClient behind a balancer', () => {
  it(
    'records the CONNACK before the queued messages that followed it while the node was being looked up',
    isolated(async (rt) => {
      const srv = await rt.server();
      const world = worldBehindBalancer(srv.tcpPort!, 300);
      const id = uniqueId('dev');
      const opts = {
        target: 'lb',
        version: 4 as const,
        clean: false,
        keepalive: 30,
        subscriptions: [{ filter: 'cmd/#', qos: 1 as const }],
      };
      const first = new LiveClient(world, id, opts);
      await waitUntil(
        () => world.history.events.some((e) => e.type === 'sub.ok' && e.c === id),
        5000,
        'first SUBACK',
      );
      await first.close();

      // Messages queued for the offline session go out right behind the next CONNACK.
      const pub = await rt.client(srv);
      for (let i = 0; i < 5; i++) await pub.publishAsync('cmd/x', `m${i}`, { qos: 1 });
      const second = new LiveClient(world, id, opts);
      try {
        await waitUntil(
          () => second.received.length === 5 && second.connected,
          5000,
          'queued messages and the located CONNACK',
        );
        const all = world.history.events.filter((e) => 'c' in e && e.c === id);
        const mine = all.slice(all.map((e) => e.type).lastIndexOf('client.connect'));
        const types = mine.map((e) => e.type);
        expect(types.indexOf('client.connack')).toBeGreaterThan(0);
        expect(types.indexOf('client.connack')).toBeLessThan(types.indexOf('deliver'));
        // Held deliveries name the node the lookup found: they came over that connection.
        expect(mine.filter((e) => e.type === 'deliver').map((e) => e.node)).toEqual(Array(5).fill('n1'));
        // Times stay those observed: the CONNACK first, then each delivery.
        const ts = mine.map((e) => e.t);
        expect(ts).toEqual([...ts].sort((a, b) => a - b));
        expect(checkConnackFirst(world.history.events)).toEqual([]);
      } finally {
        await second.close();
      }
    }),
    20_000,
  );
});

describe('LiveClient killed and started again', () => {
  it(
    'connects again on its next target, as a new process with a new connection',
    isolated(async (rt) => {
      // Two independent brokers as the client's two targets; shared-sub-failover kills a member and
      // starts it again (a connect() after kill() used to do nothing: the ended mqtt.js client stayed).
      const [a, b] = [await rt.server(), await rt.server()];
      const world = worldBehindBalancer((t) => (t === 'n1' ? a : b).tcpPort!, 0, '?');
      const id = uniqueId('member');
      const c = new LiveClient(world, id, {
        target: ['n1', 'n2'],
        version: 5,
        clean: false,
        sessionExpiry: 600,
        keepalive: 30,
      });
      try {
        await waitUntil(() => c.connected, 5000, 'first CONNACK');
        c.kill();
        c.connect();
        await waitUntil(() => c.connected, 5000, 'CONNACK after the restart');
        const mine = world.history.events.filter((e) => 'c' in e && e.c === id);
        expect(mine.map((e) => e.type)).toEqual([
          'client.config',
          'client.connect',
          'client.connack',
          'client.kill',
          'client.closed',
          'client.connect',
          'client.connack',
        ]);
        expect(mine.filter((e) => e.type === 'client.connect').map((e) => e.target)).toEqual(['n1', 'n2']);
        // The second broker has never seen this id: the new connection really went to the next target.
        expect(mine.filter((e) => e.type === 'client.connack').map((e) => e.present)).toEqual([false, false]);
        await sleep(300); // the killed client's late close must not touch the new connection
        expect(c.connected).toBe(true);
        expect(world.history.events.filter((e) => e.type === 'protocol-violation')).toEqual([]);
      } finally {
        await c.close();
      }
    }),
    20_000,
  );
});
