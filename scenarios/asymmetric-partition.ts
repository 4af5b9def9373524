// Asymmetric (one-way) partitions between cluster nodes. Models VerneMQ
// #58 (after a node restart, forwarding worked in one direction only), the
// EMQX 5.1 known issue where "even minor network disturbances" triggered
// false split-brain detection (and emqx/emqx#11593's partial splits), and
// VerneMQ's netsplit "window of uncertainty".
// 3 nodes with persistent and clean subscribers and publishers on each.
// First n1 -> n2 is dropped one way (n2 still reaches n1), then in
// addition n3 -> n1, then everything heals. Each node keeps taking
// publishes throughout. After the heal the cluster must converge
// (membership, routes, retained stores), and no acknowledged QoS 1/2
// message may be missing from a persistent subscriber.
import {
  defineScenario,
  judge,
  phaseStats,
  convergenceProblems,
  simOnly,
  type ScenarioClient,
} from 'mqttlab/sim';

export default defineScenario({
  name: 'asymmetric-partition',
  description:
    '3 nodes; one-way partition n1->n2, then also n3->n1; publishes on every node; heal; converge without losing acknowledged messages',
  params: {
    splitMs: { default: 20_000, description: 'how long each one-way cut lasts (ms)' },
  },
  async run(w, ctx) {
    const splitMs = ctx.param('splitMs');
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes, { broker: { limits: { maxQueuedMessages: 100_000, maxInflight: 64 } as never } });
    const persistent = nodes.map((n) =>
      w.client(`ps-${n}`, {
        target: n,
        version: 5,
        clean: false,
        sessionExpiry: 86_400,
        keepalive: 30,
        subscriptions: [{ filter: 'grid/#', qos: 2 }],
      }),
    );
    nodes.forEach((n) =>
      w.client(`cs-${n}`, {
        target: n,
        clean: true,
        keepalive: 30,
        subscriptions: [{ filter: 'grid/+/alarm', qos: 0 }],
      }),
    );
    const pubs: [ScenarioClient, 1 | 2][] = nodes.flatMap((n) => [
      [w.client(`p1-${n}`, { target: n, keepalive: 30 }), 1] as [ScenarioClient, 1 | 2],
      [w.client(`p2-${n}`, { target: n, version: 5, keepalive: 30 }), 2] as [ScenarioClient, 1 | 2],
    ]);

    const converged = () => convergenceProblems(w).length === 0;
    if (!(await w.until(converged, { timeoutMs: 30_000 })))
      ctx.violation('liveness', `cluster did not form: ${convergenceProblems(w).join('; ')}`);
    await w.sleep(1000);
    const subscribedAt = w.now;
    await w.sleep(200);

    const phases: { name: string; from: number; to: number }[] = [];
    let k = 0;
    const run = async (name: string, ms: number) => {
      const from = w.now;
      for (let t = 0; t < ms; t += 250) {
        for (const [p, q] of pubs) p.publish(`grid/${p.node ?? 'x'}/${k % 3 === 0 ? 'alarm' : 'load'}`, q);
        if (k % 20 === 0)
          for (const [p] of pubs.filter((_, i) => i % 2 === 0))
            p.publish('grid/config', 1, { retain: true, payload: `${name}-${k}` });
        k++;
        await w.sleep(250);
      }
      phases.push({ name, from, to: w.now });
    };

    await run('steady', 5000);
    w.partition(['n1'], ['n2'], { oneWay: true });
    await run('n1->n2 cut', splitMs);
    w.partition(['n3'], ['n1'], { oneWay: true });
    await run('+ n3->n1 cut', splitMs);
    w.heal();
    const healedAt = w.now;
    const ok = await w.until(converged, { timeoutMs: 120_000 });
    ctx.report('converged', ok ? `${((w.now - healedAt) / 1000).toFixed(1)} s after the heal` : 'NO');
    if (!ok)
      ctx.violation(
        'liveness',
        `no convergence within 120 s of the heal: ${convergenceProblems(w).join('; ')}`,
      );
    await run('healed', 5000);
    await w.sleep(30_000);

    const netsplits = nodes
      .map((n) => `${n}:${simOnly(w, 'w.cluster()').cluster(n).stats.netsplitsDetected}`)
      .join(' ');
    ctx.report('netsplits', `detected per node ${netsplits}`);
    // A reader after convergence: its retained read must be the last write, not one the splits superseded.
    const reader = w.client('reader', { target: 'n2', version: 5, keepalive: 30 });
    await w.until(() => reader.connected, { timeoutMs: 10_000 });
    const readAt = w.now;
    reader.subscribe('grid/config', 1);
    await w.sleep(1000);

    const events = w.history.events;
    const expect = persistent.map((c) => ({ client: c.id, filter: 'grid/#', from: subscribedAt }));
    ctx.phases(phaseStats(events, phases, expect));
    judge(ctx, events, expect, { convergedAt: readAt });
    const live = [...w.clients.values()].filter((c) => c.connected).length;
    ctx.report('clients', `${live}/${w.clients.size} connected at the end`);
  },
});
