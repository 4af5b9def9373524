// `sim` command line: run scenarios in the deterministic simulator.

import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runScenario, checkDeterminism, type Scenario, type RunResult } from './scenario.ts';
import { firstDivergence } from './history.ts';
import { formatPhases } from './checkers.ts';
import { TraceSampler, readTrace, writeTrace } from './trace.ts';
import { allObservers, type SimObserver } from './observe.ts';
import { parseSeedRange, parseShard, replayCommand, reportMerge, runSweep, SweepInputError, type SeedFailure } from './shard.ts';
import type { World } from './world.ts';

const USAGE = `usage: sim <command> [options]

commands:
  run FILE        run a scenario (a module in scenarios/)
  replay TRACE    re-run the scenario and seed recorded in a trace file and verify it matches
  report merge F...  join sweep shard results (--json files) into one table: failing seeds with
                  replay commands, missing shards, seeds whose hashes differ (--json to print JSON)
  report TRACE --html FILE  one self-contained HTML page of a traced run (timeline, phases, latency, verdicts)
  explore         run generated workloads and fault schedules (2-5 nodes); a failure is shrunk
                  and written as a scenario file (--runs N, --seed S, --out FILE)

run options:
  --seed N                 root seed (default 1)
  --seeds A..B             sweep seeds A to B; prints one line per failing seed and a total
                           (with --json: one JSON result with every seed's hash and the failures)
  --shard I/N              with --seeds: run only every N-th seed, starting at the I-th (one of N
                           machines); join the --json results with sim report merge
  --trace FILE             write the history as JSON lines (with world samples for replay --ui)
  --junit FILE             write JUnit XML: a test case per seed, a failure per violation (also for explore)
  --check-determinism      run the seed twice and report the first diverging event
  --json                   print the summary as JSON
  --param NAME=VALUE       set a scenario knob (repeatable), e.g. --param quietDays=10
  --live                   run against real processes instead: runtime nodes on loopback ports,
                           mqtt.js clients, HAProxy as the balancer, real faults (README "Run
                           scenarios live"); not reproducible by seed
  --time-scale X           live: wall ms per virtual ms (default: the scenario's live.timeScale, else 1)
  --max-quiet-ms N         live: the longest wall time one sleep takes (default: the scenario's, else 5000)
  --keep-dir DIR           live: keep node configs and logs and the generated HAProxy/nginx configs in DIR
  --data-dirs              live: start each node with --data-dir DIR/<node>-data, kept across its restarts
  --ui                     watch the run in the terminal UI (keys: space pause, s step, +/- speed,
                           m max, n next fault, q quit); plain output when stdout is not a terminal
  --speed X                starting speed under --ui: x1, x10 (default) ... x1000000, or max
  --paused                 start the --ui run paused

replay options:
  --ui                     scrub through the trace in the terminal UI instead of re-running it
`;

async function load(file: string): Promise<Scenario> {
  const mod = await import(pathToFileURL(resolve(file)).href);
  const s = mod.default as Scenario;
  if (!s || typeof s.run !== 'function') throw new Error(`${file}: default export is not a scenario (use defineScenario)`);
  return s;
}

function fmtMs(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} days`;
}

/** The run's summary as printed; the UI shows it without the phase table (its flow view has that). */
function summaryLines(r: RunResult, file: string, params?: Record<string, number>, withPhases = true): string[] {
  const out: string[] = [];
  out.push(`scenario   ${r.scenario}  (seed ${r.seed})`);
  out.push(`simulated  ${fmtMs(r.simulatedMs)} in ${fmtMs(r.wallMs)} wall, ${r.events} events (${Math.round(r.events / (r.wallMs / 1000))}/s)`);
  for (const [k, v] of Object.entries(r.report)) out.push(`${k.padEnd(10)} ${v}`);
  if (r.phases && withPhases) out.push(`phases\n${formatPhases(r.phases)}`);
  out.push(`history    ${r.historyLines} lines, hash ${r.hash}`);
  if (r.violations.length === 0) out.push('verdict    PASS');
  else {
    out.push(`verdict    FAIL: ${r.violations.length} violation(s)`);
    for (const v of r.violations) out.push(`  ${v.property}: ${v.detail}`);
    const ps = Object.entries(params ?? {}).map(([k, v]) => ` --param ${k}=${v}`).join('');
    out.push(`replay     npx sim run ${file} --seed ${r.seed}${ps}`);
  }
  return out;
}

function printSummary(r: RunResult, file: string, params?: Record<string, number>): void {
  console.log(summaryLines(r, file, params).join('\n'));
}

function printLiveSummary(r: import('./live/runner.ts').LiveRunResult, keepDir?: string): void {
  const l = r.live;
  console.log(`scenario   ${r.scenario}  (live: real processes; not reproducible by seed)`);
  console.log(`simulated  ${fmtMs(r.simulatedMs)} in ${fmtMs(r.wallMs)} wall (time scale ${l.timeScale}, quiet capped at ${fmtMs(l.maxQuietMs)} wall)`);
  for (const [k, v] of Object.entries(r.report)) console.log(`${k.padEnd(10)} ${v}`);
  for (const n of l.notes) console.log(`live note  ${n}`);
  if (r.phases) console.log(`phases\n${formatPhases(r.phases)}`);
  console.log(`history    ${r.historyLines} lines (live runs differ run to run)`);
  if (keepDir) console.log(`files      ${keepDir}: node configs and logs, <lb>.haproxy.cfg, <lb>.nginx.conf`);
  if (r.violations.length === 0) console.log('verdict    PASS');
  else {
    console.log(`verdict    FAIL: ${r.violations.length} violation(s)`);
    for (const v of r.violations.slice(0, 20)) console.log(`  ${v.property}: ${v.detail}`);
    if (r.violations.length > 20) console.log(`  ... ${r.violations.length - 20} more`);
  }
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      seed: { type: 'string', default: '1' },
      trace: { type: 'string' },
      'check-determinism': { type: 'boolean' },
      json: { type: 'boolean' },
      param: { type: 'string', multiple: true },
      seeds: { type: 'string' },
      shard: { type: 'string' },
      live: { type: 'boolean' },
      'time-scale': { type: 'string' },
      'max-quiet-ms': { type: 'string' },
      'keep-dir': { type: 'string' },
      'data-dirs': { type: 'boolean' },
      ui: { type: 'boolean' },
      speed: { type: 'string' },
      paused: { type: 'boolean' },
      junit: { type: 'string' },
    },
  });
  const file = positionals[0];
  const junit: import('./junit.ts').JUnitCase[] = [];
  const { caseOf, writeJUnit } = await import('./junit.ts');
  const junitDone = (code: number): number => (values.junit && junit.length && writeJUnit(values.junit, `sim run ${file}`, junit), code);
  if (!file) throw new UsageError('run needs a scenario file');
  const ui = !!values.ui && !!process.stdout.isTTY && !!process.stdin.isTTY && !values.json;
  if (values.ui && (values.seeds || values['check-determinism'])) throw new UsageError('--ui watches one run: not with --seeds or --check-determinism');
  const s = await load(file);
  const params: Record<string, number> = {};
  for (const p of values.param ?? []) {
    const [k, v] = p.split('=');
    if (!k || v === undefined || !Number.isFinite(Number(v))) throw new UsageError(`--param ${p}: expected NAME=NUMBER`);
    params[k] = Number(v);
  }
  if (values.live) {
    if (values.seeds || values['check-determinism']) throw new UsageError('--live runs once: --seeds and --check-determinism are simulator-only');
    const num = (name: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!(n > 0)) throw new UsageError(`--${name} ${v}: expected a number > 0`);
      return n;
    };
    const { runLive } = await import('./live/runner.ts');
    // Ctrl-C: a SIGSTOPped node would otherwise outlive us, frozen.
    let world: import('./live/live-world.ts').LiveWorld | undefined;
    const interrupted = (sig: NodeJS.Signals) => {
      world?.killAll();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    const r = await runLive(s, values.seed!, {
      onWorld: (w) => (world = w),
      dataDirs: !!values['data-dirs'],
      params,
      timeScale: num('time-scale', values['time-scale']),
      maxQuietMs: num('max-quiet-ms', values['max-quiet-ms']),
      dir: values['keep-dir'] ? resolve(values['keep-dir']) : undefined,
      keepLines: !!values.trace,
      log: values.json ? undefined : (l) => console.error(`live       ${l}`),
    });
    if (values.trace) {
      // A record of what happened, for reading; `sim replay` cannot re-run a live history.
      const header = JSON.stringify({ type: 'trace', scenario: file, name: r.scenario, seed: r.seed, params, live: r.live });
      writeFileSync(values.trace, [header, ...r.lines!].join('\n') + '\n');
    }
    if (values.json) console.log(JSON.stringify({ ...r, lines: undefined }, null, 2));
    else printLiveSummary(r, values['keep-dir']);
    return r.violations.length ? 1 : 0;
  }
  if (values.seeds) {
    const range = parseSeedRange(values.seeds);
    const shard = values.shard ? parseShard(values.shard) : { index: 1, count: 1 };
    const onFailure = (f: SeedFailure) => {
      if (!values.json) console.log(`seed ${f.seed}: FAIL ${f.violations[0].property}: ${f.violations[0].detail} (replay: ${f.replay})`);
    };
    const r = await runSweep(s, file, range, shard, params, onFailure, (run, seed) => junit.push(caseOf(run, replayCommand(file, seed, params))));
    console.log(values.json ? JSON.stringify(r) : `${r.passed} passed, ${r.failures.length} failed`);
    return junitDone(r.failures.length ? 1 : 0);
  }
  if (values.shard) throw new UsageError('--shard splits a --seeds sweep');
  if (values['check-determinism']) {
    const d = await checkDeterminism(s, values.seed!, params);
    if (d.identical) console.log(`deterministic: two runs of seed ${values.seed} identical, hash ${d.hash}`);
    else console.log(`NOT deterministic: first divergence at history line ${d.index}\n  run 1: ${d.a}\n  run 2: ${d.b}`);
    return d.identical ? 0 : 1;
  }
  let sampler: TraceSampler | null = null;
  const observers: ((w: World) => SimObserver)[] = [];
  if (values.trace) observers.push((w) => (sampler = new TraceSampler(w)));
  let r: RunResult;
  if (ui) {
    const { watchScenario } = await import('../ui/watch-sim.tsx');
    const { parseSpeed } = await import('../ui/sim-driver.ts');
    const speed = values.speed === undefined ? undefined : parseSpeed(values.speed);
    const watched = await watchScenario(s, values.seed!, {
      params,
      keepLines: !!values.trace,
      speed,
      paused: !!values.paused,
      observers,
      // Verdict first: on a small terminal the end of the summary may not fit.
      summary: (res) => {
        const l = summaryLines(res, file, params, false);
        const v = l.findIndex((x) => x.startsWith('verdict'));
        return [...l.slice(v), ...l.slice(0, v)];
      },
    });
    if (!watched) return 130; // quit before the end
    r = watched;
  } else {
    r = await runScenario(s, values.seed!, { keepLines: !!values.trace, params, observe: observers.length ? (w) => allObservers(...observers.map((o) => o(w))) : undefined });
  }
  if (values.trace) {
    const sp = sampler as TraceSampler | null;
    sp?.final();
    writeTrace(values.trace, { type: 'trace', scenario: file, name: r.scenario, seed: r.seed, params }, r, sp?.samples ?? []);
  }
  if (ui) {
    if (values.trace) console.log(`trace      ${values.trace}`);
    return r.violations.length ? 1 : 0;
  }
  junit.push(caseOf(r, `npx sim run ${file} --seed ${r.seed}${Object.entries(params).map(([k, v]) => ` --param ${k}=${v}`).join('')}`));
  if (values.json) console.log(JSON.stringify({ ...r, lines: undefined }, null, 2));
  else printSummary(r, file, params);
  return junitDone(r.violations.length ? 1 : 0);
}

async function exploreCmd(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { runs: { type: 'string', default: '20' }, seed: { type: 'string' }, out: { type: 'string', default: 'explored.ts' }, junit: { type: 'string' } } });
  const { explore, toScenario } = await import('./explore.ts');
  const t0 = performance.now();
  const r = await explore(Number(values.runs), values.seed === undefined ? undefined : Number(values.seed));
  if (values.junit) {
    const { writeJUnit } = await import('./junit.ts');
    const failures = !r.ok ? [{ type: 'violation', message: `violation after ${r.runs} schedule(s), shrunk to ${JSON.stringify(r.schedule)}: ${r.why}` }] : [];
    writeJUnit(values.junit, 'sim explore', [{ name: `${r.runs} generated schedules`, classname: 'explore', seconds: (performance.now() - t0) / 1000, failures }]);
  }
  if (r.ok) {
    console.log(`explore: ${r.runs} generated schedules, no violation`);
    return 0;
  }
  console.log(`explore: violation after ${r.runs} schedule(s); shrunk to:\n${JSON.stringify(r.schedule)}\n${r.why}`);
  if (r.schedule) {
    writeFileSync(values.out!, toScenario(r.schedule, r.why ?? ''));
    console.log(`written as a scenario: ${values.out} (move it into scenarios/, then: npx sim run scenarios/${values.out!.split('/').pop()} --seed ${r.schedule.seed})`);
  }
  return 1;
}

async function replay(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { ui: { type: 'boolean' } } });
  const file = positionals[0];
  if (!file) throw new UsageError('replay needs a trace file');
  const trace = readTrace(file);
  const { header, footer } = trace;
  if (values.ui && process.stdout.isTTY && process.stdin.isTTY) {
    const { watchTrace } = await import('../ui/watch-trace.tsx');
    await watchTrace(trace);
    return 0;
  }
  const s = await load(header.scenario);
  const r = await runScenario(s, header.seed, { keepLines: true, params: header.params });
  const recorded = trace.history;
  const i = firstDivergence(recorded, r.lines!);
  if (i < 0 && r.hash === footer.hash) {
    console.log(`replay matches: ${recorded.length} events, hash ${r.hash}`);
    return 0;
  }
  // The file line: the header, then history lines with sample lines between them.
  let line = 1;
  for (let seen = 0; line <= trace.body.length; line++) if (!trace.body[line - 1].startsWith('{"sample"') && seen++ === i) break;
  console.log(`replay DIVERGES at line ${line + 1} of ${file}\n  recorded: ${recorded[i]}\n  replayed: ${r.lines![i]}`);
  return 1;
}

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'run':
        return await run(rest);
      case 'replay':
        return await replay(rest);
      case 'explore':
        return await exploreCmd(rest);
      case 'report': {
        if (rest[0] === 'merge') return reportMerge(rest.filter((a, i) => i > 0 && a !== '--json'), rest.includes('--json'));
        const { values: v, positionals: pos } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { html: { type: 'string' } } });
        if (pos.length !== 1 || !v.html) throw new UsageError('usage: sim report merge FILE... | sim report TRACE --html FILE');
        (await import('./report-html.ts')).writeReportHtml(pos[0], v.html);
        console.log(`wrote ${v.html}`);
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
        console.log(USAGE);
        return cmd === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (e) {
    if (e instanceof SweepInputError) {
      console.error(e.message);
      return 2;
    }
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    console.error(e);
    return 1;
  }
}
