// A rolling upgrade by evacuation (EMQX's `rebalance start --evacuation`, issue 17): 3 nodes behind a
// balancer, thousands of devices (half persistent with QoS 1 subscriptions, half clean), backend publishers
// throughout. Each node in turn is evacuated (its health check fails, the balancer takes it out, its clients
// are closed at a rate with Use Another Server and reconnect through the balancer to the others, its
// offline sessions move with their queues), then restarted (it held nothing: kill -9 is safe) and waits
// to rejoin; a rebalance at the end moves connections back onto the last node. With `evacuate=0` the same
// world is upgraded by plain kill -9 and restart (rolling-restart.ts), for comparison. One device in 20
// sleeps through the upgrade (persistent, offline): its session and queue are moved by each evacuation. Reports the peak of
// accepted CONNECTs a second and the lost and duplicated messages; no QoS 1/2 message acknowledged to its
// publisher may be missing at a persistent device, and the evacuated node must end with no session.
import { defineScenario, judge, phaseStats, convergenceProblems, deviceFleet } from 'mqttlab/sim';

export default defineScenario({
  name: 'evacuation-upgrade',
  description:
    '3 nodes behind a balancer; rolling upgrade by evacuate, restart, rebalance under traffic; nothing acknowledged lost',
  params: {
    devices: { default: 3000, description: 'number of devices behind the balancer' },
    groups: { default: 50, description: 'number of topic groups the devices subscribe to' },
    evictRate: { default: 100, description: 'connections and sessions moved a second by an evacuation' },
    evacuate: {
      default: 1,
      description: '1: evacuate each node before its restart; 0: plain kill -9 and restart',
    },
    downMs: { default: 5000, description: 'how long each node is down for its upgrade (ms)' },
  },
  // Live: real time, and the final 30 s drain not cut short (3000 devices: about 3 min of wall time).
  live: { timeScale: 1, maxQuietMs: 30_000 },
  async run(w, ctx) {
    const devices = ctx.param('devices');
    const groups = ctx.param('groups');
    const rate = ctx.param('evictRate');
    const evacuate = ctx.param('evacuate') === 1;
    const downMs = ctx.param('downMs');
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes, { broker: { limits: { maxQueuedMessages: 10_000 } as never } });
    const check = { checkIntervalMs: 2000, rise: 2, fall: 2 };
    const lb = w.addLoadBalancer('lb', { backends: nodes, mode: 'round-robin', ...check });
    // The balancer needs up to (fall + 1) checks to take a failing node out: the evacuation waits that long.
    const waitHealthCheckMs = (check.fall + 1) * check.checkIntervalMs;
    const reconnect = { minMs: 200, maxMs: 10_000 };
    const fleet = deviceFleet(w, { devices, groups, target: 'lb', reconnect });
    const devs = fleet.devices;
    const asleep = new Set<string>();
    const allConnected = () => {
      for (const c of w.clients.values()) if (!c.connected && !asleep.has(c.id)) return false;
      return true;
    };
    const converged = () => convergenceProblems(w).length === 0;
    if (!(await w.until(() => allConnected() && converged(), { timeoutMs: 120_000 })))
      ctx.violation('liveness', `cluster or clients did not come up: ${convergenceProblems(w).join('; ')}`);
    await w.sleep(2000);
    const subscribedAt = w.now;

    const phases: { name: string; from: number; to: number }[] = [];
    let k = 0;
    const tick = () => fleet.tick(k++);
    /** Publishes every 500 ms until `pred` holds or `timeoutMs` passed; returns whether it held. */
    const trafficUntil = async (name: string, pred: () => boolean, timeoutMs: number) => {
      const from = w.now;
      let ok = false;
      while (w.now - from < timeoutMs && !(ok = pred())) {
        tick();
        await w.sleep(500);
      }
      phases.push({ name, from, to: w.now });
      return ok;
    };
    const spread = () =>
      nodes.map((n) => `${n}:${devs.filter((c) => c.connected && c.node === n).length}`).join(' ');

    await trafficUntil('steady', () => false, 10_000);
    ctx.report('before', `${devices} devices and ${fleet.backends.length} publishers (${spread()})`);
    // Sleeping devices (persistent, offline through the upgrade): their sessions and queues are moved.
    const sleepers = devs.filter((_, i) => i % 20 === 0);
    for (const s of sleepers) {
      s.disconnect();
      asleep.add(s.id);
    }
    const upgradeFrom = w.now;
    for (const n of nodes) {
      const from = w.now;
      if (evacuate) {
        // `runtime ctl rebalance start --evacuation` (live: the node's admin API).
        await w.startEvacuation(n, {
          connEvictRate: rate,
          sessEvictRate: rate,
          waitHealthCheckMs,
          waitTakeoverMs: 30_000,
        });
        const emptied = await trafficUntil(
          `${n} evacuating`,
          () => w.nodeStatus(n)?.evacuation?.phase === 'done',
          5 * 60_000,
        );
        const st = w.nodeStatus(n)?.evacuation;
        ctx.report(
          `${n} evacuation`,
          st
            ? `${st.connectionsEvicted} connections closed, ${st.sessionsMigrated} offline sessions moved in ${((w.now - from) / 1000).toFixed(1)} s`
            : 'status not read',
        );
        const held = w.nodeStatus(n)?.sessions;
        if (!emptied || held !== 0)
          ctx.violation(
            'liveness',
            `${n} still holds ${held ?? 'an unknown number of'} sessions after its evacuation`,
          );
      }
      w.crash(n, 'process');
      await trafficUntil(`${n} down`, () => false, downMs);
      w.restart(n);
      const ok = await trafficUntil(
        `${n} rejoining`,
        () => converged() && lb.healthyBackends().includes(n) && allConnected(),
        120_000,
      );
      if (!ok) ctx.violation('liveness', `${n} did not rejoin: ${convergenceProblems(w).join('; ')}`);
    }
    ctx.report('after the upgrade', spread());
    if (evacuate) {
      await w.startRebalance('n1', {
        connEvictRate: rate,
        connThreshold: Math.ceil(devices * 0.05),
        relConnThreshold: 1.1,
        waitHealthCheckMs,
        waitTakeoverMs: 10_000,
      });
      const phase = () => w.nodeStatus('n1')?.rebalance?.phase;
      await trafficUntil('rebalance', () => phase() === 'balanced' || phase() === 'failed', 5 * 60_000);
      const r = w.nodeStatus('n1')?.rebalance;
      const moved = Object.entries(r?.donors ?? {}).map(([d, c]) => `${c} from ${d}`);
      ctx.report(
        'rebalance',
        r
          ? `${r.phase}${r.reason ? ` (${r.reason})` : ''}: ${moved.join(', ') || 'nothing to move'}`
          : 'status not read',
      );
      if (r?.phase !== 'balanced')
        ctx.violation('liveness', `rebalance ended ${r?.phase ?? 'unread'}: ${r?.reason ?? ''}`);
    }
    const upgradeTo = w.now;
    for (const s of sleepers) s.connect();
    asleep.clear();
    if (!(await trafficUntil('settling', () => converged() && allConnected(), 120_000)))
      ctx.violation('liveness', `no convergence after the upgrade: ${convergenceProblems(w).join('; ')}`);
    await trafficUntil('after', () => false, 10_000);
    await w.sleep(30_000); // queues drain, resends finish
    ctx.report('clients', `${spread()} at the end`);

    // The reconnect peak: CONNECTs accepted in one second, cluster-wide, during the upgrade.
    const perSecond = new Map<number, number>();
    let closed = 0;
    for (const e of w.history.events) {
      if (e.t < upgradeFrom || e.t > upgradeTo) continue;
      if (e.type === 'client.closed' || e.type === 'client.server-disconnect') closed++;
      if (e.type !== 'client.connack' || e.rc !== 0) continue;
      const s = Math.floor(e.t / 1000);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    const peak = Math.max(0, ...perSecond.values());
    const events = w.history.events;
    const expect = devs
      .filter((_, i) => i % 2 === 0)
      .map((d) => ({ client: d.id, filter: d.opts.subscriptions[0].filter, from: subscribedAt }));
    const stats = phaseStats(events, phases, expect);
    const lost = stats.reduce((a, p) => a + p.lost, 0);
    const dup = stats.reduce((a, p) => a + p.duplicated, 0);
    ctx.report(
      'upgrade',
      `${evacuate ? 'evacuate, restart, rebalance' : 'kill -9 and restart'}: reconnect peak ${peak} CONNECTs/s, ` +
        `${closed} disconnects, ${lost} lost, ${dup} duplicated (acknowledged, to persistent devices)`,
    );
    ctx.phases(stats);
    judge(ctx, events, expect);
  },
});
