// `sim` command line (also `mqttlab sim`): run scenarios in the deterministic simulator. Each
// subcommand is a flag table (cli/args.ts); adding a flag is one line there.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VERSION } from '../core/broker.ts';
import {
  EXIT,
  UsageError,
  closest,
  defineCommand,
  didYouMean,
  dispatch,
  help,
  parse,
  parseOrHelp,
  type Group,
} from '../cli/args.ts';
import { LoadError, runCli } from '../cli/errors.ts';
import { runScenario, checkDeterminism, unknownParams, type Scenario, type RunResult } from './scenario.ts';
import { firstDivergence } from './history.ts';
import { formatPhases } from './checkers.ts';
import { TraceSampler, readTrace, traceHeader, traceScenarioFile, writeTrace } from './trace.ts';
import { allObservers, type SimObserver } from './observe.ts';
import {
  parseSeedRange,
  parseShard,
  replayCommand,
  reportMerge,
  runSweep,
  type SeedFailure,
} from './shard.ts';
import { Progress } from './progress.ts';
import type { World } from './world.ts';

/** Loads a scenario module; a missing file or a bad export is one line (exit 3), syntax errors file:line:col. */
export async function loadScenario(file: string): Promise<Scenario> {
  const abs = resolve(file);
  if (!existsSync(abs)) {
    const dir = dirname(abs);
    const near = existsSync(dir) ? readdirSync(dir).filter((f) => /\.m?ts$/.test(f)) : [];
    const c = closest(basename(abs), near);
    throw new LoadError(
      `scenario ${file}: not found${c ? ` (did you mean ${join(dirname(file), c)}?)` : ''}`,
    );
  }
  const mod = await import(pathToFileURL(abs).href);
  const s = mod.default as Scenario;
  if (!s || typeof s.run !== 'function')
    throw new LoadError(`scenario ${file}: the default export is not a scenario (use defineScenario)`);
  return s;
}

/** --param NAME=VALUE pairs, checked against the names the scenario declares. */
function scenarioParams(s: Scenario, given: string[]): Record<string, number> {
  const params: Record<string, number> = {};
  for (const p of given) {
    const [k, v, ...more] = p.split('=');
    if (!k || v === undefined || more.length || v.trim() === '' || !Number.isFinite(Number(v)))
      throw new UsageError(`--param ${p}: expected NAME=NUMBER`);
    params[k] = Number(v);
  }
  const bad = unknownParams(s, params);
  if (bad.length) {
    const known = Object.keys(s.params ?? {});
    const hint = known.length
      ? `${didYouMean(bad[0], known)}; it has ${known.join(', ')}`
      : ': it declares none';
    throw new UsageError(`--param ${bad[0]}: scenario ${s.name} has no such parameter${hint}`);
  }
  return params;
}

function paramsHelp(s: Scenario): string {
  const ps = Object.entries(s.params ?? {});
  if (!ps.length) return `scenario ${s.name}: ${s.description}\n(no parameters)`;
  const w = Math.max(...ps.map(([n]) => n.length)) + 2;
  return [
    `scenario ${s.name}: ${s.description}`,
    '',
    'scenario parameters (--param NAME=VALUE):',
    ...ps.map(([n, p]) => `  ${n.padEnd(w)}${p.description} (default ${p.default})`),
  ].join('\n');
}

const verdict = (failed: boolean) => (failed ? 'FAIL' : 'PASS');
const json = (o: object) => console.log(JSON.stringify({ version: VERSION, ...o }, null, 2));

function fmtMs(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} days`;
}

/** The run's summary as printed; the UI shows it without the phase table (its flow view has that). */
function summaryLines(
  r: RunResult,
  file: string,
  params?: Record<string, number>,
  withPhases = true,
): string[] {
  const out: string[] = [];
  out.push(`scenario   ${r.scenario}  (seed ${r.seed})`);
  out.push(
    `simulated  ${fmtMs(r.simulatedMs)} in ${fmtMs(r.wallMs)} wall, ${r.events} events (${Math.round(r.events / (r.wallMs / 1000))}/s)`,
  );
  for (const [k, v] of Object.entries(r.report)) out.push(`${k.padEnd(10)} ${v}`);
  if (r.phases && withPhases) out.push(`phases\n${formatPhases(r.phases)}`);
  out.push(`history    ${r.historyLines} lines, hash ${r.hash}`);
  if (r.violations.length === 0) out.push('verdict    PASS');
  else {
    out.push(`verdict    FAIL: ${r.violations.length} violation(s)`);
    for (const v of r.violations) out.push(`  ${v.property}: ${v.detail}`);
    const ps = Object.entries(params ?? {})
      .map(([k, v]) => ` --param ${k}=${v}`)
      .join('');
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
  console.log(
    `simulated  ${fmtMs(r.simulatedMs)} in ${fmtMs(r.wallMs)} wall (time scale ${l.timeScale}, quiet capped at ${fmtMs(l.maxQuietMs)} wall)`,
  );
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

const RUN = defineCommand({
  args: 'FILE',
  summary: 'Run a scenario file in the simulator (or against real processes with --live).',
  flags: {
    seed: { type: 'string', arg: 'N', default: '1', help: 'root seed' },
    seeds: { type: 'string', arg: 'A..B', help: 'sweep seeds A to B; one line per failing seed and a total' },
    shard: {
      type: 'string',
      arg: 'I/N',
      help: 'with --seeds: only every N-th seed from the I-th (one of N machines); join --json results with sim report merge',
    },
    junit: {
      type: 'string',
      arg: 'FILE',
      help: 'write JUnit XML: a test case per seed, a failure per violation',
    },
    store: {
      type: 'string',
      arg: 'redis',
      help: "every broker keeps its sessions in the world's simulated Redis (docs/redis-store.md), not in memory or replicas",
    },
    param: {
      type: 'strings',
      arg: 'NAME=VALUE',
      help: 'set a scenario parameter ("sim run FILE --help" lists them)',
    },
    trace: {
      type: 'string',
      arg: 'FILE',
      help: 'write the history as JSON lines (with world samples for replay --ui)',
    },
    'check-determinism': { type: 'boolean', help: 'run the seed twice and report the first diverging event' },
    json: { type: 'boolean', help: 'print the result as JSON (with verdict and version)' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress line on stderr' },
    live: {
      type: 'boolean',
      group: 'live options',
      help: 'run against real processes: runtime nodes on loopback, mqtt.js clients, HAProxy; not reproducible by seed',
    },
    'time-scale': {
      type: 'number',
      arg: 'X',
      group: 'live options',
      help: "wall ms per virtual ms (default: the scenario's live.timeScale, else 1)",
    },
    'max-quiet-ms': {
      type: 'number',
      arg: 'N',
      group: 'live options',
      help: "the longest wall time one sleep takes (default: the scenario's, else 5000)",
    },
    'keep-dir': {
      type: 'string',
      arg: 'DIR',
      group: 'live options',
      help: 'keep node configs and logs and the generated HAProxy/nginx configs in DIR',
    },
    'data-dirs': {
      type: 'boolean',
      group: 'live options',
      help: 'start each node with --data-dir DIR/<node>-data, kept across its restarts',
    },
    ui: {
      type: 'boolean',
      group: 'terminal UI options',
      help: 'watch the run in the terminal UI (space pause, s step, +/- speed, m max, n next fault, q quit)',
    },
    speed: {
      type: 'string',
      arg: 'X',
      group: 'terminal UI options',
      help: 'starting speed under --ui: x1, x10 (default) ... x1000000, or max',
    },
    paused: { type: 'boolean', group: 'terminal UI options', help: 'start the --ui run paused' },
  },
  more: 'Exit codes: 0 pass, 1 verdict FAIL, 2 usage, 3 load or internal error.',
});

async function run(argv: string[], prog: string): Promise<number> {
  const { values, positionals, help: wantHelp } = parse(RUN, argv, prog);
  const file = positionals[0];
  if (wantHelp) {
    console.log(help(RUN, prog) + (file ? `\n\n${paramsHelp(await loadScenario(file))}` : ''));
    return EXIT.PASS;
  }
  if (!file) throw new UsageError(`${prog}: needs a scenario file, e.g. ${prog} scenarios/split-brain.ts`);
  if (positionals.length > 1)
    throw new UsageError(`${prog}: one scenario file at a time (got ${positionals.join(' ')})`);
  const ui = values.ui && !!process.stdout.isTTY && !!process.stdin.isTTY && !values.json;
  if (values.ui && (values.seeds || values['check-determinism']))
    throw new UsageError('--ui watches one run: not with --seeds or --check-determinism');
  if (values.live && (values.seeds || values['check-determinism']))
    throw new UsageError('--live runs once: --seeds and --check-determinism are simulator-only');
  const range = values.seeds === undefined ? undefined : parseSeedRange(values.seeds);
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  if (shard && !range) throw new UsageError('--shard splits a --seeds sweep');
  if (values.store !== undefined && values.store !== 'redis')
    throw new UsageError(`--store ${values.store}: the one external store is redis`);
  if (values.store && values.live)
    throw new UsageError('--store redis is simulator-only (live: runtime --session-store)');
  const loaded = await loadScenario(file);
  const s: Scenario = values.store ? { ...loaded, world: { ...loaded.world, store: 'redis' } } : loaded;
  const params = scenarioParams(s, values.param);
  const progress = Progress.forStderr(values.quiet || values.json || ui);
  if (values.live) return live(s, file, params, values);
  const { caseOf, writeJUnit } = await import('./junit.ts');
  const junit = (cases: import('./junit.ts').JUnitCase[]) =>
    values.junit && writeJUnit(values.junit, `sim run ${file}`, cases);
  if (range) {
    const sh = shard ?? { index: 1, count: 1 };
    const cases: import('./junit.ts').JUnitCase[] = [];
    progress.sweep(Math.ceil((range.to - range.from + 1) / sh.count), 'seed');
    const onFailure = (f: SeedFailure) => {
      if (values.json) return;
      progress.clear();
      console.log(
        `seed ${f.seed}: FAIL ${f.violations[0].property}: ${f.violations[0].detail} (replay: ${f.replay})`,
      );
    };
    const r = await runSweep(s, file, range, sh, params, onFailure, (run, seed) => {
      progress.runDone();
      cases.push(caseOf(run, replayCommand(file, seed, params)));
    });
    progress.clear();
    junit(cases);
    const failed = r.failures.length;
    // The sweep result as is (sim report merge reads it back), with the verdict.
    if (values.json) json({ ...r, verdict: verdict(failed > 0), failed });
    else console.log(`${r.passed} passed, ${failed} failed`);
    return failed ? EXIT.FAIL : EXIT.PASS;
  }
  if (values['check-determinism']) {
    const d = await checkDeterminism(s, values.seed, params);
    if (values.json) json({ scenario: s.name, seed: values.seed, verdict: verdict(!d.identical), ...d });
    else if (d.identical)
      console.log(`deterministic: two runs of seed ${values.seed} identical, hash ${d.hash}`);
    else
      console.log(
        `NOT deterministic: first divergence at history line ${d.index}\n  run 1: ${d.a}\n  run 2: ${d.b}`,
      );
    return d.identical ? EXIT.PASS : EXIT.FAIL;
  }
  let sampler: TraceSampler | null = null;
  const observers: ((w: World) => SimObserver)[] = [];
  if (values.trace) observers.push((w) => (sampler = new TraceSampler(w)));
  let r: RunResult;
  if (ui) {
    const { watchScenario } = await import('../ui/watch-sim.tsx');
    const { parseSpeed } = await import('../ui/sim-driver.ts');
    let speed: number | undefined;
    try {
      speed = values.speed === undefined ? undefined : parseSpeed(values.speed);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const watched = await watchScenario(s, values.seed, {
      params,
      keepLines: !!values.trace,
      speed,
      paused: values.paused,
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
    if (progress.enabled) observers.push((w) => progress.observer(w));
    r = await runScenario(s, values.seed, {
      keepLines: !!values.trace,
      params,
      observe: observers.length ? (w) => allObservers(...observers.map((o) => o(w))) : undefined,
    });
    progress.clear();
  }
  if (values.trace) {
    const sp = sampler as TraceSampler | null;
    sp?.final();
    writeTrace(
      values.trace,
      traceHeader(values.trace, file, { name: r.scenario, seed: r.seed, params }),
      r,
      sp?.samples ?? [],
    );
  }
  const failed = r.violations.length > 0;
  if (ui) {
    if (values.trace) console.log(`trace      ${values.trace}`);
  } else if (values.json) json({ ...r, lines: undefined, verdict: verdict(failed) });
  else printSummary(r, file, params);
  junit([caseOf(r, replayCommand(file, Number(values.seed), params))]);
  return failed ? EXIT.FAIL : EXIT.PASS;
}

type RunValues = ReturnType<typeof parse<typeof RUN.flags>>['values'];

async function live(
  s: Scenario,
  file: string,
  params: Record<string, number>,
  values: RunValues,
): Promise<number> {
  const { runLive } = await import('./live/runner.ts');
  // Ctrl-C: a SIGSTOPped node would otherwise outlive us, frozen.
  let world: import('./live/live-world.ts').LiveWorld | undefined;
  const interrupted = (sig: NodeJS.Signals) => {
    world?.killAll();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const r = await runLive(s, values.seed, {
    onWorld: (w) => (world = w),
    dataDirs: values['data-dirs'],
    params,
    timeScale: values['time-scale'],
    maxQuietMs: values['max-quiet-ms'],
    dir: values['keep-dir'] ? resolve(values['keep-dir']) : undefined,
    keepLines: !!values.trace,
    log: values.json || values.quiet ? undefined : (l) => console.error(`live       ${l}`),
  });
  if (values.trace) {
    // A record of what happened, for reading; `sim replay` cannot re-run a live history.
    const header = {
      ...traceHeader(values.trace, file, { name: r.scenario, seed: r.seed, params }),
      live: r.live,
    };
    writeFileSync(values.trace, [JSON.stringify(header), ...r.lines!].join('\n') + '\n');
  }
  const failed = r.violations.length > 0;
  if (values.json) json({ ...r, lines: undefined, verdict: verdict(failed) });
  else printLiveSummary(r, values['keep-dir']);
  return failed ? EXIT.FAIL : EXIT.PASS;
}

const EXPLORE = defineCommand({
  summary:
    'Run generated workloads and fault schedules (2-5 nodes); a failure is shrunk and written as a scenario file.',
  flags: {
    runs: { type: 'int', arg: 'N', default: 20, min: 1, help: 'number of generated schedules' },
    seed: { type: 'int', arg: 'S', help: 'seed of the generator (default: random; printed on failure)' },
    out: {
      type: 'string',
      arg: 'FILE',
      default: 'explored.ts',
      help: 'where a shrunk failing schedule is written as a scenario',
    },
    junit: {
      type: 'string',
      arg: 'FILE',
      help: 'write JUnit XML: one test case, a failure when a violation was found',
    },
    json: { type: 'boolean', help: 'print the result as JSON (with verdict and version)' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress line on stderr' },
  },
  more: 'Exit codes: 0 no violation, 1 a violation was found, 2 usage, 3 internal error.',
});

async function exploreCmd(argv: string[], prog: string): Promise<number> {
  const parsed = parseOrHelp(EXPLORE, argv, prog);
  if (!parsed) return EXIT.PASS;
  const { values, positionals } = parsed;
  if (positionals.length) throw new UsageError(`${prog}: takes no arguments (got ${positionals.join(' ')})`);
  const { explore, toScenario } = await import('./explore.ts');
  const progress = Progress.forStderr(values.quiet || values.json);
  progress.sweep(values.runs, 'schedule');
  const t0 = performance.now();
  const r = await explore(values.runs, values.seed, {
    onRun: progress.enabled ? () => progress.runDone() : undefined,
  });
  progress.clear();
  if (r.schedule) writeFileSync(values.out, toScenario(r.schedule, r.why ?? ''));
  if (values.junit) {
    const { writeJUnit } = await import('./junit.ts');
    const failures = !r.ok
      ? [
          {
            type: 'violation',
            message: `violation after ${r.runs} schedule(s), shrunk to ${JSON.stringify(r.schedule)}: ${r.why}`,
          },
        ]
      : [];
    writeJUnit(values.junit, 'sim explore', [
      {
        name: `${r.runs} generated schedules`,
        classname: 'explore',
        seconds: (performance.now() - t0) / 1000,
        failures,
      },
    ]);
  }
  if (values.json) {
    json({
      verdict: verdict(!r.ok),
      runs: r.runs,
      seed: values.seed,
      schedule: r.schedule,
      why: r.why,
      out: r.schedule ? values.out : undefined,
    });
    return r.ok ? EXIT.PASS : EXIT.FAIL;
  }
  if (r.ok) {
    console.log(`explore: ${r.runs} generated schedules, no violation`);
    return EXIT.PASS;
  }
  console.log(
    `explore: violation after ${r.runs} schedule(s); shrunk to:\n${JSON.stringify(r.schedule)}\n${r.why}`,
  );
  if (r.schedule)
    console.log(
      `written as a scenario: ${values.out} (then: npx sim run ${values.out} --seed ${r.schedule.seed})`,
    );
  return EXIT.FAIL;
}

const REPLAY = defineCommand({
  args: 'TRACE',
  summary:
    'Re-run the scenario and seed recorded in a trace file (sim run --trace) and check the history matches.',
  flags: {
    ui: { type: 'boolean', help: 'scrub through the trace in the terminal UI instead of re-running it' },
    json: { type: 'boolean', help: 'print the result as JSON (with verdict and version)' },
  },
  more: 'Exit codes: 0 matches, 1 diverges, 2 usage, 3 the trace or its scenario cannot be loaded.',
});

async function replay(argv: string[], prog: string): Promise<number> {
  const parsed = parseOrHelp(REPLAY, argv, prog);
  if (!parsed) return EXIT.PASS;
  const { positionals, values } = parsed;
  const file = positionals[0];
  if (!file) throw new UsageError(`${prog}: needs a trace file (written by sim run --trace FILE)`);
  const trace = readTrace(file);
  const { header, footer } = trace;
  if (values.ui && process.stdout.isTTY && process.stdin.isTTY) {
    const { watchTrace } = await import('../ui/watch-trace.tsx');
    await watchTrace(trace);
    return EXIT.PASS;
  }
  if ((header as { live?: unknown }).live)
    throw new LoadError(`${file}: a live run's trace is a record for reading; it cannot be replayed`);
  const s = await loadScenario(traceScenarioFile(file, header));
  const r = await runScenario(s, header.seed, { keepLines: true, params: header.params });
  const recorded = trace.history;
  const i = firstDivergence(recorded, r.lines!);
  const matches = i < 0 && r.hash === footer.hash;
  // The file line: the header, then history lines with sample lines between them.
  let line = 1;
  if (!matches)
    for (let seen = 0; line <= trace.body.length; line++)
      if (!trace.body[line - 1].startsWith('{"sample"') && seen++ === i) break;
  if (values.json)
    json({
      verdict: verdict(!matches),
      scenario: s.name,
      seed: header.seed,
      hash: r.hash,
      recordedHash: footer.hash,
      events: recorded.length,
      traceVersion: header.version,
      divergence: matches ? undefined : { line: line + 1, recorded: recorded[i], replayed: r.lines![i] },
    });
  else if (matches) console.log(`replay matches: ${recorded.length} events, hash ${r.hash}`);
  else
    console.log(
      `replay DIVERGES at line ${line + 1} of ${file}\n  recorded: ${recorded[i]}\n  replayed: ${r.lines![i]}`,
    );
  return matches ? EXIT.PASS : EXIT.FAIL;
}

const REPORT = defineCommand({
  args: 'merge FILE... | TRACE',
  summary: `Reports of runs.
  report merge FILE...     join sweep shard results (--seeds A..B --shard i/n --json) into one table: failing
                           seeds with replay commands, missing shards, seeds whose hashes differ
  report TRACE --html FILE one self-contained HTML page of a traced run (timeline, phases, latency, verdicts)`,
  flags: {
    html: { type: 'string', arg: 'FILE', help: 'with a TRACE: write the HTML report to FILE' },
    json: { type: 'boolean', help: 'with merge: print the merged result as JSON' },
  },
  more: 'Exit codes: 0 all seeds passed / report written, 1 failing seeds, 2 usage or unreadable input.',
});

async function report(argv: string[], prog: string): Promise<number> {
  const parsed = parseOrHelp(REPORT, argv, prog);
  if (!parsed) return EXIT.PASS;
  const { values, positionals } = parsed;
  if (positionals[0] === 'merge') return reportMerge(positionals.slice(1), values.json);
  if (positionals.length !== 1 || !values.html)
    throw new UsageError(`usage: ${prog} merge FILE... | ${prog} TRACE --html FILE`);
  (await import('./report-html.ts')).writeReportHtml(positionals[0], values.html);
  console.log(`wrote ${values.html}`);
  return EXIT.PASS;
}

export const SIM: Group = {
  summary: 'The deterministic simulator: run scenarios, replay traces, explore generated fault schedules.',
  commands: {
    run: { summary: 'run a scenario file (sim run FILE --help lists its parameters)', run },
    replay: { summary: 're-run a trace file and verify it matches', run: replay },
    explore: {
      summary: 'run generated workloads and fault schedules; a failure is shrunk into a scenario file',
      run: exploreCmd,
    },
    report: {
      summary: 'report merge F... (join --seeds --shard --json results) or report TRACE --html FILE',
      run: report,
    },
  },
  more: 'Exit codes: 0 pass, 1 verdict FAIL, 2 usage, 3 load or internal error. --stack (or DEBUG=mqttlab) shows stack traces.',
};

/** `sim ARGS` (prog "sim") or `mqttlab sim ARGS` (prog "mqttlab sim"); returns the exit code. */
export function main(argv: string[], prog = 'sim'): Promise<number> {
  return runCli(argv, (a) => dispatch(SIM, a, prog, VERSION));
}
