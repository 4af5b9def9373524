// The session store through Redis Sentinel (store.url redis+sentinel://host:port/<master>/<db>): a
// master, its replica and one sentinel (redis-server --sentinel: the Debian redis-server binary; the
// redis-sentinel package only links to it), all on loopback. A node keeps a session with queued
// messages through the sentinel; the master is killed; the sentinel promotes the replica; the running
// node follows it and queues more; a fresh node finds the new master through the sentinel and resumes
// the session with its whole queue. Skips when
// redis-server (Debian package redis-server) is missing.

import { describe, it, expect, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime, uniqueId, waitUntil } from '../helpers/runtime.ts';
import { redisAnswers, redisTool } from '../helpers/redis.ts';
import { freePorts } from '../helpers/ports.ts';
import { redisOptions } from '../../runtime/redis-url.ts';

const d = redisTool.path ? describe : describe.skip;
if (!redisTool.path) console.log(redisTool.reason);

describe('redis+sentinel:// URLs', () => {
  it('become ioredis sentinel options; bad ones get a one-line reason', () => {
    expect(redisOptions('redis+sentinel://:pw@10.0.0.1:26379,h2/mm/2', { keyPrefix: 'p:' })).toEqual({
      keyPrefix: 'p:',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'h2', port: 26379 },
      ],
      name: 'mm',
      db: 2,
      password: 'pw',
    });
    expect(redisOptions('redis+sentinel://h:1', {})).toMatch(/expected redis\+sentinel:\/\/host:port/);
    expect(redisOptions('redis+sentinel://h:x/mm', {})).toMatch(/bad sentinel address "h:x"/);
  });
});

d('session store through Redis Sentinel', () => {
  const rt = createRuntime();
  const procs: ChildProcess[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-sentinel-'));
  afterAll(async () => {
    await rt.cleanup();
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (args: string[]): ChildProcess => {
    const p = spawn(redisTool.path!, args, { stdio: 'ignore' });
    procs.push(p);
    return p;
  };
  const answers = redisAnswers;

  const until = async (cond: () => Promise<boolean>, ms: number, what: string): Promise<void> => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('a fresh node resumes a session with its queue through the sentinel, after the master failed over', async () => {
    const [mp, rp, sp] = await freePorts(3);
    const base = (port: number, name: string) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--dir',
      dir,
      '--dbfilename',
      `${name}.rdb`,
    ];
    const master = run([...base(mp, 'm'), '--appendonly', 'no']);
    run([...base(rp, 'r'), '--replicaof', '127.0.0.1', String(mp)]);
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${sp}`,
        'bind 127.0.0.1',
        `sentinel monitor mm 127.0.0.1 ${mp} 1`,
        'sentinel down-after-milliseconds mm 500',
        'sentinel failover-timeout mm 5000',
        '',
      ].join('\n'),
    );
    run([conf, '--sentinel']);
    await until(
      () => answers(rp, async (r) => (await r.info('replication')).includes('master_link_status:up')),
      15_000,
      'the replica in sync',
    );

    const url = `redis+sentinel://127.0.0.1:${sp}/mm/0`;
    const store = { kind: 'redis', url, keyPrefix: 'st:', loadTimeoutMs: 5000 };
    // The sentinel learns of the replica from the master's INFO: it can fail over only then.
    await until(
      () => answers(sp, async (r) => ((await r.call('SENTINEL', 'replicas', 'mm')) as unknown[]).length > 0),
      30_000,
      'the sentinel to know the replica',
    );
    const a = await rt.server({ node: 'sa', store });
    const opts = {
      protocolVersion: 5 as const,
      clientId: uniqueId('sent'),
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    };
    const sub = await rt.client(a, opts);
    await sub.subscribeAsync({ 'st/#': { qos: 1 } });
    await sub.endAsync();
    const pub = await rt.client(a, { protocolVersion: 5 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => pub.publishAsync(`st/${i}`, `m${i}`, { qos: 1 })));
    // Replication is asynchronous: what the master confirmed reaches the replica a moment later.
    await answers(mp, async (r) => (await r.call('WAIT', '1', '2000')) === 1);

    master.kill('SIGKILL');
    // Promoted, and announced by the sentinel (a node starting before that would dial the dead master).
    await until(
      () =>
        answers(sp, async (r) => {
          const addr = (await r.call('SENTINEL', 'get-master-addr-by-name', 'mm')) as string[];
          return addr[1] === String(rp);
        }),
      20_000,
      'the sentinel to promote the replica',
    );
    // The running node finds the new master through the sentinel: 5 more are acknowledged once stored there.
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => pub.publishAsync(`st/${10 + i}`, `m${10 + i}`, { qos: 1 })),
    );
    await pub.endAsync();
    await a.stop();
    const b = await rt.server({ node: 'sb', store });
    const back = await rt.client(b, opts);
    expect(back.connack!.sessionPresent).toBe(true);
    await waitUntil(() => back.inbox.length >= 15, 5000, '15 queued messages');
    expect(back.inbox.messages.map((m) => m.payload.toString())).toEqual(
      Array.from({ length: 15 }, (_, i) => `m${i}`),
    );
  }, 60_000);
});
