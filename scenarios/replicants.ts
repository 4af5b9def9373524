// Core and replicant nodes (EMQX 5's Mria roles). 3 cores form the full mesh; 6 replicants link only to
// the cores and serve every client, behind the balancer. Persistent and clean subscribers (QoS 1 and 2) and
// publishers all sit on replicants, so most messages cross from one replicant to another through the cores
// (core/cluster/replicant.ts). Then a core restarts (kill -9, down a few seconds): no replicant's client may
// be disconnected by it (EMQX #11310) and nothing acknowledged may be lost. Then a replicant crashes: its
// clients reconnect on the others, the persistent ones resume the sessions the cores kept, and the replicant
// comes back later. A replicant cut off from every core keeps serving and catches up at the heal. The cores'
// membership of cores never changes through any of it.
import { defineScenario, judge, phaseStats, convergenceProblems, trafficPhases } from 'mqttlab/sim';

export default defineScenario({
  name: 'replicants',
  description:
    '3 cores + 6 replicants behind a balancer; a core restart keeps every client connected; a replicant crash loses nothing acknowledged',
  params: {
    downMs: {
      default: 5000,
      description: 'how long the restarted core and the crashed replicant stay down (ms)',
    },
    subscribers: { default: 8, description: 'subscribers (half persistent, half clean)' },
    publishers: { default: 4, description: 'publishers' },
  },
  async run(w, ctx) {
    const downMs = ctx.param('downMs');
    const nSubs = ctx.param('subscribers');
    const nPubs = ctx.param('publishers');
    const cores = ['c1', 'c2', 'c3'];
    const replicants = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    const broker = { limits: { maxQueuedMessages: 100_000, maxInflight: 64 } as never };
    w.addCluster(cores, { broker });
    // Static discovery gives a replicant the cores: it never dials another replicant.
    const seeds = cores.map((n) => ({ node: n, address: `${n}:cluster` }));
    w.addCluster(replicants, { broker, cluster: { role: 'replicant', seeds } });
    const lb = w.addLoadBalancer('lb', {
      backends: replicants,
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
        clean: i % 2 === 0 ? false : true,
        sessionExpiry: i % 2 === 0 ? 86_400 : 0,
        keepalive: 30,
        reconnect,
        subscriptions: [{ filter: 'site/#', qos: (i % 4 < 2 ? 2 : 1) as 1 | 2 }],
      }),
    );
    const pubs = Array.from({ length: nPubs }, (_, i) =>
      w.client(`pub-${i}`, { target: 'lb', version: 5, keepalive: 30, reconnect }),
    );
    const persistent = subs.filter((s) => !s.opts.clean);

    const converged = () => convergenceProblems(w).length === 0;
    const allConnected = () => [...w.clients.values()].every((c) => c.connected);
    // The cores' membership as each reports it (`cluster status`; live: read from their admin APIs).
    const coresReport = () => cores.every((n) => w.nodeStatus(n) !== null);
    if (!(await w.until(() => converged() && allConnected() && coresReport(), { timeoutMs: 30_000 })))
      ctx.violation('liveness', `cluster or clients did not come up: ${convergenceProblems(w).join('; ')}`);
    await w.sleep(1000);
    const subscribedAt = w.now;
    await w.sleep(500);

    const coreView = () =>
      cores
        .flatMap((n) => {
          const st = w.nodeStatus(n);
          return st ? [`${n}:${st.members.map((s) => s.node).join(',')}`] : [];
        })
        .join(' ');
    const coreViewAtStart = coreView();
    const nonReplicant = (w.nodeStatus('c1')?.members ?? []).filter((s) => !cores.includes(s.node));
    if (nonReplicant.some((s) => s.state === 'running' && !replicants.includes(s.node)))
      ctx.violation('liveness', `c1 lists members that are neither cores nor replicants`);

    let k = 0;
    const tick = () => {
      pubs.forEach((p, i) => p.publish(`site/${i}/${k % 4}`, (i % 2 ? 2 : 1) as 1 | 2));
      k++;
    };
    const { phases, traffic, trafficUntil } = trafficPhases(w, tick);
    await traffic('steady', 3000);

    // A core restarts: the replicants keep serving through the other two, no client is disconnected.
    const connectsBefore = [...w.clients.values()].map((c) => c.connects);
    w.crash('c2', 'process');
    await traffic('c2 down', downMs);
    w.restart('c2');
    const back = await trafficUntil('c2 rejoining', () => converged() && allConnected(), 60_000);
    if (!back)
      ctx.violation('liveness', `c2 did not rejoin within 60 s: ${convergenceProblems(w).join('; ')}`);
    const reconnected = [...w.clients.values()].filter((c, i) => c.connects !== connectsBefore[i]);
    ctx.report('core restart', `${reconnected.length} of ${w.clients.size} clients reconnected (must be 0)`);
    if (reconnected.length)
      ctx.violation(
        'liveness',
        `the restart of core c2 disconnected ${reconnected.map((c) => c.id).join(', ')} (EMQX #11310)`,
      );

    // A replicant is cut off from every core: it serves its clients alone, keeps what they publish for the
    // others until the cores are back (acknowledged meanwhile, as any node cut off does), then catches up.
    w.partition(['r3'], cores);
    await traffic('r3 cut off', downMs * 2);
    w.heal();
    if (!(await trafficUntil('r3 back', () => converged() && allConnected(), 60_000)))
      ctx.violation('liveness', `no convergence after r3's cut: ${convergenceProblems(w).join('; ')}`);

    // A replicant crashes: its clients move to the others; persistent sessions come from the cores.
    // The replicant holding the most persistent sessions (the first in name order among equals).
    const held = (r: string) => persistent.filter((s) => s.node === r).length;
    const victim = replicants.reduce((a, b) => (held(b) > held(a) ? b : a));
    const onVictim = [...w.clients.values()].filter((c) => c.node === victim).map((c) => c.id);
    w.crash(victim, 'process');
    await trafficUntil(
      `${victim} down`,
      () => !lb.healthyBackends().includes(victim) && allConnected(),
      60_000,
    );
    await traffic(`${victim} crashed`, downMs);
    ctx.report(
      'replicant crash',
      `${onVictim.length} clients were on ${victim} (${onVictim.filter((id) => persistent.some((s) => s.id === id)).length} persistent); all connected again: ${allConnected() ? 'yes' : 'NO'}`,
    );
    w.restart(victim);
    const ok = await trafficUntil(
      `${victim} back`,
      () => converged() && lb.healthyBackends().includes(victim) && allConnected(),
      60_000,
    );
    if (!ok)
      ctx.violation(
        'liveness',
        `no convergence after ${victim} came back: ${convergenceProblems(w).join('; ')}`,
      );
    const coreViewAtEnd = coreView();
    if (coreViewAtEnd !== coreViewAtStart)
      ctx.violation('liveness', `the cores' membership changed: ${coreViewAtStart} -> ${coreViewAtEnd}`);
    ctx.report(
      'cores’ membership',
      coreViewAtEnd === coreViewAtStart ? `unchanged (${coreViewAtEnd})` : 'CHANGED',
    );
    await traffic('after', 3000);
    replicants.forEach((r) => w.nodeStatus(r)); // live: read from now on, for the relay counts below
    await w.sleep(20_000); // queues drain, resends finish

    const spread = [...cores, ...replicants]
      .map((n) => `${n}:${[...w.clients.values()].filter((c) => c.connected && c.node === n).length}`)
      .join(' ');
    ctx.report(
      'clients',
      `${[...w.clients.values()].filter((c) => c.connected).length}/${w.clients.size} connected at the end (${spread})`,
    );
    const relays = replicants.map((r) => w.nodeStatus(r)?.relay);
    const relayed = relays.reduce((n, r) => n + (r?.relayedOut ?? 0), 0);
    const dropped = relays.reduce((n, r) => n + (r?.duplicatesDropped ?? 0), 0);
    const unread = replicants.filter((_, i) => !relays[i]);
    ctx.report(
      'relay',
      `${relayed} forwards relayed through the cores, ${dropped} second copies dropped` +
        (unread.length ? ` (not read: ${unread.join(', ')})` : ''),
    );
    const events = w.history.events;
    const expect = subs.map((s) => ({ client: s.id, filter: 'site/#', from: subscribedAt }));
    ctx.phases(phaseStats(events, phases, expect));
    judge(ctx, events, expect);
  },
});
