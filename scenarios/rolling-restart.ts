// Rolling restart. Models emqx/emqx#11593 ("Restarting nodes in cluster
// leads to cluster split": a rolling restart on k8s, "some messages losts
// and a short partial downtime") and #7445 (events lost whenever a pod was
// removed during a rolling update).
// 3 nodes behind a balancer that shuts a backend's sessions when it is
// marked down; persistent subscribers and publishers all connect through
// it. n1, n2, n3 are restarted in turn (kill -9, a few seconds down,
// restart, wait until the node rejoined and the balancer took it back).
// No QoS 1/2 message acknowledged to its publisher may be missing at a
// persistent subscriber; after the last rejoin the cluster must converge.
import {
  defineScenario,
  judge,
  phaseStats,
  convergenceProblems,
  trafficPhases,
  DEFAULT_ACCEPTED,
} from 'mqttlab/sim';

export default defineScenario({
  name: 'rolling-restart',
  description:
    '3 nodes behind a balancer; restart n1, n2, n3 in turn under traffic; persistent subscribers lose nothing acknowledged',
  params: {
    downMs: { default: 5000, description: 'how long each node is down during the restart (ms)' },
    subscribers: { default: 6, description: 'number of persistent subscribers' },
    publishers: { default: 3, description: 'number of publishers' },
    strictQos2: {
      default: 1,
      description:
        'a QoS 2 redelivery after a kill is a violation (1), or counted as the qos2-crash exception (0)',
    },
  },
  async run(w, ctx) {
    const downMs = ctx.param('downMs');
    const nSubs = ctx.param('subscribers');
    const nPubs = ctx.param('publishers');
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes, { broker: { limits: { maxQueuedMessages: 100_000, maxInflight: 64 } as never } });
    const lb = w.addLoadBalancer('lb', {
      backends: nodes,
      mode: 'round-robin',
      checkIntervalMs: 1000,
      rise: 2,
      fall: 2,
      shutdownSessionsOnDown: true,
    });
    const reconnect = { minMs: 300, maxMs: 4000 };
    const subs = Array.from({ length: nSubs }, (_, i) =>
      w.client(`sub-${i}`, {
        target: 'lb',
        version: i % 2 ? 5 : 4,
        clean: false,
        sessionExpiry: 86_400,
        keepalive: 30,
        reconnect,
        subscriptions: [{ filter: 'site/#', qos: (i % 3 === 0 ? 2 : 1) as 1 | 2 }],
      }),
    );
    const pubs = Array.from({ length: nPubs }, (_, i) =>
      w.client(`pub-${i}`, { target: 'lb', version: 5, keepalive: 30, reconnect }),
    );

    const converged = () => convergenceProblems(w).length === 0;
    const allConnected = () => [...w.clients.values()].every((c) => c.connected);
    if (!(await w.until(() => converged() && allConnected(), { timeoutMs: 30_000 })))
      ctx.violation('liveness', `cluster or clients did not come up: ${convergenceProblems(w).join('; ')}`);
    await w.sleep(1000);
    const subscribedAt = w.now;
    await w.sleep(500);

    let k = 0;
    const tick = () => {
      pubs.forEach((p, i) => p.publish(`site/${i}/${k % 4}`, (i % 2 ? 2 : 1) as 1 | 2));
      k++;
    };
    const { phases, traffic, trafficUntil } = trafficPhases(w, tick);

    await traffic('steady', 3000);
    for (const n of nodes) {
      const from = w.now;
      w.crash(n, 'process');
      await traffic(`${n} down`, downMs);
      w.restart(n);
      const ok = await trafficUntil(
        `${n} rejoining`,
        () => converged() && lb.healthyBackends().includes(n) && allConnected(),
        60_000,
      );
      if (!ok)
        ctx.violation('liveness', `${n} did not rejoin within 60 s: ${convergenceProblems(w).join('; ')}`);
      ctx.report(
        `${n} restart`,
        ok
          ? `back in the cluster and the balancer ${((w.now - from) / 1000).toFixed(1)} s after the kill`
          : 'NO',
      );
    }
    const healedAt = w.now;
    const ok = await w.until(() => converged() && allConnected(), { timeoutMs: 60_000 });
    ctx.report('converged', ok ? `${((w.now - healedAt) / 1000).toFixed(1)} s after the last rejoin` : 'NO');
    if (!ok)
      ctx.violation(
        'liveness',
        `no convergence after the rolling restart: ${convergenceProblems(w).join('; ')}`,
      );
    await traffic('after', 3000);
    await w.sleep(20_000); // queues drain, resends finish

    const spread = nodes
      .map((n) => `${n}:${[...w.clients.values()].filter((c) => c.connected && c.node === n).length}`)
      .join(' ');
    ctx.report(
      'clients',
      `${[...w.clients.values()].filter((c) => c.connected).length}/${w.clients.size} connected at the end (${spread})`,
    );
    const events = w.history.events;
    const expect = subs.map((s) => ({ client: s.id, filter: 'site/#', from: subscribedAt }));
    ctx.phases(phaseStats(events, phases, expect));
    // QoS 2 is exactly once across the kills too (docs/durability.md, "QoS 2 across a restart or a failover").
    const strict = ctx.param('strictQos2') === 1;
    judge(ctx, events, expect, { accept: strict ? DEFAULT_ACCEPTED : [...DEFAULT_ACCEPTED, 'qos2-crash'] });
  },
});
