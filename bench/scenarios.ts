// Benchmark scenarios, each driving one broker (or cluster) through
// BenchClient. Publishers are closed-loop with a window per flow (messages
// sent but not yet received by the slowest subscriber), so every broker is
// measured at the rate it sustains without dropping or buffering without
// bound; batches go out as one write per publisher per event-loop turn.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { BenchClient, qos0Batch, qos1Template, type Target } from './client.ts';
import type { GcPauses, RunningBroker } from './brokers.ts';

export interface Timing {
  warmupMs: number;
  measureMs: number;
  latencyMs: number;
  idleClients: number;
  /** Scales the publishers' windows (quick mode: small, so a slow broker's backlog clears fast). */
  window: number;
}

export const FULL: Timing = {
  warmupMs: 1000,
  measureMs: 3000,
  latencyMs: 5000,
  idleClients: 10_000,
  window: 1,
};
export const QUICK: Timing = { warmupMs: 100, measureMs: 300, latencyMs: 300, idleClients: 200, window: 0.1 };

const PAYLOAD = 64;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const target = (b: RunningBroker): Target => ({ host: '127.0.0.1', port: b.port });

export interface Throughput {
  /** Deliveries to subscribers per second. */
  msgsPerSec: number;
  delivered: number;
  /** QoS 0 messages the generator gave up waiting for (never expected on loopback). */
  lost: number;
  /**
   * CPU time (user + system) of each broker process per delivered message, in µs, over the measured
   * window: load on a shared machine slows the rate but barely moves this figure.
   */
  cpuUsPerMsg?: number[];
}

/** utime + stime of a process in µs (/proc/PID/stat counts clock ticks, 100 per second). */
function cpuUsOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return NaN;
  }
}

interface Flow {
  pub: BenchClient;
  subs: BenchClient[];
  batch: { buf: Buffer; each: number } | null;
  q1: { buf: Buffer; pidAt: number } | null;
  sent: number;
  pid: number;
}

/**
 * Runs flows (one publisher each, its subscribers on one topic) closed-loop:
 * at most `window` messages ahead of the slowest subscriber, and for QoS 1
 * at most `window` unacknowledged.
 */
async function runFlows(
  pubAt: (i: number) => Target,
  subAt: (i: number, j: number) => Target,
  flows: number,
  subsPerFlow: number,
  qos: 0 | 1,
  window: number,
  t: Timing,
  tag: string,
  pids: number[] = [],
): Promise<Throughput> {
  window = Math.max(1, Math.round(window * t.window));
  const fl: Flow[] = [];
  const all: BenchClient[] = [];
  const payload = Buffer.alloc(PAYLOAD, 0x61);
  try {
    const tSetup = performance.now();
    // Connect and subscribe in parallel: setup time is not measured, keep it short.
    await Promise.all(
      Array.from({ length: flows }, async (_, i) => {
        const topic = `bench/${tag}/${i}`;
        const subs = await Promise.all(
          Array.from({ length: subsPerFlow }, async (_, j) => {
            const s = await BenchClient.connect(subAt(i, j), `${tag}-s${i}-${j}`);
            all.push(s);
            await s.subscribe(topic, qos);
            return s;
          }),
        );
        const pub = await BenchClient.connect(pubAt(i), `${tag}-p${i}`);
        all.push(pub);
        fl[i] = {
          pub,
          subs,
          batch: qos === 0 ? qos0Batch(topic, payload, 256) : null,
          q1: qos === 1 ? qos1Template(topic, payload) : null,
          sent: 0,
          pid: 0,
        };
      }),
    );
    const tReady = performance.now();
    if (process.env.BENCH_DEBUG) console.error(tag, 'connected in', Math.round(tReady - tSetup), 'ms');
    await ready(fl);
    if (process.env.BENCH_DEBUG) console.error(tag, 'ready in', Math.round(performance.now() - tReady), 'ms');
    let scheduled = false;
    let running = true;
    const pump = (): void => {
      scheduled = false;
      if (!running) return;
      for (const f of fl) {
        let slowest = Infinity;
        for (const s of f.subs) if (s.received < slowest) slowest = s.received;
        let room = window - (f.sent - slowest);
        if (qos === 1) room = Math.min(room, window - (f.sent - f.pub.acked));
        while (room > 0 && f.pub.backlog <= 256 * 1024) {
          const n = Math.min(room, 256);
          if (f.batch) f.pub.write(f.batch.buf.subarray(0, n * f.batch.each));
          else {
            const tpl = f.q1!;
            const len = tpl.buf.length;
            const out = Buffer.allocUnsafe(len * n);
            for (let k = 0; k < n; k++) {
              tpl.buf.copy(out, k * len);
              f.pid = f.pid === 65535 ? 1 : f.pid + 1;
              out.writeUInt16BE(f.pid, k * len + tpl.pidAt);
            }
            f.pub.write(out);
          }
          f.sent += n;
          room -= n;
        }
      }
    };
    const schedule = (): void => {
      if (!scheduled) {
        scheduled = true;
        setImmediate(pump);
      }
    };
    for (const c of all) {
      c.onData = schedule;
      c.socket.on('drain', schedule);
    }
    // A QoS 0 message can be dropped by a broker; do not let one stall a flow forever.
    let lost = 0;
    const last = fl.map(() => -1);
    const watchdog = setInterval(() => {
      fl.forEach((f, i) => {
        const slowest = Math.min(...f.subs.map((s) => s.received));
        if (qos === 0 && slowest === last[i] && f.sent > slowest) {
          lost += f.sent - slowest;
          f.sent = slowest;
          schedule();
        }
        last[i] = slowest;
      });
    }, 500);
    schedule();
    const delivered = () => all.reduce((a, c) => a + c.received, 0);
    await sleep(t.warmupMs);
    const d0 = delivered();
    const c0 = pids.map(cpuUsOf);
    const t0 = performance.now();
    await sleep(t.measureMs);
    const d1 = delivered();
    const c1 = pids.map(cpuUsOf);
    const t1 = performance.now();
    running = false;
    clearInterval(watchdog);
    const x: Throughput = {
      msgsPerSec: Math.round((d1 - d0) / ((t1 - t0) / 1000)),
      delivered: d1 - d0,
      lost,
    };
    if (pids.length) x.cpuUsPerMsg = pids.map((_, i) => +((c1[i] - c0[i]) / (d1 - d0)).toFixed(2));
    return x;
  } finally {
    for (const c of all) c.close();
    await sleep(50);
  }
}

/** Publishes a probe per flow until every subscriber got one: subscriptions are live (also across a cluster). */
async function ready(fl: Flow[]): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!fl.every((f) => f.subs.every((s) => s.received > 0))) {
    if (performance.now() > deadline) throw new Error('subscriptions never became live');
    for (const f of fl) {
      if (f.subs.every((s) => s.received > 0)) continue;
      if (f.q1) {
        const b = Buffer.from(f.q1.buf);
        f.pid = f.pid === 65535 ? 1 : f.pid + 1;
        b.writeUInt16BE(f.pid, f.q1.pidAt);
        f.pub.write(b);
      } else f.pub.write(f.batch!.buf.subarray(0, f.batch!.each));
      f.sent++;
    }
    await sleep(20);
  }
  await sleep(20);
  // Start the windows from where the subscribers are now (late probes may still arrive).
  for (const f of fl) {
    f.sent = Math.min(...f.subs.map((s) => s.received));
    f.pub.acked = f.q1 ? f.sent : 0;
  }
}

/** 10 publishers, 10 subscribers, each pair on its own topic, QoS 0. */
export function fanIn(b: RunningBroker, t: Timing): Promise<Throughput> {
  return runFlows(
    () => target(b),
    () => target(b),
    10,
    1,
    0,
    1000,
    t,
    'fanin',
    [b.pid],
  );
}

/** 1 publisher, 100 subscribers on one topic, QoS 0. */
export function fanOut(b: RunningBroker, t: Timing): Promise<Throughput> {
  return runFlows(
    () => target(b),
    () => target(b),
    1,
    100,
    0,
    500,
    t,
    'fanout',
  );
}

/** 10 publisher/subscriber pairs at QoS 1 both ways, 100 messages in flight per publisher. */
export function qos1(b: RunningBroker, t: Timing): Promise<Throughput> {
  return runFlows(
    () => target(b),
    () => target(b),
    10,
    1,
    1,
    100,
    t,
    'qos1',
    [b.pid],
  );
}

/**
 * The fan-in workload on a 3-node cluster: 10 pairs, each publisher on node i, its subscriber on node
 * i+1, so every message crosses a peer link. QoS 1 has the `qos1` row's window. QoS 0 keeps a window
 * of 200 (fan-in: 1000): with 1000 the longer path (two brokers, a peer link) on a loaded machine
 * stalls a flow for more than the watchdog's 500 ms now and then, which counts its window as lost
 * though every message arrives (published = received when checked), and the rate collapses.
 */
export function clusterFanIn(
  nodes: RunningBroker[],
  t: Timing,
  qos: 0 | 1 = 0,
  window0 = 200,
): Promise<Throughput> {
  return runFlows(
    (i) => target(nodes[i % nodes.length]),
    (i) => target(nodes[(i + 1) % nodes.length]),
    10,
    1,
    qos,
    qos === 0 ? window0 : 100,
    t,
    qos === 0 ? 'cluster' : 'clusterq1',
    nodes.map((n) => n.pid),
  );
}

export interface Latency {
  rate: number;
  samples: number;
  p50us: number;
  p99us: number;
  p999us: number;
  maxUs: number;
  /** Broker CPU time per message over the measured window (µs): what each wake-up costs at this rate. */
  cpuUsPerMsg: number;
  /** The broker's garbage collection pauses in the measured window (Node brokers). */
  gc?: GcPauses;
}

/** One publisher at a fixed 1,000 msg/s, QoS 0, a timestamp in the payload; end-to-end latency of each message. */
export async function latency(b: RunningBroker, t: Timing, rate = 1000): Promise<Latency> {
  const sub = await BenchClient.connect(target(b), 'lat-s');
  const pub = await BenchClient.connect(target(b), 'lat-p');
  try {
    await sub.subscribe('bench/lat', 0);
    const lat: number[] = [];
    let measuring = false;
    sub.onPublish = (frame, at) => {
      if (measuring && frame.length >= at + 8) lat.push((performance.now() - frame.readDoubleLE(at)) * 1000);
    };
    const tpl = qos0Batch('bench/lat', Buffer.alloc(PAYLOAD), 1);
    const payloadAt = tpl.each - PAYLOAD;
    const start = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - start) * rate) / 1000);
      while (sent < due) {
        const m = Buffer.from(tpl.buf);
        m.writeDoubleLE(performance.now(), payloadAt);
        pub.write(m);
        sent++;
      }
    }, 1);
    await sleep(Math.min(500, t.latencyMs / 3));
    await b.gc();
    const c0 = cpuUsOf(b.pid);
    measuring = true;
    await sleep(t.latencyMs);
    measuring = false;
    const c1 = cpuUsOf(b.pid);
    const gc = await b.gc();
    clearInterval(timer);
    lat.sort((x, y) => x - y);
    const q = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN);
    return {
      rate,
      samples: lat.length,
      p50us: q(0.5),
      p99us: q(0.99),
      p999us: q(0.999),
      maxUs: Math.round(lat[lat.length - 1] ?? NaN),
      cpuUsPerMsg: +((c1 - c0) / Math.max(1, lat.length)).toFixed(1),
      ...(gc
        ? { gc: { count: gc.count, totalMs: +gc.totalMs.toFixed(2), maxMs: +gc.maxMs.toFixed(2) } }
        : {}),
    };
  } finally {
    sub.close();
    pub.close();
    await sleep(50);
  }
}

export interface Idle {
  clients: number;
  connectsPerSec: number;
  rssPerConnBytes: number;
  heapPerConnBytes?: number;
}

/**
 * `n` idle clients (keep alive 60 s): connect rate, and broker memory per connection after a GC.
 * 200 connects first, closed again, warm the load generator and the broker (compiled code is not
 * per-connection memory, and the first broker of a repetition no longer meets a cold generator).
 */
export async function idle(b: RunningBroker, t: Timing): Promise<Idle> {
  const n = t.idleClients;
  const warm = await Promise.all(
    Array.from({ length: 200 }, (_, i) => BenchClient.connect(target(b), `idle-warm-${i}`, 60)),
  );
  for (const c of warm) c.close();
  await sleep(300);
  const before = await b.mem();
  const clients: BenchClient[] = [];
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      clients.push(await BenchClient.connect(target(b), `idle-${i}`, 60));
    }
  };
  try {
    await Promise.all(Array.from({ length: 200 }, worker));
    const secs = (performance.now() - t0) / 1000;
    await sleep(200);
    const after = await b.mem();
    return {
      clients: n,
      connectsPerSec: Math.round(n / secs),
      rssPerConnBytes: Math.round((after.rss - before.rss) / n),
      heapPerConnBytes:
        after.heapUsed !== undefined ? Math.round((after.heapUsed - before.heapUsed!) / n) : undefined,
    };
  } finally {
    for (const c of clients) c.close();
    await sleep(300);
  }
}

export interface Offline {
  queued: number;
  sessions: number;
  rssPerSessionBytes: number;
  heapPerSessionBytes?: number;
}

/**
 * Memory per offline persistent session: `n` clients connect with clean
 * session off, subscribe at QoS 1 and go away; then `queued` QoS 1 messages
 * (64 B) are published to each one's topic and wait in its session. Broker
 * memory after a GC, before and after, divided by `n`.
 */
export async function offlineSessions(b: RunningBroker, queued: number, n: number): Promise<Offline> {
  // Warm the broker's connect and subscribe paths first (compiled code and lazily built tables are not per-session memory).
  for (let i = 0; i < 50; i++) {
    const c = await BenchClient.connect(target(b), `off-warm-${i}`);
    await c.subscribe(`off/warm/${i}`, 1);
    c.close();
  }
  await sleep(100);
  const before = await b.mem();
  for (let i = 0; i < n; i++) {
    const c = await BenchClient.connect(target(b), `off-${queued}-${i}`, 0, false);
    await c.subscribe(`off/${queued}/${i}`, 1);
    c.close();
  }
  await sleep(300);
  if (queued > 0) {
    const pub = await BenchClient.connect(target(b), `off-pub-${queued}`);
    const tpls = Array.from({ length: n }, (_, i) =>
      qos1Template(`off/${queued}/${i}`, Buffer.alloc(PAYLOAD)),
    );
    const total = n * queued;
    let sent = 0;
    // At most 1000 unacknowledged: packet ids are never reused while in flight.
    while (pub.acked < total) {
      while (sent < total && sent - pub.acked < 1000) {
        const t = tpls[sent % n];
        const m = Buffer.from(t.buf);
        m.writeUInt16BE((sent % 65535) + 1, t.pidAt);
        pub.write(m);
        sent++;
      }
      await new Promise<void>((r) => (pub.onData = r));
    }
    pub.close();
    await sleep(300);
  }
  const after = await b.mem();
  return {
    queued,
    sessions: n,
    rssPerSessionBytes: Math.round((after.rss - before.rss) / n),
    heapPerSessionBytes:
      after.heapUsed !== undefined ? Math.round((after.heapUsed - before.heapUsed!) / n) : undefined,
  };
}
