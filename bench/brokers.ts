// Starts and stops the brokers under test, each in its own process:
// ours and Aedes through bench/serve.ts, Mosquitto from the Debian package
// with a generated config on a free loopback port.

import { fork, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { freePorts } from '../sim/live/ports.ts';

export type BrokerKind = 'mqttlab' | 'mosquitto' | 'aedes';

export interface Memory {
  /** Resident set of the broker process (bytes). */
  rss: number;
  /** JS heap after a full GC (Node brokers only). */
  heapUsed?: number;
}

export interface RunningBroker {
  kind: BrokerKind;
  port: number;
  pid: number;
  mem(): Promise<Memory>;
  /** Messages the broker dropped, by reason (ours only). */
  dropped(): Promise<Record<string, unknown>>;
  /** Garbage collections since the last call (Node brokers; undefined for Mosquitto). */
  gc(): Promise<GcPauses | undefined>;
  stop(): Promise<void>;
}

/** V8 garbage collection pauses of a broker process over some window. */
export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
}

export interface StartOptions {
  /** Extra runtime config for our broker (cluster settings). */
  overrides?: Record<string, unknown>;
  /** Write a V8 CPU profile of the broker process into this directory. */
  cpuProfDir?: string;
}

export const MOSQUITTO = '/usr/sbin/mosquitto';
const SERVE = new URL('./serve.ts', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;

/** Our broker's settings for the benchmark: no WebSocket/admin/$SYS, room for pipelined QoS 1. */
export function mqttlabConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    node: 'bench',
    listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
    limits: { maxInflight: 100, maxQueuedMessages: 100_000 },
    sysInterval: 0,
    ...extra,
  };
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export async function startBroker(kind: BrokerKind, opts: StartOptions = {}): Promise<RunningBroker> {
  return kind === 'mosquitto' ? startMosquitto() : startNode(kind, opts);
}

async function startNode(kind: 'mqttlab' | 'aedes', opts: StartOptions): Promise<RunningBroker> {
  const execArgv = ['--import', 'tsx', '--expose-gc'];
  if (opts.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  const args = kind === 'mqttlab' ? [kind, JSON.stringify(mqttlabConfig(opts.overrides))] : [kind];
  const child = fork(SERVE, args, { cwd: ROOT, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${kind} did not start`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code}`)));
    child.once('message', (m: { port: number }) => {
      clearTimeout(t);
      resolve(m.port);
    });
  });
  child.removeAllListeners('exit');
  return {
    kind,
    port,
    pid: child.pid!,
    mem: () =>
      new Promise((resolve) => {
        child.once('message', (m: { mem: { rss: number; heapUsed: number } }) =>
          resolve({ rss: rssOf(child.pid!), heapUsed: m.mem.heapUsed }),
        );
        child.send({ cmd: 'mem' });
      }),
    dropped: () =>
      new Promise((resolve) => {
        child.once('message', (m: { dropped: Record<string, number> }) => resolve(m.dropped));
        child.send({ cmd: 'stats' });
      }),
    gc: () =>
      new Promise((resolve) => {
        child.once('message', (m: { gc: GcPauses }) => resolve(m.gc));
        child.send({ cmd: 'gc' });
      }),
    stop: () => stopChild(child, () => child.send({ cmd: 'stop' })),
  };
}

async function waitListening(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Mosquitto; `persistence`: with `persistence true` in its own directory and these autosave settings
 * (e.g. ['autosave_interval 1800']), as the data dir benchmark compares (bench/store-bench.ts).
 */
export async function startMosquitto(persistence?: string[]): Promise<RunningBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'mqttlab-bench-'));
  // Started as root, mosquitto drops to its own user: it must be able to write its database here.
  if (persistence) chmodSync(dir, 0o777);
  const [port] = await freePorts(1);
  const conf = join(dir, 'mosquitto.conf');
  // Comparable to ours: in-memory only, Nagle off, same inflight window and queue bound.
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      ...(persistence
        ? ['persistence true', `persistence_location ${dir}/`, ...persistence]
        : ['persistence false']),
      'log_dest none',
      'set_tcp_nodelay true',
      'max_inflight_messages 100',
      'max_queued_messages 100000',
      'sys_interval 0',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitListening(port, child, 'mosquitto');
  return {
    kind: 'mosquitto',
    port,
    pid: child.pid!,
    mem: async () => ({ rss: rssOf(child.pid!) }),
    dropped: async () => ({}),
    gc: async () => undefined,
    stop: async () => {
      await stopChild(child, () => child.kill('SIGTERM'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function stopChild(child: ChildProcess, ask: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    ask();
  });
}

/** A 3-node cluster of our broker, each node its own process, static seeds on free ports. */
export async function startCluster(n: number, opts: StartOptions = {}): Promise<RunningBroker[]> {
  const ports = await freePorts(n);
  const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`);
  const started = await Promise.allSettled(
    ports.map((p, i) =>
      startNode('mqttlab', {
        ...opts,
        overrides: {
          node: `n${i + 1}`,
          cluster: { enabled: true, host: '127.0.0.1', port: p, secret: 'bench', seeds, ackMode: 'local' },
        },
      }),
    ),
  );
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (nodes.length < n) {
    await Promise.all(nodes.map((x) => x.stop()));
    throw (started.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
  }
  return nodes;
}
