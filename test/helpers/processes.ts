// Real `runtime start` processes for integration tests: spawn, read the
// ports they print, wait for their exit; always killed in afterAll.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePorts } from './ports.ts';
import { waitUntil } from './runtime.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface Proc {
  name: string;
  child: ChildProcess;
  out: string;
  mqttPort: number;
  adminPort: number;
  exited: Promise<number | null>;
}

export function spawnRuntime(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
  const child = spawn(process.execPath, ['bin/runtime.js', 'start', '--node', name, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = {
    name,
    child,
    out: '',
    mqttPort: 0,
    adminPort: 0,
    exited: new Promise((r) => child.on('exit', (code) => r(code))),
  };
  const onData = (b: Buffer) => {
    p.out += b.toString();
    const m = /mqtt:\/\/[^\s:]+:(\d+)/.exec(p.out);
    if (m && !p.mqttPort) p.mqttPort = Number(m[1]);
    const a = / admin http:\/\/[^\s:]+:(\d+)/.exec(p.out);
    if (a && !p.adminPort) p.adminPort = Number(a[1]);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return p;
}

export function alive(p: Proc): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

/** SIGKILLs every process still running and waits (at most 3 s each) for them to exit. */
export async function killAll(procs: Proc[]): Promise<void> {
  for (const p of procs) if (alive(p)) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(r, 3000))])));
}

export async function getJson(port: number, p: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return {
    status: res.status,
    body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text,
  };
}

/** `runtime start` arguments of a clustered node on loopback (MQTT on a free port, no WebSocket) with `cfgFile`. */
export function loopbackArgs(cfgFile: string): string[] {
  return [
    '--config',
    cfgFile,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--no-ws',
    '--cluster-host',
    '127.0.0.1',
  ];
}

/**
 * `runtime start` processes n1..nN clustered over loopback by static seeds (config `cfgFile`, `secret` in the
 * environment), each with `extra` arguments, pushed into `procs` (so afterAll kills them whatever happens);
 * resolves once all listen (and serve the admin API when `extra` enables it).
 */
export async function spawnCluster(
  procs: Proc[],
  n: number,
  cfgFile: string,
  secret: string,
  extra: string[] = [],
): Promise<void> {
  const ports = await freePorts(n);
  const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`).join(',');
  const env = { ...process.env, MQTTLAB_CLUSTER_SECRET: secret };
  const common = loopbackArgs(cfgFile);
  for (const [i, port] of ports.entries())
    procs.push(
      spawnRuntime(`n${i + 1}`, [...common, '--cluster-port', String(port), '--seeds', seeds, ...extra], env),
    );
  const admin = extra.includes('--admin-port');
  await waitUntil(
    () => procs.every((p) => p.mqttPort > 0 && (!admin || p.adminPort > 0)),
    15_000,
    `all processes to listen (output: ${procs.map((p) => p.out).join(' | ')})`,
  );
}
