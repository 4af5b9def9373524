// QoS 2 exactly once across the kill of the subscriber's node (issue 15, item 4). n1 holds a persistent
// QoS 2 subscriber; a publisher on n3 sends QoS 2. n1's frames to its peers stall (a one-way clog: its
// replication lags, as a loaded process's does) and n1 is killed 300 ms later. Before the fix n1 sent
// each PUBLISH (and PUBREL) to the client at once and its replicas heard of the packet id afterwards: the
// client had the message, completed it, and the backup's failed-over session sent it again under a new
// packet id (delivered twice; live this was the `qos2-crash` exception). Now a QoS 2 PUBLISH to a
// persistent session goes out only once its packet id is confirmed by every running peer (and on disk),
// its PUBREL likewise (core/qos2-guard.ts): the client gets each message once, under the id it holds.
// Replay: npx sim run <this file> --seed 1
import { defineScenario, judge } from 'mqttlab/sim';

export default defineScenario({
  name: 'qos2-kill-subscriber-node',
  description:
    'QoS 2 to a persistent session across a kill of its node whose replication lags: delivered once',
  params: {
    lagMs: { default: 300, description: "how long n1's frames to its peers stall before the kill (ms)" },
  },
  async run(w, ctx) {
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes);
    const sub = w.client('sub', {
      target: ['n1', 'n2'],
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      keepalive: 10,
      reconnect: { minMs: 200, maxMs: 1000 },
      subscriptions: [{ filter: 'q/#', qos: 2 }],
    });
    const pub = w.client('pub', {
      target: 'n3',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      keepalive: 10,
      reconnect: { minMs: 200, maxMs: 1000 },
    });
    await w.until(() => sub.connected && pub.connected, { timeoutMs: 10_000 });
    await w.sleep(2000);
    const from = w.now;
    let k = 0;
    /** Publishes a QoS 2 message every 10 ms for `ms`. */
    const publish = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += 10) {
        if (pub.connected && pub.inflight < 16) pub.publish(`q/${k++ % 4}`, 2);
        await w.sleep(10);
      }
    };
    await publish(1000);
    w.clog(['n1'], ['n2', 'n3'], { oneWay: true });
    await publish(ctx.param('lagMs'));
    w.crash('n1', 'process');
    await publish(5000);
    w.unclog();
    w.restart('n1');
    await publish(3000);
    await w.sleep(15_000);
    ctx.report('published', k);
    // Strict (the default): a second QoS 2 delivery is a violation, also across the crash.
    judge(ctx, w.history.events, [{ client: 'sub', filter: 'q/#', from }]);
  },
});
