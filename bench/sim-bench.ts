// Simulator benchmark: engine events per wall second on a pure timer
// workload, and simulated MQTT messages delivered per wall second.
// Run: npm run bench:sim [-- --quick]

import { World } from '../sim/world.ts';
import type { EventHandler } from '../sim/event-queue.ts';
import { runScenario } from '../sim/scenario.ts';

const quick = process.argv.includes('--quick');

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
  for (const b of brokers) w.addBroker(b, { limits: { maxInflight: 1000, maxQueuedMessages: 100000 } as never });
  // 100 clients: per node 3 subscribers on a wildcard and 30 publishers.
  const subs = [];
  const pubs = [];
  for (let i = 0; i < 100; i++) {
    const node = brokers[i % 3];
    if (i < 9) subs.push(w.client(`s${i}`, { target: node, subscriptions: [{ filter: `load/${node}/#`, qos: 1 }] }));
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
  const t0 = performance.now();
  await w.run((w) => w.sleep(simSeconds * 1000));
  const wallMs = performance.now() - t0;
  const delivered = subs.reduce((a, s) => a + s.received.length, 0) - before;
  return {
    simulatedSeconds: simSeconds,
    wallMs: Math.round(wallMs),
    delivered,
    deliveredPerWallSecond: Math.round(delivered / (wallMs / 1000)),
    eventsPerWallSecond: Math.round((w.eventsProcessed - ev0) / (wallMs / 1000)),
    speedup: Math.round((simSeconds * 1000) / wallMs),
  };
}

const timer = timerWorkload(quick ? 200_000 : 5_000_000);
console.log(`engine (timer workload): ${timer.events} events in ${timer.wallMs.toFixed(0)} ms = ${Math.round(timer.perSec).toLocaleString('en')} events/s`);
const mqtt = await mqttWorkload(quick ? 2 : 20);
console.log(
  `mqtt (3 brokers, 9 subscribers, 91 publishers, 64 B, QoS 0/1): ${mqtt.delivered} deliveries in ${mqtt.wallMs} ms wall = ` +
    `${mqtt.deliveredPerWallSecond.toLocaleString('en')} msgs/s, ${mqtt.eventsPerWallSecond.toLocaleString('en')} events/s, ` +
    `${mqtt.speedup}x real time`,
);
let failover: { wallMs: number; events: number; simulatedDays: number; pass: boolean } | null = null;
if (!quick) {
  // The seed story at full length: 1770 days of simulated uptime, then the failure.
  const s = (await import('../scenarios/failover-1770-days.ts')).default;
  const r = await runScenario(s, 1);
  failover = { wallMs: Math.round(r.wallMs), events: r.events, simulatedDays: +(r.simulatedMs / 86_400_000).toFixed(1), pass: r.violations.length === 0 };
  console.log(`failover-1770-days: ${failover.simulatedDays} simulated days in ${(failover.wallMs / 1000).toFixed(1)} s wall, ${failover.events.toLocaleString('en')} events, verdict ${failover.pass ? 'PASS' : 'FAIL'}`);
}
console.log(JSON.stringify({ timer: { eventsPerSec: Math.round(timer.perSec) }, mqtt, failover }));
