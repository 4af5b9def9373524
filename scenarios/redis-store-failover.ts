// The externally shared store (EMQX's "externally shared stateful storage", Aedes with
// aedes-persistence-redis): two nodes keep sessions in a Redis on the simulated network. Persistent
// subscribers go offline; publishers on both nodes publish QoS 1 while the nodes are cut off Redis
// for a while (PUBACKs must wait: nothing acknowledged may be lost); then every broker node is
// kill -9'd and a fresh node with no data and no peers resumes every session from Redis.
// `--param aof=0 --param redisCrash=1`: Redis crashes and restarts empty, which loses what it held:
// the no-loss checker must report it (this run FAILs, by design).
import { defineScenario, judge, simOnly, type ScenarioClient } from 'mqttlab/sim';

export default defineScenario({
  name: 'redis-store-failover',
  description:
    '2 nodes on a simulated Redis store; QoS 1 queued for offline subscribers through a Redis outage; all nodes die; a fresh node resumes every session',
  params: {
    subscribers: { default: 6, description: 'persistent subscribers' },
    messages: { default: 20, description: 'QoS 1 messages per publisher (one publisher per node)' },
    redisDownMs: { default: 3000, description: 'how long the nodes are cut off Redis while publishing (ms)' },
    aof: { default: 1, description: '1: Redis keeps its data across a crash (AOF); 0: it restarts empty' },
    redisCrash: { default: 0, description: '1: Redis crashes and restarts after the publishes' },
  },
  async run(w, ctx) {
    const sim = simOnly(w, 'the simulated Redis host');
    sim.addRedis({ aof: ctx.param('aof') === 1 });
    w.addCluster(['n1', 'n2'], { store: 'redis' });
    const subs: ScenarioClient[] = [];
    for (let i = 0; i < ctx.param('subscribers'); i++) {
      subs.push(
        w.client(`sub-${i}`, {
          target: [i % 2 ? 'n2' : 'n1', 'n3'],
          version: i % 3 === 2 ? 4 : 5,
          clean: false,
          sessionExpiry: 3600,
          reconnect: { minMs: 200, maxMs: 1000 },
          subscriptions: [{ filter: 'fleet/#', qos: 1 }],
        }),
      );
    }
    const pubs = ['n1', 'n2'].map((n) => w.client(`pub-${n}`, { target: n, version: 5, reconnect: false }));
    await w.until(
      () => w.convergenceProblems().length === 0 && [...w.clients.values()].every((c) => c.connected),
      { timeoutMs: 30_000 },
    );
    const from = w.now + 50;
    await w.sleep(100);
    for (const s of subs) s.disconnect();
    await w.sleep(500);

    // Published while Redis is out of reach for part of the time: acknowledged only once stored.
    const n = ctx.param('messages');
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      if (i === Math.floor(n / 3)) w.partition(['n1', 'n2'], ['redis']);
      for (const p of pubs) ids.push(p.publish(`fleet/${p.id}/${i}`, 1));
      await w.sleep(ctx.param('redisDownMs') / Math.max(1, Math.floor(n / 3)));
      if (i === Math.floor((2 * n) / 3)) w.heal();
    }
    w.heal();
    const acked = () => pubs.reduce((a, p) => a + p.acked.size, 0);
    await w.until(() => acked() === ids.length, { timeoutMs: 30_000 });
    ctx.report('acknowledged', `${acked()} of ${ids.length} QoS 1 publishes`);
    if (ctx.param('redisCrash') === 1) {
      sim.crashRedis('process');
      await w.sleep(1000);
      sim.restartRedis();
    }

    // Every broker node dies; a brand-new node with no data and no peers takes over from Redis.
    w.crash('n1', 'process');
    w.crash('n2', 'process');
    sim.addBroker('n3', {}, undefined, { store: 'redis' });
    for (const s of subs) s.connect();
    const want = ids.length;
    const got = (s: ScenarioClient) => new Set(s.received.map((r) => r.id)).size;
    await w.until(() => subs.every((s) => s.connected && got(s) >= want), { timeoutMs: 60_000 });
    await w.sleep(2000);
    ctx.report(
      'resumed on n3',
      `${subs.filter((s) => s.node === 'n3' && got(s) >= want).length} of ${subs.length} sessions with all ${want} messages`,
    );
    judge(
      ctx,
      w.history.events,
      subs.map((s) => ({ client: s.id, filter: 'fleet/#', from })),
    );
  },
});
