// A broker under test in its own process, for bench/run.ts: our broker
// (runtime startServer) or Aedes on node:net. Started with fork(); reports
// its port over IPC, answers memory probes, exits cleanly on "stop" (so
// --cpu-prof can write its profile).
//   tsx bench/serve.ts mqttlab '<runtime config overrides as JSON>'
//   tsx bench/serve.ts aedes

import net from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';

type Ctl = { cmd: 'mem' } | { cmd: 'stats' } | { cmd: 'gc' } | { cmd: 'stop' };

const kind = process.argv[2];
// BENCH_DEBUG: the broker's log (cluster events: links down, netsplits) on stderr.
const say = (m: string) => process.stderr.write(`[serve ${process.pid}] ${m}\n`);
const silent = process.env.BENCH_DEBUG ? { info: say, warn: say } : { info: () => {}, warn: () => {} };
let stop: () => Promise<void>;
let port: number;
let dropped: () => Record<string, unknown> = () => ({});

if (kind === 'mqttlab') {
  const { startServer } = await import('../runtime/server.ts');
  const overrides = JSON.parse(process.argv[3] ?? '{}');
  const s = await startServer(overrides, silent);
  port = s.tcpPort!;
  // Drops, and on a cluster node its counters (resends and splits show up here).
  dropped = () => ({ ...s.broker.stats.dropped, ...(s.cluster ? { cluster: { ...s.cluster.stats } } : {}) });
  stop = () => s.stop();
} else if (kind === 'aedes') {
  const { Aedes } = await import('aedes');
  // Default concurrency (100) overflows the stack in mqemitter's queue under pipelined
  // bursts (RangeError: Maximum call stack size exceeded); unbounded avoids the queue.
  const aedes = await Aedes.createBroker({ concurrency: 0 });
  // Same socket options as ours: Nagle off.
  const server = net.createServer({ noDelay: true }, aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  stop = () => new Promise<void>((r) => aedes.close(() => server.close(() => r())));
} else {
  throw new Error(`unknown broker ${kind}`);
}

const gc = (globalThis as { gc?: () => void }).gc;
// Garbage collection pauses, reported and reset on { cmd: 'gc' } (the latency rows ask around their window).
let pauses = { count: 0, totalMs: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    pauses.count++;
    pauses.totalMs += e.duration;
    if (e.duration > pauses.maxMs) pauses.maxMs = e.duration;
  }
}).observe({ entryTypes: ['gc'] });
process.on('message', async (m: Ctl) => {
  if (m.cmd === 'mem') {
    // Settle garbage first so the figure is live data only.
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((r) => setImmediate(r));
    }
    const u = process.memoryUsage();
    process.send!({
      mem: { rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers },
    });
  } else if (m.cmd === 'gc') {
    process.send!({ gc: pauses });
    pauses = { count: 0, totalMs: 0, maxMs: 0 };
  } else if (m.cmd === 'stats') {
    process.send!({ dropped: dropped() });
  } else if (m.cmd === 'stop') {
    await Promise.race([stop().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
    process.exit(0);
  }
});
// The benchmark died: do not outlive it.
process.on('disconnect', () => process.exit(0));
process.send!({ port });
