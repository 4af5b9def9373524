// Simulator benchmark: engine events per wall second on a pure timer
// workload, simulated MQTT messages delivered per wall (and CPU) second,
// and the cost curve of clustered worlds (`--scale`).
// Run: npm run bench:sim [-- --quick] [--secs N]
//      npm run bench:sim -- --scale [--nodes 3,5,10,20] [--clients 1000,10000,100000] [--secs 60] [--out FILE]
//      npm run bench:sim -- --cell NODES,CLIENTS,SECS   (one cell of the scale table, printed as JSON)

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { World } from '../sim/world.ts';
import type { EventHandler } from '../sim/event-queue.ts';
import { runScenario } from '../sim/scenario.ts';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');

/** CPU milliseconds (user + system) of this process: less disturbed than wall time by other processes. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function timerWorkload(events: number): { events: number; wallMs: number; perSec: number } {
  const w = new World({ seed: 'bench' });
  // 1000 periodic timers with distinct periods, each rescheduling itself.
  const n = 1000;
  let fired = 0;
  const h: EventHandler = {
    fire(arg) {
      fired++;
      const period = arg as number;
      w.queue.push(w.now + period, h, period);
    },
  };
  for (let i = 0; i < n; i++) w.queue.push(i, h, 100 + i);
  const t0 = performance.now();
  while (fired < events) w.step();
  const wallMs = performance.now() - t0;
  return { events: fired, wallMs, perSec: fired / (wallMs / 1000) };
}

async function mqttWorkload(simSeconds: number): Promise<Record<string, number>> {
  const w = new World({ seed: 'bench' });
  const brokers = ['n1', 'n2', 'n3'];
  for (const b of brokers)
    w.addBroker(b, { limits: { maxInflight: 1000, maxQueuedMessages: 100000 } as never });
  // 100 clients: per node 3 subscribers on a wildcard and 30 publishers.
  const subs = [];
  const pubs = [];
  for (let i = 0; i < 100; i++) {
    const node = brokers[i % 3];
    if (i < 9)
      subs.push(w.client(`s${i}`, { target: node, subscriptions: [{ filter: `load/${node}/#`, qos: 1 }] }));
    else pubs.push(w.client(`p${i}`, { target: node }));
  }
  await w.run(async (w) => {
    await w.until(() => [...subs, ...pubs].every((c) => c.connected), { timeoutMs: 10_000 });
    await w.sleep(100);
  });
  // Each publisher sends 100 msg/s of virtual time, alternating QoS 0 and 1.
  const tick: EventHandler = {
    fire(arg) {
      const i = arg as number;
      const p = pubs[i];
      p.publish(`load/${p.node}/${i}`, (i & 1) as 0 | 1, { size: 64 });
      w.queue.push(w.now + 10, tick, i);
    },
  };
  for (let i = 0; i < pubs.length; i++) w.queue.push(w.now + i * 0.1, tick, i);
  const before = subs.reduce((a, s) => a + s.received.length, 0);
  const ev0 = w.eventsProcessed;
  const c0 = cpuMs();
  const t0 = performance.now();
  await w.run((w) => w.sleep(simSeconds * 1000));
  const wallMs = performance.now() - t0;
  const cpu = cpuMs() - c0;
  const delivered = subs.reduce((a, s) => a + s.received.length, 0) - before;
  return {
    simulatedSeconds: simSeconds,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(cpu),
    delivered,
    deliveredPerWallSecond: Math.round(delivered / (wallMs / 1000)),
    deliveredPerCpuSecond: Math.round(delivered / (cpu / 1000)),
    eventsPerWallSecond: Math.round((w.eventsProcessed - ev0) / (wallMs / 1000)),
    speedup: Math.round((simSeconds * 1000) / wallMs),
  };
}

/**
 * A predicate equal to `cs.every((c) => c.connected)` at every call, at an
 * amortised O(1) per call while clients only connect: it resumes from the
 * first client it last found not connected, and confirms with a full scan
 * (starting over on a miss) only once the index reaches the end.
 */
function allConnected(cs: readonly { connected: boolean }[]): () => boolean {
  let k = 0;
  return () => {
    while (k < cs.length && cs[k].connected) k++;
    if (k < cs.length) return false;
    if (cs.every((c) => c.connected)) return true;
    k = 0;
    return false;
  };
}

/**
 * One cell of the cost curve: a cluster of `nodes` with `clients` simulated
 * devices spread over the nodes, each subscribed (QoS 1) to its own topic and
 * publishing one QoS 1 message a minute to another device's topic (mostly on
 * another node), keep alive 60 s. Connects, then runs `secs` simulated seconds.
 */
async function scaleCell(nodes: number, clients: number, secs: number): Promise<Record<string, number>> {
  const t0 = performance.now();
  const c0 = cpuMs();
  const w = new World({ seed: 'scale' });
  const names = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  w.addCluster(names, { broker: { limits: { maxQueuedMessages: 1000 } as never } });
  const cs = Array.from({ length: clients }, (_, i) =>
    w.client(`d${i}`, {
      target: names[i % nodes],
      keepalive: 60,
      subscriptions: [{ filter: `dev/${i}/in`, qos: 1 }],
    }),
  );
  // until() checks its predicate after every event: a scan of all clients
  // each time made the connect phase quadratic. allConnected scans on from
  // the first client not yet seen connected and rechecks them all only when
  // it reaches the end, so it holds exactly when every client is connected.
  const connected = await w.run((w) => w.until(allConnected(cs), { timeoutMs: 600_000 }));
  // Subscriptions reach every node's routing table.
  await w.run((w) => w.sleep(5000));
  const connectWallMs = performance.now() - t0;
  const period = 60_000;
  const tick: EventHandler = {
    fire(arg) {
      const i = arg as number;
      cs[i].publish(`dev/${(i * 7919 + 1) % clients}/in`, 1, { size: 32 });
      w.queue.push(w.now + period, tick, i);
    },
  };
  const start = w.now;
  for (let i = 0; i < clients; i++) w.queue.push(start + (i * period) / clients, tick, i);
  const received = () => cs.reduce((a, c) => a + c.received.length, 0);
  const r0 = received();
  const ev0 = w.eventsProcessed;
  const t1 = performance.now();
  const c1 = cpuMs();
  await w.run((w) => w.sleep(secs * 1000));
  const wallMs = performance.now() - t1;
  const cpu = cpuMs() - c1;
  const events = w.eventsProcessed - ev0;
  const delivered = received() - r0;
  (globalThis as { gc?: () => void }).gc?.();
  const mem = process.memoryUsage();
  return {
    nodes,
    clients,
    connected: connected ? 1 : 0,
    connectWallMs: Math.round(connectWallMs),
    simulatedSeconds: secs,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(cpu),
    totalWallMs: Math.round(performance.now() - t0),
    totalCpuMs: Math.round(cpuMs() - c0),
    events,
    eventsPerWallSecond: Math.round(events / (wallMs / 1000)),
    eventsPerCpuSecond: Math.round(events / (cpu / 1000)),
    delivered,
    deliveredPerWallSecond: Math.round(delivered / (wallMs / 1000)),
    heapMB: Math.round(mem.heapUsed / 1048576),
    rssMB: Math.round(mem.rss / 1048576),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** Runs every cell in its own process (a clean heap per figure) and prints the table. */
function scaleTable(): void {
  const nodeList = (opt('--nodes') ?? '3,5,10,20').split(',').map(Number);
  const clientList = (opt('--clients') ?? '1000,10000,100000').split(',').map(Number);
  const secs = Number(opt('--secs') ?? 60);
  const rows: Record<string, number>[] = [];
  console.log(
    `| nodes | clients | connect wall s | ${secs} simulated s: wall s | events | events/s wall | events/s CPU | deliveries/s wall | heap MB | peak RSS MB |`,
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of clientList)
    for (const n of nodeList) {
      const r = spawnSync(
        process.execPath,
        [
          '--expose-gc',
          '--max-old-space-size=16384',
          '--import',
          'tsx',
          new URL(import.meta.url).pathname,
          '--cell',
          `${n},${c},${secs}`,
        ],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 24,
        },
      );
      const line = r.stdout.trim().split('\n').pop() ?? '';
      if (r.status !== 0 || !line.startsWith('{')) {
        console.log(`| ${n} | ${c} | failed: ${(r.stderr || line).trim().split('\n').pop()} |`);
        continue;
      }
      const x = JSON.parse(line) as Record<string, number>;
      rows.push(x);
      const f = (v: number) => v.toLocaleString('en');
      console.log(
        `| ${n} | ${f(c)} | ${(x.connectWallMs / 1000).toFixed(1)} | ${(x.wallMs / 1000).toFixed(1)} | ${f(x.events)} | ${f(x.eventsPerWallSecond)} | ` +
          `${f(x.eventsPerCpuSecond)} | ${f(x.deliveredPerWallSecond)} | ${f(x.heapMB)} | ${f(x.peakRssMB)} |`,
      );
    }
  const out = opt('--out');
  if (out) writeFileSync(out, JSON.stringify(rows, null, 1) + '\n');
}

if (opt('--cell')) {
  const [n, c, s] = opt('--cell')!.split(',').map(Number);
  console.log(JSON.stringify(await scaleCell(n, c, s)));
} else if (argv.includes('--scale')) {
  scaleTable();
} else {
  const timer = timerWorkload(quick ? 200_000 : 5_000_000);
  console.log(
    `engine (timer workload): ${timer.events} events in ${timer.wallMs.toFixed(0)} ms = ${Math.round(timer.perSec).toLocaleString('en')} events/s`,
  );
  const mqtt = await mqttWorkload(Number(opt('--secs') ?? (quick ? 2 : 20)));
  console.log(
    `mqtt (3 brokers, 9 subscribers, 91 publishers, 64 B, QoS 0/1): ${mqtt.delivered} deliveries in ${mqtt.wallMs} ms wall = ` +
      `${mqtt.deliveredPerWallSecond.toLocaleString('en')} msgs/s (${mqtt.deliveredPerCpuSecond.toLocaleString('en')} per CPU second), ` +
      `${mqtt.eventsPerWallSecond.toLocaleString('en')} events/s, ${mqtt.speedup}x real time`,
  );
  let failover: { wallMs: number; events: number; simulatedDays: number; pass: boolean } | null = null;
  if (!quick && !argv.includes('--no-failover')) {
    // The seed story at full length: 1770 days of simulated uptime, then the failure.
    const s = (await import('../scenarios/failover-1770-days.ts')).default;
    const r = await runScenario(s, 1);
    failover = {
      wallMs: Math.round(r.wallMs),
      events: r.events,
      simulatedDays: +(r.simulatedMs / 86_400_000).toFixed(1),
      pass: r.violations.length === 0,
    };
    console.log(
      `failover-1770-days: ${failover.simulatedDays} simulated days in ${(failover.wallMs / 1000).toFixed(1)} s wall, ${failover.events.toLocaleString('en')} events, verdict ${failover.pass ? 'PASS' : 'FAIL'}`,
    );
  }
  console.log(JSON.stringify({ timer: { eventsPerSec: Math.round(timer.perSec) }, mqtt, failover }));
}
