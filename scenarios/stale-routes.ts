// Stale routes after a node dies for good. Models EMQX PR #14248 (route
// cleanup: routes of nodes down for more than 1 h are purged), PR #17036
// (dangling nodes in the routing table), emqx-docs #2877 ("orphaned
// routing nodes") and #12850 (stale nodes that could not be removed), and
// VerneMQ's "eternal netsplit" (a stopped node is never forgotten). 3 nodes with
// subscribers on each; n3 loses power (no RST, peers half-open) and never
// comes back. autocleanMs is 10 minutes; after an hour the survivors must
// have purged every route of n3 (cluster.routes.dump()), agree with each
// other (convergence), and publishes on the survivors keep reaching
// their persistent subscribers without loss.
import { defineScenario, judge, phaseStats, convergenceProblems, is, simOnly } from 'mqttlab/sim';

const MIN = 60_000;

export default defineScenario({
  name: 'stale-routes',
  description:
    '3 nodes; n3 loses power for good; autoclean (10 min) must purge its routes within the hour; survivors keep working',
  params: {
    autocleanMin: { default: 10, description: 'cluster autoclean delay (minutes)' },
    goneMin: { default: 60, description: 'how long the crashed node stays gone (minutes)' },
  },
  async run(w, ctx) {
    const autocleanMin = ctx.param('autocleanMin');
    const goneMin = ctx.param('goneMin');
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes, {
      broker: { limits: { maxQueuedMessages: 100_000 } as never },
      cluster: { autocleanMs: autocleanMin * MIN },
    });
    const survivors = ['n1', 'n2'];
    const persistent = survivors.map((n) =>
      w.client(`ps-${n}`, {
        target: n,
        version: 5,
        clean: false,
        sessionExpiry: 86_400,
        keepalive: 60,
        subscriptions: [{ filter: 'fleet/#', qos: 1 }],
      }),
    );
    // Subscribers only n3 has: their routes exist nowhere else.
    w.client('only-n3-a', {
      target: 'n3',
      clean: true,
      keepalive: 60,
      subscriptions: [{ filter: 'fleet/n3only/#', qos: 1 }],
    });
    w.client('only-n3-b', {
      target: 'n3',
      clean: true,
      keepalive: 60,
      subscriptions: [{ filter: '$share/g/fleet/shared', qos: 1 }],
    });
    const pubs = survivors.map((n) => w.client(`pub-${n}`, { target: n, version: 5, keepalive: 60 }));

    const converged = () => convergenceProblems(w).length === 0;
    if (
      !(await w.until(() => converged() && [...w.clients.values()].every((c) => c.connected), {
        timeoutMs: 30_000,
      }))
    )
      ctx.violation('liveness', 'cluster or clients did not come up');
    await w.sleep(1000);
    const subscribedAt = w.now;
    const n3Routes = (n: string) =>
      simOnly(w, 'w.cluster()')
        .cluster(n)
        .routes.dump()
        .filter((r) => r.endsWith(' -> n3'));
    ctx.report('before', `survivors hold ${n3Routes('n1').length} and ${n3Routes('n2').length} routes of n3`);

    const phases: { name: string; from: number; to: number }[] = [];
    let k = 0;
    const traffic = async (name: string, ms: number, every: number) => {
      const from = w.now;
      for (let t = 0; t < ms; t += every) {
        pubs.forEach((p, i) => {
          p.publish(`fleet/${i}/status`, 1);
          p.publish('fleet/n3only/cmd', 1);
          p.publish('fleet/shared', 1);
        });
        k++;
        await w.sleep(every);
      }
      phases.push({ name, from, to: w.now });
    };

    await traffic('steady', 5000, 250);
    w.crash('n3', 'power');
    const crashAt = w.now;
    await traffic('n3 gone, before autoclean', autocleanMin * MIN + 30_000, 5000);
    const purgedAt = w.history.events
      .filter(is('cluster.autoclean'))
      .filter((e) => e.peer === 'n3')
      .map((e) => `${e.node} at ${((e.t - crashAt) / MIN).toFixed(1)} min (${e.routes} routes)`);
    ctx.report('autoclean', purgedAt.length ? purgedAt.join(', ') : 'none');
    await traffic('n3 gone, after autoclean', Math.max(0, goneMin * MIN - (w.now - crashAt)), 5000);
    await traffic('one hour on', 5000, 250);
    await w.sleep(10_000);

    for (const n of survivors) {
      const stale = n3Routes(n);
      if (stale.length)
        ctx.violation(
          'stale-routes',
          `${n} still routes to n3 ${((w.now - crashAt) / MIN).toFixed(0)} min after it died: ${stale.join(', ')}`,
        );
      const st = simOnly(w, 'w.cluster()')
        .cluster(n)
        .status()
        .find((s) => s.node === 'n3');
      ctx.report(
        `${n} view`,
        `n3 ${st?.state}; ${stale.length} routes of n3 left; ${simOnly(w, 'w.cluster()').cluster(n).routes.dump().length} routes in all`,
      );
    }
    const ok = converged();
    ctx.report('converged', ok ? 'yes' : 'NO');
    if (!ok) ctx.violation('liveness', `survivors do not agree: ${convergenceProblems(w).join('; ')}`);
    const dropped = w.history.events.filter((e) => e.type === 'drop' && e.t > crashAt).length;
    ctx.report('drops', `${dropped} drops recorded on the survivors after the crash`);

    const events = w.history.events;
    const expect = persistent.map((c) => ({ client: c.id, filter: 'fleet/#', from: subscribedAt }));
    ctx.phases(phaseStats(events, phases, expect));
    judge(ctx, events, expect);
  },
});
