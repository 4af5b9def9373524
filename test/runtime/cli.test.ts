// The command lines as a newcomer meets them: --help everywhere (exit 0), --version, one-line errors
// with "did you mean", the exit-code table (0 pass, 1 FAIL, 2 usage, 3 load/internal error), declared
// scenario parameters, --json with verdict and version, damaged traces and syntax errors as one line.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../core/broker.ts';
import { main as sim } from '../../sim/cli.ts';
import { main as mqttlab } from '../../cli/mqttlab.ts';
import { ROOT } from '../helpers/processes.ts';
import { runScenario } from '../../sim/scenario.ts';
import { startServer } from '../../runtime/server.ts';
import { formatError } from '../../cli/errors.ts';
import willOnNodeCrash from '../../scenarios/will-on-node-crash.ts';

/** A bin as a user runs it (node bin/X.js ARGS in the repository). */
function bin(name: string, args: string[]) {
  const r = spawnSync(process.execPath, [`bin/${name}.js`, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DEBUG: '' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A command's main in this process, with what it prints. */
async function inProcess(main: (argv: string[]) => Promise<number>, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

const dir = mkdtempSync(join(tmpdir(), 'mqttlab-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Spawned processes start tsx each time: slow on a loaded machine.
describe('the bins (the issue\'s "done when")', { timeout: 180_000 }, () => {
  it('sim run --help, runtime start --help, mqttlab --version exit 0', () => {
    const h = bin('sim', ['run', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^usage: sim run FILE \[options\]/);
    expect(h.out).toMatch(/--seeds A\.\.B/);
    const s = bin('runtime', ['start', '--help']);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/--ws-port N/);
    const v = bin('mqttlab', ['--version']);
    expect(v).toMatchObject({ code: 0, out: `${VERSION}\n` });
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version).toBe(VERSION);
  });

  it('a verbatim copy of a repository scenario runs from another directory, with the same hash', async () => {
    const copy = join(dir, 'copy-of-will.ts');
    writeFileSync(copy, readFileSync(join(ROOT, 'scenarios/will-on-node-crash.ts')));
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/sim.js'), 'run', copy, '--seed', '2', '--json'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({
      verdict: 'PASS',
      hash: (await runScenario(willOnNodeCrash, 2)).hash,
    });
  });

  it('a missing scenario file is one line without a stack, exit 3; explore --runs abc is exit 2', () => {
    const r = bin('sim', ['run', 'scenarios/no-such-file.ts']);
    expect(r.code).toBe(3);
    expect(r.err).toBe('scenario scenarios/no-such-file.ts: not found\n');
    const e = bin('sim', ['explore', '--runs', 'abc']);
    expect(e.code).toBe(2);
    expect(e.err).toBe('--runs "abc": expected an integer\n');
    expect(e.out).toBe('');
  });
});

describe('help, version, typos', () => {
  it('every command and subcommand answers -h/--help with exit 0', async () => {
    for (const argv of [
      ['--help'],
      ['-h'],
      ['start', '--help'],
      ['ctl', '-h'],
      ['passwd', '--help'],
      ['ui', '--help'],
      ['sim', '--help'],
      ['sim', 'run', '-h'],
      ['sim', 'replay', '--help'],
      ['sim', 'explore', '--help'],
    ]) {
      const r = await inProcess(mqttlab, argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out, argv.join(' ')).toMatch(/^usage: mqttlab/);
    }
    expect((await inProcess(mqttlab, ['-V'])).out).toBe(VERSION);
    expect((await inProcess(sim, ['--version'])).out).toBe(VERSION);
  });

  it('unknown commands and options: one line with a suggestion, exit 2', async () => {
    expect(await inProcess(mqttlab, ['strat'])).toEqual({
      code: 2,
      out: '',
      err: 'mqttlab: unknown command strat (did you mean start?); see mqttlab --help',
    });
    expect(await inProcess(sim, ['run', 'x.ts', '--sed', '3'])).toEqual({
      code: 2,
      out: '',
      err: 'sim run: unknown option --sed (did you mean --seed?); see --help',
    });
    expect(await inProcess(mqttlab, ['start', '--prot', '1883'])).toMatchObject({
      code: 2,
      err: 'mqttlab start: unknown option --prot (did you mean --port?); see --help',
    });
    expect(await inProcess(mqttlab, ['start', '--port', '18x'])).toMatchObject({
      code: 2,
      err: '--port "18x": expected an integer',
    });
    expect(await inProcess(sim, ['explore', '--runs', '0'])).toMatchObject({
      code: 2,
      err: '--runs 0: expected a number >= 1',
    });
    expect(await inProcess(sim, ['run', 'scenarios/split-brain.ts', '--seeds', '5..2'])).toMatchObject({
      code: 2,
    });
  });

  it('a WebSocket port in use is a clean error like the TCP one, not a crash', async () => {
    const taken = await startServer(
      { listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } }, sysInterval: 0 },
      { info() {}, warn() {} },
    );
    try {
      const err = await startServer(
        {
          listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { host: '127.0.0.1', port: taken.tcpPort } },
          sysInterval: 0,
        },
        { info() {}, warn() {} },
      ).catch((e) => e);
      expect(formatError(err)).toEqual({
        code: 3,
        text: `cannot listen on 127.0.0.1:${taken.tcpPort}: address already in use`,
      });
    } finally {
      await taken.stop();
    }
  });

  it('a missing config file is one line, exit 3', async () => {
    expect(await inProcess(mqttlab, ['start', '--config', join(dir, 'nope.yml')])).toEqual({
      code: 3,
      out: '',
      err: `config file ${join(dir, 'nope.yml')}: not found`,
    });
  });
});

describe('scenarios and traces', { timeout: 120_000 }, () => {
  it('declared parameters: listed by run FILE --help; an unknown --param is refused with a suggestion', async () => {
    const h = await inProcess(sim, ['run', 'scenarios/failover-1770-days.ts', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(
      /scenario parameters \(--param NAME=VALUE\):\n {2}quietDays +days of quiet uptime before the failure \(default 1770\)/,
    );
    const bad = await inProcess(sim, ['run', 'scenarios/failover-1770-days.ts', '--param', 'quietday=30']);
    expect(bad).toMatchObject({ code: 2, out: '' });
    expect(bad.err).toBe(
      '--param quietday: scenario failover-1770-days has no such parameter (did you mean quietDays?); it has quietDays, repairHours, trafficMinutes',
    );
  });

  it('a near-miss file name gets a suggestion; a syntax error is file:line:col: message', async () => {
    expect((await inProcess(sim, ['run', 'scenarios/split-brian.ts'])).err).toBe(
      'scenario scenarios/split-brian.ts: not found (did you mean scenarios/split-brain.ts?)',
    );
    // Outside scenarios/: test/sim/scenarios.test.ts runs every file there.
    const f = join(dir, 'syntax-error.ts');
    writeFileSync(
      f,
      "import { defineScenario } from 'mqttlab/sim';\nexport default defineScenario({ name: 'x', description: 'y',\n  async run() { const a = ; } });\n",
    );
    try {
      // As a user meets it (tsx, esbuild's message), and under vitest (vite's transform, another format).
      expect(bin('sim', ['run', f])).toMatchObject({ code: 3, err: `${f}:3:26: Unexpected ";"\n` });
      const r = await inProcess(sim, ['run', f]);
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/^\S*syntax-error\.ts:3:2\d: Unexpected token$/);
    } finally {
      rmSync(f, { force: true });
    }
  });

  it('--json with --seeds, replay and run carries verdict and version; the trace names the scenario relative to itself', async () => {
    const sweep = await inProcess(sim, [
      'run',
      'scenarios/will-on-node-crash.ts',
      '--seeds',
      '1..2',
      '--json',
    ]);
    expect(sweep.code).toBe(0);
    const j = JSON.parse(sweep.out);
    expect(j).toMatchObject({ version: VERSION, verdict: 'PASS', passed: 2, failed: 0 });
    expect(j.seeds).toEqual({ from: 1, to: 2 });
    expect(j.hashes).toHaveLength(2);
    const trace = join(dir, 'run.jsonl');
    const run = await inProcess(sim, [
      'run',
      'scenarios/will-on-node-crash.ts',
      '--seed',
      '2',
      '--trace',
      trace,
      '--json',
    ]);
    expect(JSON.parse(run.out)).toMatchObject({
      version: VERSION,
      verdict: 'PASS',
      hash: j.hashes[1],
      violations: [],
    });
    const header = JSON.parse(readFileSync(trace, 'utf8').split('\n')[0]);
    expect(header.version).toBe(VERSION);
    expect(header.scenario).not.toMatch(/^\//);
    expect(join(dir, header.scenario)).toBe(join(ROOT, 'scenarios/will-on-node-crash.ts'));
    // From another directory: the scenario is found next to the trace, not in the current directory.
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const rep = await inProcess(sim, ['replay', trace, '--json']);
      expect(rep.code).toBe(0);
      expect(JSON.parse(rep.out)).toMatchObject({ version: VERSION, verdict: 'PASS', hash: j.hashes[1] });
    } finally {
      process.chdir(cwd);
    }
    // Damaged traces: one line naming the line.
    const lines = readFileSync(trace, 'utf8').split('\n');
    writeFileSync(join(dir, 'cut.jsonl'), lines.slice(0, 40).join('\n') + '\n' + lines[40].slice(0, 10));
    expect(await inProcess(sim, ['replay', join(dir, 'cut.jsonl')])).toMatchObject({
      code: 3,
      err: `${join(dir, 'cut.jsonl')}: truncated at line 41`,
    });
    writeFileSync(
      join(dir, 'garbage.jsonl'),
      lines.slice(0, 5).join('\n') + '\nnot json at all\n' + lines.slice(5).join('\n'),
    );
    expect(await inProcess(sim, ['replay', join(dir, 'garbage.jsonl')])).toMatchObject({
      code: 3,
      err: `${join(dir, 'garbage.jsonl')}: not JSON at line 6`,
    });
  });
});
