// Node evacuation and cluster rebalance in the simulator (core/cluster/evacuation.ts, maintenance.ts):
// the evacuated node turns unhealthy, refuses connects with Use Another Server, closes its clients at a
// rate, hands its offline persistent sessions with their queues to the targets, and ends with none;
// a rebalance moves connections from a node above the average to the others.
import { describe, it, expect } from 'vitest';
import { World } from '../../sim/world.ts';
import { settle } from '../helpers/sim.ts';
import { sampleWorld } from '../../sim/observe.ts';

function world(seed = 1): World {
  const w = new World({ seed, history: { keepEvents: true } });
  w.addCluster(['n1', 'n2', 'n3'], { broker: { limits: { maxQueuedMessages: 10_000 } as never } });
  return w;
}

const running = (w: World) => () => ['n1', 'n2', 'n3'].every((n) => w.cluster(n).runningNodes().length === 3);

describe('evacuation', () => {
  it('moves an offline session with its 20 queued QoS 1 messages to a target; n1 ends with no session', async () => {
    const w = world();
    const sub = w.client('sub', {
      target: 'n1',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      subscriptions: [{ filter: 'q/#', qos: 1 }],
    });
    const pub = w.client('pub', { target: 'n3', version: 5 });
    await w.run(async (w) => {
      await settle(w, running(w), 10_000, 'cluster up');
      await settle(w, () => sub.connected && pub.connected, 5000, 'clients up');
      await w.sleep(500);
      sub.disconnect();
      await w.sleep(200);
      const ids = Array.from({ length: 20 }, () => pub.publish('q/a', 1));
      await settle(w, () => ids.every((id) => pub.acked.has(id)), 5000, 'publishes acked');
      expect(w.broker('n1').sessions.get('sub')?.queued).toBe(20);

      w.evacuate('n1', { migrateTo: ['n2', 'n3'], waitHealthCheckMs: 1000, waitTakeoverMs: 0 });
      expect(w.isReady('n1')).toBe(false);
      // What the terminal UI shows on n1's box.
      expect(sampleWorld(w).nodes.find((n) => n.name === 'n1')!.maintenance).toBe(
        'evac health wait: 0c 1s left',
      );
      await settle(w, () => w.rebalanceStatus('n1').evacuation?.phase === 'done', 10_000, 'evacuation done');
      // Done only once the target confirmed the handoff: the node can be stopped.
      expect(w.broker('n1').sessions.size).toBe(0);
      expect(w.rebalanceStatus('n1').evacuation).toMatchObject({ sessionsMigrated: 1, sessionsLeft: 0 });
      // Round-robin over the targets: the first session goes to n2.
      await settle(w, () => w.broker('n2').sessions.get('sub')?.queued === 20, 5000, 'session on n2');
      expect(w.broker('n3').sessions.has('sub')).toBe(false);

      // A client that connects to n1 now is sent away (CONNACK 0x9C), and resumes on n2 with all 20.
      const late = w.client('late', { target: 'n1', version: 5, reconnect: false });
      await w.sleep(500);
      expect(late.connected).toBe(false);
      expect(
        w.history.events.some((e) => e.type === 'client.connack' && e.c === 'late' && e.rc === 0x9c),
      ).toBe(true);

      const again = w.extraClient('sub', { target: 'n2', version: 5, clean: false, sessionExpiry: 3600 });
      await settle(w, () => again.received.length === 20, 5000, 'all 20 resumed on n2');
      expect(again.received.map((r) => r.id)).toEqual(ids);
      expect(w.stopRebalance('n1')).toBe(true);
      expect(w.isReady('n1')).toBe(true);
    });
  });

  it('closes live clients at the rate (v5: 0x9C), they resume elsewhere and miss nothing acknowledged', async () => {
    const w = world(2);
    const subs = Array.from({ length: 10 }, (_, i) =>
      w.client(`s${i}`, {
        target: ['n1', 'n2', 'n3'],
        version: i % 2 ? 5 : 4,
        clean: false,
        sessionExpiry: 3600,
        reconnect: { minMs: 100, maxMs: 1000 },
        subscriptions: [{ filter: 't/#', qos: 1 }],
      }),
    );
    const pub = w.client('pub', { target: 'n3', version: 5 });
    await w.run(async (w) => {
      await settle(w, running(w), 10_000, 'cluster up');
      await settle(w, () => subs.every((s) => s.connected) && pub.connected, 10_000, 'clients up');
      // Every subscription acknowledged and its announcement at the publisher's node: owed all that follows.
      const subscribed = () =>
        subs.every((s) => w.history.events.some((e) => e.type === 'sub.ok' && e.c === s.id));
      await settle(w, subscribed, 10_000, 'subscribed');
      await w.sleep(500);
      const onN1 = subs.filter((s) => s.node === 'n1');
      expect(onN1.length).toBeGreaterThan(0);
      w.evacuate('n1', { connEvictRate: 2, waitHealthCheckMs: 500, waitTakeoverMs: 2000 });
      const ids: string[] = [];
      for (let t = 0; t < 40; t++) {
        ids.push(pub.publish('t/x', 1));
        await w.sleep(250);
      }
      await settle(w, () => w.broker('n1').sessions.size === 0, 20_000, 'n1 empty');
      await settle(w, () => subs.every((s) => s.connected && s.node !== 'n1'), 20_000, 'all elsewhere');
      await w.sleep(3000);
      const v5Closed = w.history.events.filter(
        (e) => e.type === 'client.server-disconnect' && e.rc === 0x9c,
      ).length;
      expect(v5Closed).toBe(onN1.filter((s) => s.opts.version === 5).length);
      for (const s of subs) {
        const got = new Set(s.received.map((r) => r.id));
        expect(ids.filter((id) => pub.acked.has(id) && !got.has(id))).toEqual([]);
      }
    });
  });
});

describe('rebalance', () => {
  it('moves connections from a node above the average to the others', async () => {
    const w = world(3);
    const lb = w.addLoadBalancer('lb', {
      backends: ['n1', 'n2', 'n3'],
      checkIntervalMs: 200,
      rise: 2,
      fall: 1,
    });
    const clients = Array.from({ length: 30 }, (_, i) =>
      w.client(`c${i}`, {
        target: i < 24 ? 'n1' : i % 2 ? 'n2' : 'n3',
        version: 5,
        clean: false,
        sessionExpiry: 3600,
        reconnect: { minMs: 100, maxMs: 1000 },
      }),
    );
    await w.run(async (w) => {
      await settle(w, running(w), 10_000, 'cluster up');
      await settle(w, () => clients.every((c) => c.connected), 10_000, 'clients up');
      // Evicted clients come back through the balancer, which takes the donor out while it reports unhealthy.
      for (const c of clients) (c.opts as { target: string | string[] }).target = 'lb';
      w.rebalance('n2', {
        connThreshold: 2,
        relConnThreshold: 1.1,
        connEvictRate: 10,
        waitHealthCheckMs: 500,
        waitTakeoverMs: 2000,
      });
      expect(w.isReady('n2')).toBe(true);
      await settle(w, () => w.rebalanceStatus('n2').rebalance?.phase === 'balanced', 20_000, 'balanced');
      expect(w.rebalanceStatus('n2').rebalance!.donors).toEqual({ n1: 14 });
      const count = (n: string) => clients.filter((c) => c.connected && c.node === n).length;
      expect(count('n1')).toBe(10);
      expect(count('n2') + count('n3')).toBe(20);
      await settle(w, () => w.rebalanceStatus('n1').evacuation === null, 1000, 'donor released');
      await settle(w, () => lb.healthyBackends().length === 3, 5000, 'donor back in the balancer');
    });
  });

  it('a donor whose coordinator is lost releases itself after its quota (it does not stay out of the balancer)', async () => {
    const w = world(4);
    const clients = Array.from({ length: 20 }, (_, i) =>
      w.client(`c${i}`, { target: i < 16 ? 'n1' : 'n3', version: 5, reconnect: { minMs: 100, maxMs: 1000 } }),
    );
    await w.run(async (w) => {
      await settle(w, running(w), 10_000, 'cluster up');
      await settle(w, () => clients.every((c) => c.connected), 10_000, 'clients up');
      for (const c of clients) (c.opts as { target: string | string[] }).target = ['n3', 'n1'];
      w.rebalance('n2', { connThreshold: 2, connEvictRate: 5, waitHealthCheckMs: 200, waitTakeoverMs: 3000 });
      await settle(w, () => w.rebalanceStatus('n1').evacuation?.kind === 'rebalance', 5000, 'n1 ordered');
      expect(w.isReady('n1')).toBe(false);
      w.crash('n2', 'process');
      // Quota 16 - 7 = 9 at 5/s: about 2 s, then 3 s unhealthy: released by itself, no 'stop' from n2.
      await settle(w, () => w.rebalanceStatus('n1').evacuation === null, 15_000, 'donor released');
      expect(w.isReady('n1')).toBe(true);
      expect(
        w.history.events
          .filter((e) => e.type === 'cluster.evacuation' && e.node === 'n1')
          .map((e) => Reflect.get(e, 'phase')),
      ).toEqual(['waiting-health-check', 'evicting-connections', 'done', 'stopped']);
    });
  });
});

describe('the kill -9 upgrade evacuation-upgrade compares against', () => {
  // A client disconnected as its node was killed, so its offline claim never left; the node came back
  // empty, and a later failover saw that stale live claim, handed the replica to the restarted node (which
  // had no such session) and its messages were dropped, acknowledged: 25 lost on seed 1. Fixed: a node's
  // claims are forgotten when it is seen to have restarted (Registry.purge on cameBackEmpty).
  it('loses nothing acknowledged when nodes are killed and restarted in turn (evacuate=0, 300 devices)', async () => {
    const { runScenario } = await import('../../sim/scenario.ts');
    const s = (await import('../../scenarios/evacuation-upgrade.ts')).default;
    const r = await runScenario(s, 1, { params: { evacuate: 0, devices: 300 } });
    expect(r.violations).toEqual([]);
  });
});
