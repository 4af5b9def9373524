// A private redis-server for a test: a free loopback port, a temporary directory, no snapshots;
// stopped (SIGKILL: a crash) or restarted by the test. Tests skip when redis-server is missing.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { tool } from './tools.ts';
import { freePorts } from './ports.ts';

export const redisTool = tool('redis-server');

export class RedisServer {
  private child: ChildProcess | null = null;
  out = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<RedisServer> {
    const [port] = await freePorts(1);
    const r = new RedisServer(port, mkdtempSync(path.join(os.tmpdir(), 'mqttlab-redis-')));
    await r.run();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Starts the server (again) on the same port and directory; `aof`: keep an append-only file. */
  async run(aof = true): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push('--appendonly', aof ? 'yes' : 'no', '--appendfsync', 'always');
    const child = (this.child = spawn(redisTool.path!, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    child.stdout!.on('data', (b: Buffer) => (this.out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (this.out += b.toString()));
    const until = Date.now() + 10_000;
    while (!(await this.answers())) {
      if (Date.now() > until || child.exitCode !== null)
        throw new Error(`redis-server did not start on ${this.port}: ${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Whether it answers PING. */
  private answers(): Promise<boolean> {
    return redisAnswers(this.port, async (r) => (await r.ping()) === 'PONG');
  }

  /** SIGKILL (what the AOF holds survives) and wait for the exit. */
  async kill(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.on('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What `check` says of the Redis (or sentinel) on `port`; false when it cannot be reached. */
export async function redisAnswers(port: number, check: (r: Redis) => Promise<boolean>): Promise<boolean> {
  const r = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  r.on('error', () => {});
  try {
    await r.connect();
    return await check(r);
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}
