// Subscription epochs (core/cluster/route-replication.ts): a forward reaches only the subscriptions its
// sender had heard of, so what was on its way before a subscription took effect there does not reach
// it late.
import { describe, it, expect } from 'vitest';
import { World } from '../../sim/world.ts';

describe('subscription epochs', () => {
  it('a forward held in a clogged link does not reach a subscription made meanwhile; later ones do', async () => {
    const w = new World({ seed: 'epochs', history: { keepEvents: true } });
    w.addCluster(['n1', 'n2']);
    const pub = w.client('pub', { target: 'n1', version: 5 });
    const old = w.client('old', { target: 'n2', version: 5, subscriptions: [{ filter: 't/#', qos: 1 }] });
    await w.run(async (w) => {
      const subOk = (c: string) => w.history.events.some((e) => e.type === 'sub.ok' && e.c === c);
      await w.until(() => pub.connected && subOk('old') && w.cluster('n1').isRunning('n2'), {
        timeoutMs: 10_000,
      });
      await w.sleep(1000); // n1 knows the route of t/# on n2
      w.clog(['n1', 'pub'], ['n2', 'old', 'new']);
      const early = [pub.publish('t/a', 1), pub.publish('t/a', 1)];
      await w.sleep(50);
      // Same filter on n2, so no route changes: only the epoch tells n1 of it, and n1 hears it after the clog.
      const late = w.client('new', { target: 'n2', version: 5, subscriptions: [{ filter: 't/#', qos: 1 }] });
      await w.until(() => subOk('new'), { timeoutMs: 10_000 });
      w.unclog();
      await w.sleep(2000);
      const after = pub.publish('t/a', 1);
      await w.sleep(2000);
      expect(old.received.map((r) => r.id)).toEqual([...early, after]);
      expect(late.received.map((r) => r.id)).toEqual([after]);
    });
  });
});
