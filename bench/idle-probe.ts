// What one idle connection costs, measured from the inside: our broker runs
// in this process (or Mosquitto in its own), the load generator
// (bench/client.ts) in a child process connects N idle clients, 200 at a
// time, after 50 warm-up connects. Prints CPU per connection of the broker
// and of the generator for the connect phase (less load-dependent than the
// rate), and for ours heap and RSS per connection after a GC. Optionally
// heap snapshots before/after (compare them in Chrome DevTools) or a CPU
// profile of the connect phase only.
//   node --expose-gc --import tsx bench/idle-probe.ts [--broker mqttlab|mosquitto] [--clients N]
//        [--snapshots DIR] [--cpu-prof FILE]

import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import { Session } from 'node:inspector/promises';
import { BenchClient } from './client.ts';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

if (argv[0] === '--generate') {
  // Child: the load generator.
  const target = { host: '127.0.0.1', port: Number(argv[1]) };
  const n = Number(argv[2]);
  for (let i = 0; i < 50; i++) (await BenchClient.connect(target, `probe-warm-${i}`, 60)).close();
  process.send!('warm');
  await new Promise((r) => process.once('message', r));
  const cpu0 = process.cpuUsage();
  const clients: BenchClient[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) clients.push(await BenchClient.connect(target, `probe-${next++}`, 60));
  };
  await Promise.all(Array.from({ length: 200 }, worker));
  const cpu = process.cpuUsage(cpu0);
  process.send!({ cpuUs: cpu.user + cpu.system });
  // Stay connected until killed.
  setInterval(() => {}, 1 << 30);
} else {
  const kind = opt('--broker') ?? 'mqttlab';
  const n = Number(opt('--clients') ?? 10_000);
  const snapshots = opt('--snapshots');
  const cpuProf = opt('--cpu-prof');
  const gc = (globalThis as { gc?: () => void }).gc;
  if (kind === 'mqttlab' && !gc) throw new Error('run with node --expose-gc --import tsx');
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      gc?.();
      await new Promise((r) => setImmediate(r));
    }
  };

  let port: number;
  let brokerCpuUs: () => number;
  let stop: () => Promise<void>;
  if (kind === 'mqttlab') {
    const { startServer } = await import('../runtime/server.ts');
    const { mqttlabConfig } = await import('./brokers.ts');
    const s = await startServer(mqttlabConfig(), { info: () => {}, warn: () => {} });
    port = s.tcpPort!;
    brokerCpuUs = () => {
      const u = process.cpuUsage();
      return u.user + u.system;
    };
    stop = () => s.stop();
  } else {
    const { startBroker } = await import('./brokers.ts');
    const b = await startBroker('mosquitto');
    port = b.port;
    // utime + stime in clock ticks (100 per second).
    brokerCpuUs = () => {
      const f = readFileSync(`/proc/${b.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) * 10_000;
    };
    stop = () => b.stop();
  }

  const child = fork(new URL(import.meta.url).pathname, ['--generate', String(port), String(n)], {
    execArgv: ['--import', 'tsx'],
  });
  const next = () => new Promise<unknown>((r) => child.once('message', r));
  await next(); // warm
  await settle();
  const mem0 = process.memoryUsage();
  if (snapshots && kind === 'mqttlab') v8.writeHeapSnapshot(join(snapshots, 'before.heapsnapshot'));
  const profiler = cpuProf ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const cpu0 = brokerCpuUs();
  const t0 = performance.now();
  child.send('go');
  const { cpuUs: generatorUs } = (await next()) as { cpuUs: number };
  const secs = (performance.now() - t0) / 1000;
  const brokerUs = brokerCpuUs() - cpu0;
  if (profiler) writeFileSync(cpuProf!, JSON.stringify((await profiler.post('Profiler.stop')).profile));
  const out: Record<string, unknown> = {
    broker: kind,
    clients: n,
    connectsPerSec: Math.round(n / secs),
    brokerCpuUsPerConn: Math.round(brokerUs / n),
    generatorCpuUsPerConn: Math.round(generatorUs / n),
  };
  if (kind === 'mqttlab') {
    await new Promise((r) => setTimeout(r, 300));
    await settle();
    const mem1 = process.memoryUsage();
    if (snapshots) v8.writeHeapSnapshot(join(snapshots, 'after.heapsnapshot'));
    out.heapPerConnBytes = Math.round((mem1.heapUsed - mem0.heapUsed) / n);
    out.rssPerConnBytes = Math.round((mem1.rss - mem0.rss) / n);
  }
  console.log(JSON.stringify(out));
  child.kill();
  await stop();
  process.exit(0);
}
