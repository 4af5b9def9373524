// Models: a fleet of devices on a flaky cellular link. A persistent
// subscriber's network drops for 10 minutes while publishers keep going at
// QoS 0/1/2; its keep alive expires on the broker, its session queues, and
// on reconnect every acknowledged QoS 1/2 message must arrive, QoS 2 once.
import { defineScenario, judge } from 'mqttlab/sim';

export default defineScenario({
  name: 'subscriber-netsplit',
  description: 'single node; persistent subscriber partitioned for 10 min; QoS 0/1/2 publishers',
  async run(w, ctx) {
    w.addBroker('n1', { limits: { maxQueuedMessages: 100_000 } as never });
    const sub = w.client('sub', {
      target: 'n1',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      keepalive: 30,
      subscriptions: [{ filter: 'fleet/#', qos: 2 }],
    });
    const pubs = [0, 1, 2].map((q) =>
      w.client(`pub${q}`, { target: 'n1', version: q === 2 ? 5 : 4, keepalive: 30 }),
    );
    await w.until(() => sub.connected && pubs.every((p) => p.connected), { timeoutMs: 10_000 });
    const subscribedAt = w.now + 50;
    await w.sleep(100);

    const burst = async (seconds: number) => {
      for (let s = 0; s < seconds; s++) {
        pubs.forEach((p, q) => p.publish(`fleet/${q}`, q as 0 | 1 | 2));
        await w.sleep(1000);
      }
    };
    await burst(30);
    w.isolate('sub');
    const cutAt = w.now;
    await burst(600);
    w.heal();
    await w.until(() => sub.connected && sub.connects >= 2, { timeoutMs: 120_000 });
    ctx.report('reconnect', `${((w.now - cutAt) / 1000).toFixed(1)} s after the cut`);
    await burst(30);
    await w.sleep(5000);

    const ev = w.history.events;
    const published = ev.filter((e) => e.type === 'pub.ok').length;
    const delivered = ev.filter((e) => e.type === 'deliver').length;
    ctx.report('published', published);
    ctx.report('delivered', delivered);
    judge(ctx, ev, [{ client: 'sub', filter: 'fleet/#', from: subscribedAt }]);
  },
});
