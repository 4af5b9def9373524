// Runs a scenario file against real processes (`sim run FILE --live`): the
// same scenario code, the same checkers, a LiveWorld instead of the
// simulator's World. A live run is not reproducible by seed: the seed only
// feeds the scenario's own random choices.

import path from 'node:path';
import { paramValue, type Scenario, type ScenarioContext, type RunResult } from '../scenario.ts';
import type { PhaseStats } from '../checkers.ts';
import { LiveWorld } from './live-world.ts';
import { LiveUnsupported } from '../scenario-world.ts';
import { findHaproxy } from './haproxy.ts';

export interface LiveRunOptions {
  params?: Record<string, number>;
  /** Overrides the scenario's live.timeScale. */
  timeScale?: number;
  /** Overrides the scenario's live.maxQuietMs. */
  maxQuietMs?: number;
  /** Keep configs, node logs and the generated HAProxy/nginx configs here. */
  dir?: string;
  haproxy?: string | null;
  nodeArgs?: (node: string, dir: string) => string[];
  /** Give each node `--data-dir <dir>/<node>-data`, the same across its restarts (needs a runtime with --data-dir). */
  dataDirs?: boolean;
  log?: (line: string) => void;
  /** Keep the history lines in the result (for a trace file). */
  keepLines?: boolean;
  /** Handed the world as soon as it exists (tests close it in afterAll if a run is abandoned). */
  onWorld?: (w: LiveWorld) => void;
}

export interface LiveRunResult extends RunResult {
  live: { timeScale: number; maxQuietMs: number; dir: string; notes: string[]; haproxy: string | null };
}

/** Whether a scenario can use a load balancer here. */
export function haproxyAvailable(): boolean {
  return findHaproxy() !== null;
}

export async function runLive(
  s: Scenario,
  seed: string | number,
  opts: LiveRunOptions = {},
): Promise<LiveRunResult> {
  const t0 = performance.now();
  const timeScale = opts.timeScale ?? s.live?.timeScale ?? 1;
  const maxQuietMs = opts.maxQuietMs ?? s.live?.maxQuietMs ?? 5000;
  if (!(timeScale > 0)) throw new Error(`time scale must be > 0 (got ${timeScale})`);
  const haproxy = opts.haproxy === undefined ? findHaproxy() : opts.haproxy;
  const dataDir = (node: string, dir: string) => ['--data-dir', path.join(dir, `${node}-data`)];
  const nodeArgs = opts.dataDirs
    ? (node: string, dir: string) => [...dataDir(node, dir), ...(opts.nodeArgs?.(node, dir) ?? [])]
    : opts.nodeArgs;
  const world = await LiveWorld.create({
    seed,
    timeScale,
    maxQuietMs,
    haproxy,
    dir: opts.dir,
    keepLines: opts.keepLines,
    nodeArgs,
    log: opts.log,
  });
  opts.onWorld?.(world);
  const onExit = () => world.killAll();
  process.on('exit', onExit);
  const report: Record<string, string | number> = {};
  let phases: PhaseStats[] | undefined;
  const violations: { property: string; detail: string }[] = [];
  const params = { ...s.live?.params, ...opts.params };
  // Said in the report: a live run differs from the simulator's by these.
  for (const [k, v] of Object.entries(s.live?.params ?? {}))
    if (opts.params?.[k] === undefined && v !== s.params?.[k]?.default)
      world.notes.push(
        `param ${k}=${v} from the scenario's live hints (simulator: ${s.params?.[k]?.default})`,
      );
  const ctx: ScenarioContext = {
    param: (name, dflt) => paramValue(s, params, name, dflt),
    phases: (rows) => void (phases = rows),
    report: (k, v) => void (report[k] = v),
    violation: (property, detail) => {
      violations.push({ property, detail });
      world.record({ type: 'violation', property, detail });
    },
  };
  try {
    // Scenarios are written against ScenarioWorld; simulator internals (simOnly) throw LiveUnsupported here.
    await s.run(world, ctx);
  } catch (e) {
    if (!(e instanceof LiveUnsupported)) throw e;
    violations.push({ property: 'live-unsupported', detail: e.message });
  } finally {
    await world.close();
    process.off('exit', onExit);
  }
  return {
    scenario: s.name,
    seed: String(seed),
    hash: world.history.hash,
    events: world.history.count,
    historyLines: world.history.count,
    simulatedMs: world.now,
    wallMs: performance.now() - t0,
    report,
    phases,
    violations,
    lines: opts.keepLines ? world.history.lines : undefined,
    live: { timeScale, maxQuietMs, dir: world.dir, notes: world.notes, haproxy },
  };
}
