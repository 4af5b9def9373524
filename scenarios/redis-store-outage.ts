// A long Redis outage under QoS 1 load, with the bound on held acknowledgements (store.maxHeld): two
// nodes keep sessions in a simulated Redis; persistent subscribers are offline; a v5 and a 3.1.1
// publisher keep publishing QoS 1 while both nodes are cut off Redis. Up to the bound the PUBACKs are
// held (not sent: nothing is promised before Redis has it); past it publishes are refused (v5: PUBACK
// 0x97 Quota Exceeded; 3.1.1: the connection is closed and the client resends after reconnecting).
// When Redis is back the held PUBACKs go out and the resends are taken. Then both nodes are kill -9'd and
// the subscribers resume on a fresh node from Redis alone: every acknowledged message must reach every
// subscriber (the no-loss checker: an acknowledgement whose message is not in Redis fails it).
// `--param lose=1`: Redis then crashes and restarts empty (no AOF): the checker reports the loss.
import { defineScenario, judge, simOnly, type ScenarioClient } from 'mqttlab/sim';
import type { ExternalStorage } from '../core/external-storage.ts';

export default defineScenario({
  name: 'redis-store-outage',
  description:
    'QoS 1 publishing through a long Redis outage: PUBACKs held up to store.maxHeld, then refused (v5 0x97, 3.1.1 closed); all acknowledged are in Redis',
  params: {
    maxHeld: { default: 40, description: 'store.maxHeld of every node: acknowledgements held at most' },
    outageMs: { default: 20_000, description: 'how long both nodes are cut off Redis (ms)' },
    intervalMs: { default: 100, description: 'ms between two publishes of each publisher' },
    lose: {
      default: 0,
      description: '1: after the outage Redis crashes and restarts empty (no AOF): a FAIL',
    },
  },
  async run(w, ctx) {
    const sim = simOnly(w, 'the simulated Redis host');
    const maxHeld = ctx.param('maxHeld');
    sim.addRedis({ aof: ctx.param('lose') !== 1, maxHeld });
    const nodes = ['n1', 'n2'];
    w.addCluster(nodes, { store: 'redis' });
    const subs: ScenarioClient[] = [0, 1, 2, 3].map((i) =>
      w.client(`sub-${i}`, {
        target: [nodes[i % 2], 'n3'],
        version: i % 2 ? 4 : 5,
        clean: false,
        sessionExpiry: 3600,
        reconnect: { minMs: 200, maxMs: 1000 },
        subscriptions: [{ filter: 'fleet/#', qos: 1 }],
      }),
    );
    const reconnect = { minMs: 500, maxMs: 1000 };
    const pubs = [
      w.client('pub-v5', { target: 'n1', version: 5, reconnect }),
      w.client('pub-v3', { target: 'n2', version: 4, reconnect }),
    ];
    await w.until(
      () => w.convergenceProblems().length === 0 && [...w.clients.values()].every((c) => c.connected),
      { timeoutMs: 30_000 },
    );
    const from = w.now + 50;
    await w.sleep(100);
    for (const s of subs) s.disconnect();
    await w.sleep(500);

    const stores = nodes.map((n) => sim.broker(n).env.storage as ExternalStorage);
    const interval = ctx.param('intervalMs');
    const ids: string[] = [];
    const publish = async (ms: number): Promise<void> => {
      for (let t = 0; t < ms; t += interval) {
        for (const p of pubs) ids.push(p.publish(`fleet/${p.id}/${ids.length}`, 1));
        await w.sleep(interval);
      }
    };
    await publish(1000);
    w.partition(nodes, ['redis']);
    await publish(ctx.param('outageMs'));
    const peak = Math.max(...stores.map((s) => s.stats.heldPeak));
    const refused = nodes.reduce((a, n) => a + (sim.broker(n).stats.dropped['store-backlog'] ?? 0), 0);
    const acked = () => pubs.reduce((a, p) => a + p.acked.size, 0);
    ctx.report('during the outage', `${acked()} of ${ids.length} acknowledged, ${refused} refused`);
    ctx.report('held', `at most ${peak} acknowledgements on one node (store.maxHeld ${maxHeld})`);
    if (refused === 0) ctx.violation('liveness', `the bound was never reached (${peak} held at most)`);
    // A node's own publishes stop at the bound; its peer's forwards waiting on its writes come on top.
    if (peak > maxHeld * nodes.length)
      ctx.violation('liveness', `${peak} acknowledgements held on one node: above the bound`);
    w.heal();
    await publish(1000);

    // Redis is back: every publish is acknowledged (held ones released, refused ones resent or refused for good).
    const failed = () => w.history.events.filter((e) => e.type === 'pub.fail').length;
    await w.until(() => acked() + failed() === ids.length, { timeoutMs: 60_000 });
    ctx.report('after the outage', `${acked()} of ${ids.length} acknowledged, ${failed()} refused (v5 0x97)`);
    if (ctx.param('lose') === 1) {
      sim.crashRedis('process');
      await w.sleep(1000);
      sim.restartRedis();
    }
    // Every broker node dies; a fresh one with no data and no peers serves the sessions from Redis.
    for (const n of nodes) w.crash(n, 'process');
    sim.addBroker('n3', {}, undefined, { store: 'redis' });
    for (const s of subs) s.connect();
    const got = (s: ScenarioClient) => new Set(s.received.map((r) => r.id)).size;
    await w.until(() => subs.every((s) => s.connected && got(s) >= acked()), { timeoutMs: 60_000 });
    await w.sleep(2000);
    judge(
      ctx,
      w.history.events,
      subs.map((s) => ({ client: s.id, filter: 'fleet/#', from })),
    );
  },
});
