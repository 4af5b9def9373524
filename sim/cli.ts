// `sim` command line: run scenarios in the deterministic simulator.

import { parseArgs } from 'node:util';
import { writeFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runScenario, checkDeterminism, type Scenario, type RunResult } from './scenario.ts';
import { firstDivergence } from './history.ts';
import { formatPhases } from './checkers.ts';

const USAGE = `usage: sim <command> [options]

commands:
  run FILE        run a scenario (a module in scenarios/)
  replay TRACE    re-run the scenario and seed recorded in a trace file and verify it matches
  explore         run generated fault schedules against a 3-node cluster; a failure is shrunk
                  and written as a scenario file (--runs N, --seed S, --out FILE)

run options:
  --seed N                 root seed (default 1)
  --seeds A..B             sweep seeds A to B; prints one line per failing seed and a total
  --trace FILE             write the history as JSON lines
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

function printSummary(r: RunResult, file: string, params?: Record<string, number>): void {
  console.log(`scenario   ${r.scenario}  (seed ${r.seed})`);
  console.log(`simulated  ${fmtMs(r.simulatedMs)} in ${fmtMs(r.wallMs)} wall, ${r.events} events (${Math.round(r.events / (r.wallMs / 1000))}/s)`);
  for (const [k, v] of Object.entries(r.report)) console.log(`${k.padEnd(10)} ${v}`);
  if (r.phases) console.log(`phases\n${formatPhases(r.phases)}`);
  console.log(`history    ${r.historyLines} lines, hash ${r.hash}`);
  if (r.violations.length === 0) console.log('verdict    PASS');
  else {
    console.log(`verdict    FAIL: ${r.violations.length} violation(s)`);
    for (const v of r.violations) console.log(`  ${v.property}: ${v.detail}`);
    const ps = Object.entries(params ?? {}).map(([k, v]) => ` --param ${k}=${v}`).join('');
    console.log(`replay     npx sim run ${file} --seed ${r.seed}${ps}`);
  }
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
      live: { type: 'boolean' },
      'time-scale': { type: 'string' },
      'max-quiet-ms': { type: 'string' },
      'keep-dir': { type: 'string' },
      'data-dirs': { type: 'boolean' },
    },
  });
  const file = positionals[0];
  if (!file) throw new UsageError('run needs a scenario file');
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
    const m = /^(\d+)\.\.(\d+)$/.exec(values.seeds);
    if (!m || Number(m[1]) > Number(m[2])) throw new UsageError(`--seeds ${values.seeds}: expected A..B`);
    let failed = 0;
    for (let seed = Number(m[1]); seed <= Number(m[2]); seed++) {
      const r = await runScenario(s, seed, { params });
      if (r.violations.length) {
        failed++;
        const ps = Object.entries(params).map(([k, v]) => ` --param ${k}=${v}`).join('');
        console.log(`seed ${seed}: FAIL ${r.violations[0].property}: ${r.violations[0].detail} (replay: npx sim run ${file} --seed ${seed}${ps})`);
      }
    }
    const total = Number(m[2]) - Number(m[1]) + 1;
    console.log(`${total - failed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  }
  if (values['check-determinism']) {
    const d = await checkDeterminism(s, values.seed!, params);
    if (d.identical) console.log(`deterministic: two runs of seed ${values.seed} identical, hash ${d.hash}`);
    else console.log(`NOT deterministic: first divergence at history line ${d.index}\n  run 1: ${d.a}\n  run 2: ${d.b}`);
    return d.identical ? 0 : 1;
  }
  const r = await runScenario(s, values.seed!, { keepLines: !!values.trace, params });
  if (values.trace) {
    const header = JSON.stringify({ type: 'trace', scenario: file, name: r.scenario, seed: r.seed, params });
    const footer = JSON.stringify({ type: 'end', hash: r.hash, lines: r.historyLines });
    writeFileSync(values.trace, [header, ...r.lines!, footer].join('\n') + '\n');
  }
  if (values.json) console.log(JSON.stringify({ ...r, lines: undefined }, null, 2));
  else printSummary(r, file, params);
  return r.violations.length ? 1 : 0;
}

async function exploreCmd(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, strict: true, options: { runs: { type: 'string', default: '20' }, seed: { type: 'string' }, out: { type: 'string', default: 'explored.ts' } } });
  const { explore, toScenario } = await import('./explore.ts');
  const r = await explore(Number(values.runs), values.seed === undefined ? undefined : Number(values.seed));
  if (r.ok) {
    console.log(`explore: ${r.runs} generated schedules, no violation`);
    return 0;
  }
  console.log(`explore: violation after ${r.runs} schedule(s); shrunk to:\n${JSON.stringify(r.schedule)}\n${r.why}`);
  if (r.schedule) {
    writeFileSync(values.out!, toScenario(r.schedule, r.why ?? ''));
    console.log(`written as a scenario: ${values.out} (move it into scenarios/ and run it with npx sim run)`);
  }
  return 1;
}

async function replay(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: {} });
  const file = positionals[0];
  if (!file) throw new UsageError('replay needs a trace file');
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const header = JSON.parse(lines[0]);
  const footer = JSON.parse(lines[lines.length - 1]);
  if (header.type !== 'trace' || footer.type !== 'end') throw new Error(`${file}: not a sim trace`);
  const s = await load(header.scenario);
  const r = await runScenario(s, header.seed, { keepLines: true, params: header.params });
  const recorded = lines.slice(1, -1);
  const i = firstDivergence(recorded, r.lines!);
  if (i < 0 && r.hash === footer.hash) {
    console.log(`replay matches: ${recorded.length} events, hash ${r.hash}`);
    return 0;
  }
  console.log(`replay DIVERGES at line ${i + 2} of ${file}\n  recorded: ${recorded[i]}\n  replayed: ${r.lines![i]}`);
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
      case undefined:
      case 'help':
      case '--help':
        console.log(USAGE);
        return cmd === undefined ? 1 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    console.error(e);
    return 1;
  }
}
