// Split brain. Models the netsplits EMQX and VerneMQ users report (EMQX
// #3664: a 3-way split that would not autoheal; VerneMQ's documented
// "window of uncertainty" losses): a 3-node cluster with persistent and
// clean clients on every node is split 2+1, then into three parts, while
// every node keeps taking publishes. After the heal the cluster must
// converge by itself (membership, route tables, retained stores), and no
// QoS 1/2 message acknowledged to its publisher may be missing at a
// persistent subscriber that was subscribed before the split.
import { defineScenario, judge, phaseStats, convergenceProblems, type SimClient } from 'mqttlab/sim';

export default defineScenario({
  name: 'split-brain',
  description:
    '3 nodes; split 2+1, then 3 ways; publishes on every side; heal; autoheal must converge without losing acknowledged messages',
  // Live (sim run --live): 4x faster than real time; the splits last 7.5 s of wall time.
  live: { timeScale: 0.25, maxQuietMs: 5000 },
  // Phase lengths (shorter for wide seed sweeps: --param splitMs=5000 ...).
  params: {
    steadyMs: { default: 10_000, description: 'ms of traffic before the first split' },
    splitMs: { default: 30_000, description: 'ms each split lasts' },
    drainMs: { default: 30_000, description: 'ms after the heal for queues to drain' },
  },
  async run(w, ctx) {
    const steadyMs = ctx.param('steadyMs');
    const splitMs = ctx.param('splitMs');
    const drainMs = ctx.param('drainMs');
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes, { broker: { limits: { maxQueuedMessages: 100_000, maxInflight: 64 } as never } });
    const side = (n: string) => [n, `ps-${n}`, `cs-${n}`, `p1-${n}`, `p2-${n}`];
    const persistent = nodes.map((n) =>
      w.client(`ps-${n}`, {
        target: n,
        version: 5,
        clean: false,
        sessionExpiry: 86_400,
        keepalive: 30,
        subscriptions: [{ filter: 'plant/#', qos: 2 }],
      }),
    );
    nodes.forEach((n) =>
      w.client(`cs-${n}`, {
        target: n,
        clean: true,
        keepalive: 30,
        subscriptions: [{ filter: 'plant/+/alarm', qos: 0 }],
      }),
    );
    const pubs: [SimClient, 1 | 2][] = nodes.flatMap((n) => [
      [w.client(`p1-${n}`, { target: n, keepalive: 30 }), 1] as [SimClient, 1 | 2],
      [w.client(`p2-${n}`, { target: n, version: 5, keepalive: 30 }), 2] as [SimClient, 1 | 2],
    ]);

    const converged = () => convergenceProblems(w).length === 0;
    if (!(await w.until(converged, { timeoutMs: 30_000 })))
      ctx.violation('liveness', `cluster did not form: ${convergenceProblems(w).join('; ')}`);
    const subscribedAt = w.now;
    await w.sleep(1000);

    const phases: { name: string; from: number; to: number }[] = [];
    const run = async (name: string, ms: number) => {
      const from = w.now;
      let k = 0;
      for (let t = 0; t < ms; t += 250) {
        for (const [p, q] of pubs) p.publish(`plant/${p.node ?? 'x'}/${k % 3 === 0 ? 'alarm' : 'temp'}`, q);
        if (k % 20 === 0)
          for (const [p] of pubs.filter((_, i) => i % 2 === 0))
            p.publish('plant/config', 1, { retain: true, payload: `${name}-${k}` });
        k++;
        await w.sleep(250);
      }
      phases.push({ name, from, to: w.now });
    };

    await run('steady', steadyMs);
    w.partition([...side('n1'), ...side('n2')], side('n3'));
    await run('split 2+1', splitMs);
    w.heal();
    w.partition(side('n1'), [...side('n2'), ...side('n3')]);
    w.partition(side('n2'), side('n3'));
    await run('split 1+1+1', splitMs);
    w.heal();
    const healedAt = w.now;
    const ok = await w.until(converged, { timeoutMs: 120_000 });
    ctx.report('converged', ok ? `${((w.now - healedAt) / 1000).toFixed(1)} s after the heal` : 'NO');
    if (!ok)
      ctx.violation(
        'liveness',
        `no convergence within 120 s of the heal: ${convergenceProblems(w).join('; ')}`,
      );
    await run('healed', steadyMs);
    await w.sleep(drainMs); // let queues drain and resends finish

    // A reader after convergence: its retained read must be the last write, not one the splits superseded.
    const reader = w.client('reader', { target: 'n2', version: 5, keepalive: 30 });
    await w.until(() => reader.connected, { timeoutMs: 10_000 });
    const readAt = w.now;
    reader.subscribe('plant/config', 1);
    await w.sleep(1000);

    const events = w.history.events;
    const expect = persistent.map((c) => ({ client: c.id, filter: 'plant/#', from: subscribedAt }));
    ctx.phases(phaseStats(events, phases, expect));
    judge(ctx, events, expect, { convergedAt: readAt });
    const live = [...w.clients.values()].filter((c) => c.connected).length;
    ctx.report('clients', `${live}/${w.clients.size} connected at the end`);
  },
});
