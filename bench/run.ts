// Broker benchmark: our broker side by side with Mosquitto and Aedes, each
// in its own process, driven by the same load generator (this process),
// interleaved over several repetitions. Prints a table, writes JSON, then runs the Redis session store
// rows (bench/redis-bench.ts: skipped with the reason when redis-server is missing) and the simulator
// benchmark (bench/sim-bench.ts).
//   npm run bench [-- --quick] [--reps N] [--out FILE] [--only a,b] [--brokers a,b] [--no-redis] [--no-sim] [--cpu-prof DIR]
//   [--cluster-window N] (the QoS 0 cluster row's window per flow; default 200, fan-in's is 1000)
// (--only offline: memory per offline persistent session with 0, 10 and 1,000 queued messages; not in the default set)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import os from 'node:os';
import { MOSQUITTO, startBroker, startCluster, type BrokerKind, type RunningBroker } from './brokers.ts';
import { latencyPlotHtml } from './plot.ts';
import {
  FULL,
  QUICK,
  fanIn,
  fanOut,
  qos1,
  latency,
  idle,
  offlineSessions,
  clusterFanIn,
  type Timing,
} from './scenarios.ts';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('--quick');
const timing: Timing = quick ? QUICK : FULL;
const reps = Number(opt('--reps') ?? (quick ? 1 : 3));
const out = resolve(opt('--out') ?? new URL('./results/latest.json', import.meta.url).pathname);
const only = opt('--only')?.split(',');
const clusterWindow = opt('--cluster-window') ? Number(opt('--cluster-window')) : undefined;
const cpuProfDir = opt('--cpu-prof') ? resolve(opt('--cpu-prof')!) : undefined;
const want = (s: string) => !only || only.includes(s);
let brokers: BrokerKind[] = (opt('--brokers')?.split(',') as BrokerKind[]) ?? [
  'mqttlab',
  'mosquitto',
  'aedes',
];
if (brokers.includes('mosquitto') && !existsSync(MOSQUITTO)) {
  console.warn(`mosquitto not found at ${MOSQUITTO}: measuring without it (apt-get install mosquitto)`);
  brokers = brokers.filter((b) => b !== 'mosquitto');
}

/** Publish rates of the latency curve (msg/s); the first one's rows keep their old keys (latP50...). */
const LATENCY_RATES = quick ? [1000, 10_000] : [1000, 10_000, 50_000];
const latKey = (rate: number, p: 'P50' | 'P99' | 'P999') =>
  rate === 1000 ? `lat${p}` : `lat${rate / 1000}k${p}`;

/** Offline persistent sessions: [queued messages each, sessions]; run only when asked (--only offline). */
const OFFLINE: [number, number][] = quick
  ? [
      [0, 20],
      [10, 20],
      [1000, 5],
    ]
  : [
      [0, 1000],
      [10, 1000],
      [1000, 100],
    ];

/** Each metric: unit, whether higher is better, and how to run it against one broker. */
interface Metric {
  key: string;
  label: string;
  unit: string;
  higher: boolean;
}
const METRICS: Metric[] = [
  { key: 'fanIn', label: 'fan-in QoS 0 (10 pub -> 10 sub)', unit: 'msg/s', higher: true },
  { key: 'fanOut', label: 'fan-out QoS 0 (1 pub -> 100 sub)', unit: 'msg/s', higher: true },
  { key: 'qos1', label: 'QoS 1 1:1 pipelined (10 pairs)', unit: 'msg/s', higher: true },
  { key: 'latP50', label: 'latency p50 @ 1,000 msg/s', unit: 'us', higher: false },
  { key: 'latP99', label: 'latency p99 @ 1,000 msg/s', unit: 'us', higher: false },
  { key: 'latP999', label: 'latency p999 @ 1,000 msg/s', unit: 'us', higher: false },
  ...LATENCY_RATES.slice(1).flatMap((rate) =>
    (['P50', 'P99', 'P999'] as const).map((p) => ({
      key: latKey(rate, p),
      label: `latency ${p.toLowerCase()} @ ${rate.toLocaleString('en')} msg/s`,
      unit: 'us',
      higher: false,
    })),
  ),
  { key: 'latCpu', label: 'broker CPU per message @ 1,000 msg/s', unit: 'us', higher: false },
  { key: 'connectRate', label: `connect rate (${timing.idleClients} clients)`, unit: 'conn/s', higher: true },
  { key: 'rssPerConn', label: 'RSS per idle connection', unit: 'B', higher: false },
  { key: 'heapPerConn', label: 'JS heap per idle connection', unit: 'B', higher: false },
  { key: 'cluster', label: '3-node cluster, pub/sub on different nodes', unit: 'msg/s', higher: true },
  { key: 'clusterQos1', label: '3-node cluster, QoS 1 (10 pairs)', unit: 'msg/s', higher: true },
  { key: 'fanInCpu', label: 'fan-in broker CPU per message', unit: 'us', higher: false },
  { key: 'clusterCpu', label: 'cluster CPU per message (3 nodes)', unit: 'us', higher: false },
  { key: 'qos1Cpu', label: 'QoS 1 broker CPU per message', unit: 'us', higher: false },
  { key: 'clusterQos1Cpu', label: 'cluster QoS 1 CPU per message (3 nodes)', unit: 'us', higher: false },
  ...OFFLINE.flatMap(([q, n]) => [
    {
      key: `offline${q}Rss`,
      label: `RSS per offline session, ${q} queued (${n} sessions)`,
      unit: 'B',
      higher: false,
    },
    { key: `offline${q}Heap`, label: `JS heap per offline session, ${q} queued`, unit: 'B', higher: false },
  ]),
];

type Samples = Record<string, Partial<Record<BrokerKind, number[]>>>;
const samples: Samples = {};
const raw: unknown[] = [];
const record = (key: string, b: BrokerKind, v: number | undefined) => {
  if (v === undefined || !Number.isFinite(v)) return;
  ((samples[key] ??= {})[b] ??= []).push(v);
};

type Scenario = 'fanin' | 'fanout' | 'qos1' | 'latency' | 'idle' | 'offline';
const SCENARIOS: Scenario[] = (
  ['fanin', 'fanout', 'qos1', 'latency', 'idle', 'offline'] as Scenario[]
).filter((s) => (s === 'offline' ? only?.includes(s) : want(s)));

async function runScenario(b: RunningBroker, sc: Scenario, r: Record<string, unknown>): Promise<void> {
  const kind = b.kind;
  if (sc === 'fanin') {
    const x = (r.fanIn = await fanIn(b, timing));
    record('fanIn', kind, x.msgsPerSec);
    record('fanInCpu', kind, x.cpuUsPerMsg?.[0]);
  }
  if (sc === 'fanout') record('fanOut', kind, (r.fanOut = await fanOut(b, timing)).msgsPerSec);
  if (sc === 'qos1') {
    const x = (r.qos1 = await qos1(b, timing));
    record('qos1', kind, x.msgsPerSec);
    record('qos1Cpu', kind, x.cpuUsPerMsg?.[0]);
  }
  if (sc === 'latency') {
    const xs = [];
    for (const rate of LATENCY_RATES) {
      const x = await latency(b, timing, rate);
      xs.push(x);
      record(latKey(rate, 'P50'), kind, x.p50us);
      record(latKey(rate, 'P99'), kind, x.p99us);
      record(latKey(rate, 'P999'), kind, x.p999us);
      if (rate === 1000) record('latCpu', kind, x.cpuUsPerMsg);
    }
    r.latency = xs;
  }
  if (sc === 'offline') {
    const xs = [];
    for (const [q, n] of OFFLINE) {
      const x = await offlineSessions(b, q, n);
      xs.push(x);
      record(`offline${q}Rss`, kind, x.rssPerSessionBytes);
      record(`offline${q}Heap`, kind, x.heapPerSessionBytes);
    }
    r.offline = xs;
  }
  if (sc === 'idle') {
    const x = (r.idle = await idle(b, timing));
    record('connectRate', kind, x.connectsPerSec);
    record('rssPerConn', kind, x.rssPerConnBytes);
    record('heapPerConn', kind, x.heapPerConnBytes);
  }
}

/** Runs `scenarios` on a fresh broker process of `kind`. */
async function measure(kind: BrokerKind, rep: number, scenarios: Scenario[]): Promise<void> {
  const b = await startBroker(kind, { cpuProfDir: kind === 'mqttlab' ? cpuProfDir : undefined });
  const r: Record<string, unknown> = { broker: kind, rep };
  try {
    for (const sc of scenarios) await runScenario(b, sc, r);
    r.brokerDropped = await b.dropped();
    raw.push(r);
    process.stderr.write(`  rep ${rep + 1} ${kind}: ${JSON.stringify(r)}\n`);
  } finally {
    await b.stop();
  }
}

const sum = (xs: number[] | undefined) => (xs ? xs.reduce((a, b) => a + b, 0) : undefined);

/** A cluster row on a fresh 3-node cluster: QoS 0 always, QoS 1 when the QoS 1 row runs too. */
async function measureCluster(rep: number, qos: 0 | 1): Promise<void> {
  const nodes: RunningBroker[] = await startCluster(3, { cpuProfDir });
  try {
    const x = await clusterFanIn(nodes, timing, qos, clusterWindow);
    record(qos ? 'clusterQos1' : 'cluster', 'mqttlab', x.msgsPerSec);
    record(qos ? 'clusterQos1Cpu' : 'clusterCpu', 'mqttlab', sum(x.cpuUsPerMsg));
    const brokerDropped = await Promise.all(nodes.map((n) => n.dropped()));
    raw.push({ broker: 'mqttlab-cluster-3', rep, qos, cluster: x, brokerDropped });
    process.stderr.write(`  rep ${rep + 1} mqttlab 3-node cluster QoS ${qos}: ${JSON.stringify(x)}\n`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const t0 = Date.now();
const loadBefore = os.loadavg()[0];
console.log(
  `broker benchmark: ${brokers.join(', ')}; ${reps} repetition(s)${quick ? ', quick' : ''}; ${os.cpus().length} CPUs, Node ${process.version}, load average ${loadBefore.toFixed(1)}`,
);
for (let rep = 0; rep < reps; rep++) {
  // Interleaved: every broker once per repetition, the order rotating.
  const order = brokers.map((_, i) => brokers[(i + rep) % brokers.length]);
  if (quick) for (const kind of order) await measure(kind, rep, SCENARIOS);
  // Full: a fresh broker per scenario, so no backlog or garbage carries over from the one before.
  else for (const sc of SCENARIOS) for (const kind of order) await measure(kind, rep, [sc]);
  if (want('cluster') && brokers.includes('mqttlab')) {
    await measureCluster(rep, 0);
    if (want('qos1')) await measureCluster(rep, 1);
  }
}

interface Row {
  metric: string;
  label: string;
  unit: string;
  higherIsBetter: boolean;
  brokers: Partial<Record<BrokerKind, { median: number; min: number; max: number; n: number }>>;
  /** Our median over the peer's: above 1 is better when higher is better, below 1 when lower is better. */
  ratio: Partial<Record<BrokerKind, number>>;
}
const rows: Row[] = [];
for (const m of METRICS) {
  const s = samples[m.key];
  if (!s) continue;
  const row: Row = {
    metric: m.key,
    label: m.label,
    unit: m.unit,
    higherIsBetter: m.higher,
    brokers: {},
    ratio: {},
  };
  for (const b of brokers) {
    const xs = s[b];
    if (xs?.length)
      row.brokers[b] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
  }
  const ours = row.brokers.mqttlab?.median;
  for (const b of brokers) {
    const peer = row.brokers[b]?.median;
    if (b !== 'mqttlab' && ours !== undefined && peer) row.ratio[b] = +(ours / peer).toFixed(2);
  }
  rows.push(row);
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en') : v.toFixed(1));
const cell = (r: Row, b: BrokerKind) => {
  const x = r.brokers[b];
  if (!x) return '-';
  return x.n > 1 ? `${fmt(x.median)} (${fmt(x.min)}..${fmt(x.max)})` : fmt(x.median);
};
const peers = brokers.filter((b) => b !== 'mqttlab');
const header = ['scenario', 'unit', ...brokers, ...peers.map((p) => `ours/${p}`)];
const table = rows.map((r) => [
  r.label + (r.higherIsBetter ? '' : ' (lower better)'),
  r.unit,
  ...brokers.map((b) => cell(r, b)),
  ...peers.map((p) => (r.ratio[p] !== undefined ? `${r.ratio[p]}x` : '-')),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cols: string[]) => '| ' + cols.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
console.log('');
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of table) console.log(line(r));
console.log(
  `\nmedian (min..max) of ${reps} repetition(s); ratios are medians, ours / peer. ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
);

// The cluster against one node, repetition by repetition (each pair ran back to back: same load).
for (const [c, single, what] of [
  ['cluster', 'fanIn', 'QoS 0: cluster / fan-in'],
  ['clusterQos1', 'qos1', 'QoS 1: cluster / single-node QoS 1'],
] as const) {
  const cs = samples[c]?.mqttlab;
  const ss = samples[single]?.mqttlab;
  if (!cs?.length || cs.length !== ss?.length) continue;
  const rs = cs.map((v, i) => v / ss[i]);
  console.log(
    `${what} per repetition: ${rs.map((r) => `${(100 * r).toFixed(0)}%`).join(', ')} ` +
      `(${(100 * Math.min(...rs)).toFixed(0)}%..${(100 * Math.max(...rs)).toFixed(0)}%)`,
  );
}

/** Runs a bench script in its own process: its output lines (printed indented), its last line parsed as JSON. */
function subBench(file: string, args: string[], what: string): unknown {
  console.log(`\n${what} (bench/${file}):`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', new URL(`./${file}`, import.meta.url).pathname, ...args],
    {
      encoding: 'utf8',
      cwd: new URL('..', import.meta.url).pathname,
    },
  );
  const lines = r.stdout.trim().split('\n');
  for (const l of lines.slice(0, -1)) console.log('  ' + l);
  try {
    return JSON.parse(lines[lines.length - 1]);
  } catch {
    console.log(`  ${what} failed: ${r.stderr}`);
    return null;
  }
}

// The Redis session store next to Aedes + aedes-persistence-redis and the replicated cluster (issue 16).
const redis = flag('--no-redis')
  ? null
  : subBench('redis-bench.ts', ['--json', ...(quick ? ['--quick'] : [])], 'Redis session store');

const sim = flag('--no-sim')
  ? null
  : subBench('sim-bench.ts', quick ? ['--quick'] : [], 'simulator benchmark');

mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      host: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        loadAverageBefore: loadBefore,
        loadAverageAfter: os.loadavg()[0],
      },
      mode: quick ? 'quick' : 'full',
      reps,
      timing,
      rows,
      runs: raw,
      redis,
      sim,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nJSON: ${out}`);
const curves = LATENCY_RATES.map((rate) => ({
  rate,
  rows: (['P50', 'P99', 'P999'] as const).map((p) => rows.find((r) => r.metric === latKey(rate, p))),
}));
const series = brokers.flatMap((b) =>
  (['p50', 'p99', 'p999'] as const).map((p, i) => ({
    broker: b,
    percentile: p,
    points: curves.flatMap((c) =>
      c.rows[i]?.brokers[b]
        ? [
            {
              rate: c.rate,
              us: c.rows[i]!.brokers[b]!.median,
              min: c.rows[i]!.brokers[b]!.min,
              max: c.rows[i]!.brokers[b]!.max,
            },
          ]
        : [],
    ),
  })),
);
if (series.some((x) => x.points.length)) {
  const html = out.replace(/\.json$/, '') + '-latency.html';
  writeFileSync(
    html,
    latencyPlotHtml(
      series,
      `median of ${reps} repetition(s), ${new Date().toISOString().slice(0, 16)}Z, load average ${loadBefore.toFixed(1)}`,
    ),
  );
  console.log(`latency vs throughput: ${html}`);
}
