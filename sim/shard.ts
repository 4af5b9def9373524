// Seed sweeps spread over machines: `sim run FILE --seeds A..B --shard i/n`
// runs every n-th seed of the range (the i-th of each n), so n machines that
// know only their index cover the range exactly once (a CI matrix, a
// Kubernetes Indexed Job). Each prints one JSON result; `sim report merge`
// joins them into one table with the failing seeds and their replay
// commands, and says which shards are missing or disagree.

import { readFileSync } from 'node:fs';
import { UsageError } from '../cli/args.ts';
import { LoadError, errnoText } from '../cli/errors.ts';
import { runScenario, type RunResult, type Scenario } from './scenario.ts';

/** Bad arguments or result files: the CLI prints the message alone. */
/** Bad sweep input (a range, a shard, a result file): one line, exit 2. */
export class SweepInputError extends UsageError {}

export interface SeedRange {
  from: number;
  to: number;
}

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

export interface SeedFailure {
  seed: number;
  hash: string;
  violations: { property: string; detail: string }[];
  replay: string;
}

/** What one shard prints with --json. */
export interface SweepResult {
  type: 'sweep';
  scenario: string;
  name: string;
  params: Record<string, number>;
  seeds: SeedRange;
  shard: Shard;
  ran: number;
  passed: number;
  failures: SeedFailure[];
  /** History hash of every seed run, in the shard's order (a merge spots a seed run twice with different results). */
  hashes: string[];
  events: number;
  simulatedMs: number;
  wallMs: number;
}

export function parseSeedRange(s: string): SeedRange {
  const m = /^(\d+)\.\.(\d+)$/.exec(s);
  if (!m || Number(m[1]) > Number(m[2])) throw new SweepInputError(`--seeds ${s}: expected A..B with A <= B`);
  return { from: Number(m[1]), to: Number(m[2]) };
}

export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count)
    throw new SweepInputError(`--shard ${s}: expected i/n with 1 <= i <= n (e.g. 2/4)`);
  return { index, count };
}

/** The seeds shard i/n runs: from+i-1, then every n-th. */
export function shardSeeds(r: SeedRange, sh: Shard): number[] {
  const out: number[] = [];
  for (let s = r.from + sh.index - 1; s <= r.to; s += sh.count) out.push(s);
  return out;
}

export function replayCommand(file: string, seed: number, params: Record<string, number>): string {
  return `npx sim run ${file} --seed ${seed}${Object.entries(params)
    .map(([k, v]) => ` --param ${k}=${v}`)
    .join('')}`;
}

/** Runs one shard's seeds; `onFailure` sees each failing seed as it happens. */
export async function runSweep(
  s: Scenario,
  file: string,
  range: SeedRange,
  shard: Shard,
  params: Record<string, number>,
  onFailure?: (f: SeedFailure) => void,
  onRun?: (r: RunResult, seed: number) => void,
): Promise<SweepResult> {
  const t0 = performance.now();
  const res: SweepResult = {
    type: 'sweep',
    scenario: file,
    name: s.name,
    params,
    seeds: range,
    shard,
    ran: 0,
    passed: 0,
    failures: [],
    hashes: [],
    events: 0,
    simulatedMs: 0,
    wallMs: 0,
  };
  for (const seed of shardSeeds(range, shard)) {
    const r = await runScenario(s, seed, { params });
    onRun?.(r, seed);
    res.ran++;
    res.hashes.push(r.hash);
    res.events += r.events;
    res.simulatedMs += r.simulatedMs;
    if (r.violations.length === 0) res.passed++;
    else {
      const f = { seed, hash: r.hash, violations: r.violations, replay: replayCommand(file, seed, params) };
      res.failures.push(f);
      onFailure?.(f);
    }
  }
  res.wallMs = Math.round(performance.now() - t0);
  return res;
}

export interface MergedSweep {
  scenario: string;
  name: string;
  params: Record<string, number>;
  seeds: SeedRange;
  shards: number;
  /** Shard indexes with no result file. */
  missing: number[];
  /** Seeds run by more than one file with different hashes: the runs were not reproducible. */
  disagreements: { seed: number; hashes: string[] }[];
  ran: number;
  passed: number;
  failures: SeedFailure[];
  rows: { shard: string; ran: number; passed: number; failed: number; events: number; wallMs: number }[];
}

function sameSweep(a: SweepResult, b: SweepResult): string | null {
  if (a.scenario !== b.scenario) return `scenario ${a.scenario} vs ${b.scenario}`;
  if (a.seeds.from !== b.seeds.from || a.seeds.to !== b.seeds.to)
    return `seeds ${a.seeds.from}..${a.seeds.to} vs ${b.seeds.from}..${b.seeds.to}`;
  if (a.shard.count !== b.shard.count) return `shard count ${a.shard.count} vs ${b.shard.count}`;
  if (JSON.stringify(a.params) !== JSON.stringify(b.params))
    return `params ${JSON.stringify(a.params)} vs ${JSON.stringify(b.params)}`;
  return null;
}

/** Joins shard results of one sweep; throws when they belong to different sweeps. */
export function mergeSweeps(results: SweepResult[]): MergedSweep {
  if (results.length === 0) throw new SweepInputError('nothing to merge');
  const first = results[0];
  for (const r of results) {
    if (r.type !== 'sweep')
      throw new SweepInputError(
        'not a sweep result (make it with sim run FILE --seeds A..B --shard i/n --json)',
      );
    const diff = sameSweep(first, r);
    if (diff) throw new SweepInputError(`shards of different sweeps: ${diff}`);
  }
  const hashes = new Map<number, Set<string>>();
  const failures = new Map<number, SeedFailure>();
  const byIndex = new Map<number, SweepResult>();
  for (const r of results) {
    shardSeeds(r.seeds, r.shard).forEach((seed, k) => {
      if (k < r.hashes.length) (hashes.get(seed) ?? hashes.set(seed, new Set()).get(seed)!).add(r.hashes[k]);
    });
    for (const f of r.failures) failures.set(f.seed, f);
    byIndex.set(r.shard.index, r);
  }
  const shards = [...byIndex.values()].sort((a, b) => a.shard.index - b.shard.index);
  const missing: number[] = [];
  for (let i = 1; i <= first.shard.count; i++) if (!byIndex.has(i)) missing.push(i);
  const disagreements = [...hashes]
    .filter(([, h]) => h.size > 1)
    .map(([seed, h]) => ({ seed, hashes: [...h] }));
  return {
    scenario: first.scenario,
    name: first.name,
    params: first.params,
    seeds: first.seeds,
    shards: first.shard.count,
    missing,
    disagreements,
    ran: hashes.size,
    passed: hashes.size - failures.size,
    failures: [...failures.values()].sort((a, b) => a.seed - b.seed),
    rows: shards.map((r) => ({
      shard: `${r.shard.index}/${r.shard.count}`,
      ran: r.ran,
      passed: r.passed,
      failed: r.failures.length,
      events: r.events,
      wallMs: r.wallMs,
    })),
  };
}

function table(head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(w[i]))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...cells.map(fmt)].join('\n');
}

export function formatMerged(m: MergedSweep): string {
  const out: string[] = [];
  const ps = Object.entries(m.params)
    .map(([k, v]) => ` --param ${k}=${v}`)
    .join('');
  out.push(
    `sweep      ${m.name} (${m.scenario}${ps}), seeds ${m.seeds.from}..${m.seeds.to} in ${m.shards} shard(s)`,
  );
  const rows = m.rows.map((r) => [
    r.shard,
    r.ran,
    r.passed,
    r.failed,
    r.events.toLocaleString('en'),
    `${(r.wallMs / 1000).toFixed(1)} s`,
  ]);
  const sum = (k: 'ran' | 'events' | 'wallMs') => m.rows.reduce((a, r) => a + r[k], 0);
  rows.push([
    'total',
    m.ran,
    m.passed,
    m.failures.length,
    sum('events').toLocaleString('en'),
    `${(sum('wallMs') / 1000).toFixed(1)} s`,
  ]);
  out.push(table(['shard', 'seeds', 'passed', 'failed', 'events', 'wall'], rows));
  const expected = m.seeds.to - m.seeds.from + 1;
  if (m.missing.length)
    out.push(
      `missing    shard(s) ${m.missing.map((i) => `${i}/${m.shards}`).join(', ')}: ${m.ran} of ${expected} seeds run`,
    );
  for (const d of m.disagreements)
    out.push(
      `NOT REPRODUCIBLE  seed ${d.seed} gave different hashes in different shard files: ${d.hashes.join(' ')}`,
    );
  if (m.failures.length) {
    out.push('failing seeds');
    out.push(
      table(
        ['seed', 'property', 'detail', 'replay'],
        m.failures.map((f) => [
          f.seed,
          f.violations[0].property,
          f.violations[0].detail.slice(0, 80),
          f.replay,
        ]),
      ),
    );
  }
  const verdict =
    m.failures.length || m.disagreements.length ? 'FAIL' : m.missing.length ? 'INCOMPLETE' : 'PASS';
  out.push(`verdict    ${verdict}: ${m.passed} passed, ${m.failures.length} failed of ${m.ran} seeds run`);
  return out.join('\n');
}

/**
 * `sim report merge a.json b.json ... [--json]`; exit 1 when a seed failed, a shard is missing (verdict
 * INCOMPLETE) or runs disagree; an unreadable or non-JSON file is a load error (exit 3).
 */
export function reportMerge(files: string[], json: boolean): number {
  if (files.length === 0)
    throw new SweepInputError(
      'report merge needs shard result files (from sim run FILE --seeds A..B --shard i/n --json)',
    );
  const results = files.map((f) => {
    try {
      return JSON.parse(readFileSync(f, 'utf8')) as SweepResult;
    } catch (e) {
      throw new LoadError(`${f}: ${e instanceof SyntaxError ? `not JSON (${e.message})` : errnoText(e)}`);
    }
  });
  const m = mergeSweeps(results);
  console.log(json ? JSON.stringify(m, null, 2) : formatMerged(m));
  return m.failures.length || m.missing.length || m.disagreements.length ? 1 : 0;
}
