// Seed sweeps split over machines: a shard runs exactly its seeds, and the
// shards' JSON results merge into one table (failing seeds with replay
// commands, missing shards, seeds whose hashes disagree).

import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineScenario } from '../../sim/scenario.ts';
import {
  formatMerged,
  mergeSweeps,
  parseShard,
  runSweep,
  shardSeeds,
  type SweepResult,
} from '../../sim/shard.ts';

const root = new URL('../..', import.meta.url).pathname;
const sim = (args: string[]) =>
  spawnSync(process.execPath, ['bin/sim.js', ...args], { cwd: root, encoding: 'utf8', timeout: 110_000 });

// A real property on random latency: a QoS 0 message crosses client -> broker -> client within 2.5 ms.
// Links take 0.2-2 ms each way, so some seeds fail it: the sweep has failing seeds to report.
const fastPath = defineScenario({
  name: 'fast-path',
  description: 'one message through one broker within 2.5 ms',
  world: { latency: { kind: 'uniform', min: 0.2, max: 2 } },
  async run(w, ctx) {
    w.addBroker('n1');
    const sub = w.client('sub', { target: 'n1', subscriptions: [{ filter: 't', qos: 0 }] });
    const pub = w.client('pub', { target: 'n1' });
    await w.until(() => sub.connected && pub.connected, { timeoutMs: 5000 });
    await w.sleep(100);
    const sent = w.now;
    pub.publish('t', 0);
    await w.until(() => sub.received.length > 0, { timeoutMs: 1000 });
    const took = w.now - sent;
    if (took > 2.5) ctx.violation('fast-path', `took ${took.toFixed(2)} ms`);
  },
});

describe('sim run --seeds --shard', () => {
  it('shard i/n runs every n-th seed from the i-th; the shards cover the range once', () => {
    expect(shardSeeds({ from: 1, to: 8 }, parseShard('2/4'))).toEqual([2, 6]);
    const all = [1, 2, 3, 4].flatMap((i) => shardSeeds({ from: 5, to: 17 }, { index: i, count: 4 }));
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 13 }, (_, k) => 5 + k));
    expect(() => parseShard('5/4')).toThrow(/1 <= i <= n/);
    expect(() => parseShard('0/4')).toThrow(/1 <= i <= n/);
  });

  it('split-brain --seeds 1..8 --shard 2/4 --json runs exactly seeds 2 and 6', () => {
    const params = ['--param', 'steadyMs=1000', '--param', 'splitMs=3000', '--param', 'drainMs=5000'];
    const r = sim([
      'run',
      'scenarios/split-brain.ts',
      '--seeds',
      '1..8',
      '--shard',
      '2/4',
      '--json',
      ...params,
    ]);
    expect(r.stderr).toBe('');
    const res = JSON.parse(r.stdout) as SweepResult;
    expect(res.ran).toBe(2);
    expect(res.hashes).toHaveLength(2);
    expect(res.shard).toEqual({ index: 2, count: 4 });
    // Seed 6 run alone gives the shard's second hash.
    const one = JSON.parse(
      sim(['run', 'scenarios/split-brain.ts', '--seed', '6', '--json', ...params]).stdout,
    );
    expect(one.hash).toBe(res.hashes[1]);
  }, 120_000);

  it('a bad --shard is a one-line error', () => {
    const r = sim(['run', 'scenarios/split-brain.ts', '--seeds', '1..8', '--shard', '3/2']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('--shard 3/2: expected i/n with 1 <= i <= n (e.g. 2/4)');
  });
});

describe('sim report merge', () => {
  it('joins 4 shards into one table with the failing seeds and their replay commands', async () => {
    const range = { from: 1, to: 24 };
    const shards: SweepResult[] = [];
    for (let i = 1; i <= 4; i++)
      shards.push(await runSweep(fastPath, 'scenarios/fast-path.ts', range, { index: i, count: 4 }, {}));
    const m = mergeSweeps(shards);
    expect(m.ran).toBe(24);
    expect(m.missing).toEqual([]);
    expect(m.disagreements).toEqual([]);
    const failing = shards.flatMap((s) => s.failures.map((f) => f.seed)).sort((a, b) => a - b);
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.length).toBeLessThan(24);
    expect(m.failures.map((f) => f.seed)).toEqual(failing);
    expect(m.passed).toBe(24 - failing.length);
    const text = formatMerged(m);
    expect(text.match(/^shard /gm)).toHaveLength(1); // one table
    expect(text).toContain(`total  24`);
    for (const s of failing) expect(text).toContain(`npx sim run scenarios/fast-path.ts --seed ${s}`);

    // Through the CLI, from files; one shard left out is reported missing.
    const dir = mkdtempSync(join(tmpdir(), 'shards-'));
    try {
      const files = shards.map((s, i) => {
        const f = join(dir, `shard-${i + 1}.json`);
        writeFileSync(f, JSON.stringify(s));
        return f;
      });
      const r = sim(['report', 'merge', ...files]);
      expect(r.status).toBe(1); // failing seeds
      expect(r.stdout).toContain(
        `verdict    FAIL: ${24 - failing.length} passed, ${failing.length} failed of 24 seeds run`,
      );
      const partial = sim(['report', 'merge', files[0], files[2], files[3], '--json']);
      expect(JSON.parse(partial.stdout).missing).toEqual([2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a seed run twice with different hashes is reported as not reproducible; different sweeps are refused', () => {
    const base: SweepResult = {
      type: 'sweep',
      scenario: 's.ts',
      name: 's',
      params: {},
      seeds: { from: 1, to: 4 },
      shard: { index: 1, count: 2 },
      ran: 2,
      passed: 2,
      failures: [],
      hashes: ['a', 'b'],
      events: 1,
      simulatedMs: 1,
      wallMs: 1,
    };
    const m = mergeSweeps([
      base,
      { ...base, hashes: ['a', 'c'] },
      { ...base, shard: { index: 2, count: 2 }, hashes: ['d', 'e'] },
    ]);
    expect(m.disagreements).toEqual([{ seed: 3, hashes: ['b', 'c'] }]);
    expect(formatMerged(m)).toContain('NOT REPRODUCIBLE  seed 3');
    expect(() => mergeSweeps([base, { ...base, params: { x: 1 } }])).toThrow(/different sweeps/);
  });
});
