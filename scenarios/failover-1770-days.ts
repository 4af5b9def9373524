// The seed story: a two-node EMQX cluster behind a load balancer ran for
// 1770 days until node 1's mainboard failed. Clients switched to node 2
// within seconds with their sessions and subscriptions intact; once the
// hardware was repaired, node 1 rejoined by itself and the load balancer
// took it back. Here: the same topology, persistent sessions, steady
// traffic around the failure, 1770 days of quiet uptime before it, a power
// loss on n1 (peers half-open, no RST), 3 hours of repair, rejoin.
// Reports failover time and messages delayed, lost (must be 0 for QoS >= 1)
// and duplicated.
import { defineScenario, judge, phaseStats, convergenceProblems } from 'mqttlab/sim';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export default defineScenario({
  name: 'failover-1770-days',
  description:
    '2 nodes behind an HAProxy-like balancer; 1770 days up; n1 loses power; clients fail over to n2; n1 repaired after 3 h rejoins',
  params: {
    quietDays: { default: 1770, description: 'days of quiet uptime before the failure' },
    repairHours: { default: 3, description: 'hours until the failed node is back' },
    trafficMinutes: { default: 60, description: 'minutes of traffic around the failure' },
  },
  // Live (sim run --live, real HAProxy in front): 20x faster than real time, the quiet
  // 1770 days become 3 s of wall time, and shorter traffic and repair by default.
  live: { timeScale: 0.05, maxQuietMs: 3000, params: { trafficMinutes: 2, repairHours: 0.5 } },
  async run(w, ctx) {
    const quietDays = ctx.param('quietDays');
    const repairHours = ctx.param('repairHours');
    const trafficMinutes = ctx.param('trafficMinutes');
    // Production-like intervals: a heartbeat every 15 s, down after 45 s (Erlang distribution, which EMQX
    // clusters over, ticks every 15 s with net_ticktime 60); the balancer checks every 5 s.
    w.addCluster(['n1', 'n2'], {
      cluster: { heartbeatIntervalMs: 15_000, heartbeatTimeoutMs: 45_000, autocleanMs: 24 * HOUR },
    });
    const lb = w.addLoadBalancer('lb', {
      backends: ['n1', 'n2'],
      mode: 'round-robin',
      checkIntervalMs: 5000,
      rise: 2,
      fall: 3,
      shutdownSessionsOnDown: true,
    });
    const reconnect = { minMs: 500, maxMs: 8000 };
    const subs = Array.from({ length: 8 }, (_, i) =>
      w.client(`dev-${i}`, {
        target: 'lb',
        version: i % 2 ? 5 : 4,
        clean: false,
        sessionExpiry: 7 * 86_400,
        keepalive: 300,
        reconnect,
        subscriptions: [{ filter: 'factory/+/cmd', qos: 1 }],
      }),
    );
    const pubs = Array.from({ length: 4 }, (_, i) =>
      w.client(`app-${i}`, { target: 'lb', version: 5, keepalive: 300, reconnect }),
    );

    if (
      !(await w.until(
        () => convergenceProblems(w).length === 0 && [...w.clients.values()].every((c) => c.connected),
        { timeoutMs: 60_000 },
      ))
    ) {
      ctx.violation('liveness', 'cluster or clients did not come up');
    }
    const subscribedAt = w.now + 1000;
    await w.sleep(2000);

    const phases: { name: string; from: number; to: number }[] = [];
    const traffic = async (name: string, ms: number, during?: (t: number) => void) => {
      const from = w.now;
      for (let t = 0; t < ms; t += 1000) {
        pubs.forEach((p, i) => p.publish(`factory/line${i}/cmd`, (i % 2 ? 2 : 1) as 1 | 2));
        during?.(t);
        await w.sleep(1000);
      }
      phases.push({ name, from, to: w.now });
    };

    await traffic('first hour', trafficMinutes * 60_000);
    const t0 = w.now;
    await w.sleep(Math.max(0, quietDays * DAY - 2 * HOUR)); // quiet uptime: keep alives, heartbeats and health checks only
    ctx.report('uptime', `${((w.now - t0) / DAY).toFixed(0)} days of quiet before the failure`);

    let crashAt = 0;
    await traffic('failure', 10 * 60_000, (t) => {
      if (t === 60_000) {
        crashAt = w.now;
        w.crash('n1', 'power'); // the mainboard: no RST, connections left half-open
      }
    });
    const everyoneOnN2 = () => [...w.clients.values()].every((c) => c.connected && c.node === 'n2');
    if (!(await w.until(everyoneOnN2, { timeoutMs: HOUR })))
      ctx.violation('liveness', 'clients did not all fail over to n2');
    // Failover time from the history: the crash to each moved client's CONNACK on n2.
    const moved = new Map<string, number>();
    for (const e of w.history.events)
      if (e.t > crashAt && e.type === 'client.connack' && e.node === 'n2' && e.rc === 0 && !moved.has(e.c))
        moved.set(e.c, e.t);
    const times = [...moved.values()].map((t) => (t - crashAt) / 1000);
    ctx.report(
      'failover',
      `${moved.size} clients moved from n1 to n2, the first ${Math.min(...times).toFixed(1)} s and the last ${Math.max(...times).toFixed(1)} s after the crash`,
    );
    const resumed = w.history.events.filter(
      (e) =>
        e.t > crashAt && e.type === 'client.connack' && e.present === true && String(e.c).startsWith('dev-'),
    ).length;
    ctx.report('sessions', `${resumed} persistent sessions resumed on n2 with session present`);

    await traffic('on n2 alone', Math.max(0, repairHours * HOUR - 10 * 60_000));
    w.restart('n1'); // repaired: same name, empty memory; it rejoins and resyncs by itself
    const repairedAt = w.now;
    const rejoined = await w.until(
      () => convergenceProblems(w).length === 0 && lb.healthyBackends().includes('n1'),
      { timeoutMs: 10 * 60_000 },
    );
    ctx.report(
      'rejoin',
      rejoined
        ? `n1 back in the cluster and the balancer ${((w.now - repairedAt) / 1000).toFixed(1)} s after repair`
        : 'NO',
    );
    if (!rejoined) ctx.violation('liveness', `n1 did not rejoin: ${convergenceProblems(w).join('; ')}`);
    // New connections spread over both nodes again.
    const late = w.client('late-0', { target: 'lb', keepalive: 300 });
    const late2 = w.client('late-1', { target: 'lb', keepalive: 300 });
    await w.until(() => late.connected && late2.connected, { timeoutMs: 60_000 });
    ctx.report('balance', `new clients landed on ${[late.node, late2.node].sort().join(' and ')}`);
    await traffic('after repair', (trafficMinutes / 2) * 60_000);
    await w.sleep(5 * 60_000);

    const events = w.history.events;
    const expect = subs.map((s) => ({ client: s.id, filter: 'factory/+/cmd', from: subscribedAt }));
    ctx.phases(phaseStats(events, phases, expect));
    judge(ctx, events, expect);
  },
});
