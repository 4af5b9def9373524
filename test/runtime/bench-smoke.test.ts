// The broker benchmark's quick mode end to end: all three brokers (Mosquitto
// when installed) in their own processes, every scenario, numbers in the
// JSON. No thresholds: performance is measured by `npm run bench`, not tested.

import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisTool } from '../helpers/redis.ts';

const root = new URL('../..', import.meta.url).pathname;

describe('npm run bench -- --quick', () => {
  it('produces a number for every broker and scenario', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    try {
      const out = join(dir, 'quick.json');
      const r = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'bench/run.ts', '--quick', '--no-sim', '--no-redis', '--out', out],
        { cwd: root, encoding: 'utf8', timeout: 55_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('| scenario');
      const res = JSON.parse(readFileSync(out, 'utf8'));
      const brokers = ['mqttlab', 'aedes', ...(existsSync('/usr/sbin/mosquitto') ? ['mosquitto'] : [])];
      const row = (m: string) => res.rows.find((x: { metric: string }) => x.metric === m);
      for (const m of [
        'fanIn',
        'fanOut',
        'qos1',
        'latP50',
        'latP99',
        'latCpu',
        'connectRate',
        'rssPerConn',
      ]) {
        for (const b of brokers) expect(row(m)?.brokers[b]?.median, `${m} ${b}`).toBeTypeOf('number');
      }
      for (const b of ['mqttlab', 'aedes'])
        expect(row('heapPerConn')?.brokers[b]?.median, `heap ${b}`).toBeTypeOf('number');
      for (const m of ['cluster', 'clusterQos1', 'fanInCpu', 'clusterCpu', 'qos1Cpu', 'clusterQos1Cpu'])
        expect(row(m)?.brokers.mqttlab?.median, m).toBeGreaterThan(0);
      expect(r.stdout).toMatch(/QoS 0: cluster \/ fan-in per repetition: \d+%/);
      expect(row('fanIn').ratio.aedes).toBeTypeOf('number');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000); // typically 15-25 s; room for a loaded CI machine
});

// The Redis rows `npm run bench` runs (bench/redis-bench.ts), on their own: the main smoke above has no room.
describe.skipIf(!redisTool.path)('npm run bench: the Redis session store rows', () => {
  it('QoS 1 msg/s and takeover ms for the Redis store, Aedes + Redis and both clusters; route lookups', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/redis-bench.ts', '--quick', '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    const names = res.rows.map((x: string[]) => x[0]);
    expect(names).toContain('Aedes + aedes-persistence-redis');
    expect(names).toContain('mqttlab 2-node cluster on --session-store redis');
    for (const [name, perSec, connack, all] of res.rows.slice(1) as string[][]) {
      expect(Number(perSec), name).toBeGreaterThan(0);
      expect(Number(all), name).toBeGreaterThanOrEqual(Number(connack));
    }
    expect(res.routes.memory).toBeGreaterThan(0);
    expect(res.routes.redis).toBeGreaterThan(0);
  }, 120_000);
});
if (!redisTool.path) console.log(redisTool.reason);
