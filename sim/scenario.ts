// A scenario: a module in scenarios/ whose default export says how to build
// a world, what to do in it, and what must hold afterwards. Scenarios are
// written against ScenarioWorld (sim/scenario-world.ts), so they run against
// live processes too.

import { World, type WorldOptions } from './world.ts';
import { firstDivergence } from './history.ts';
import type { PhaseStats } from './checkers.ts';
import type { SimObserver } from './observe.ts';
import type { ScenarioWorld } from './scenario-world.ts';

export interface ScenarioContext {
  /** The per-phase table (published, delivered, lost, duplicated, max delay); `--json` carries the rows. */
  phases(rows: PhaseStats[]): void;
  /**
   * A numeric knob of the scenario (`sim run --param name=value`), else its default: the one declared in
   * `params`, or `dflt` for an undeclared knob (older scenarios; `--param` refuses undeclared names).
   */
  param(name: string, dflt?: number): number;
  /** Adds a line to the run's summary. */
  report(key: string, value: string | number): void;
  /** Records a violated property; the run fails. */
  violation(property: string, detail: string): void;
}

/** A declared scenario knob: `sim run FILE --help` lists it, `--param NAME=VALUE` sets it. */
export interface ParamSpec {
  default: number;
  description: string;
}

export interface Scenario {
  name: string;
  description: string;
  /** The knobs `ctx.param` reads; `--param` accepts only these names. */
  params?: Record<string, ParamSpec>;
  /** World options other than the seed. */
  world?: Omit<WorldOptions, 'seed' | 'history'>;
  run(world: ScenarioWorld, ctx: ScenarioContext): Promise<void>;
  /** How the scenario runs against real processes (`sim run --live`); the simulator ignores it. */
  live?: LiveHints;
}

/** Time mapping and knobs for a live run (see sim/live/). */
export interface LiveHints {
  /** Wall milliseconds per virtual millisecond (default 1: real time). */
  timeScale?: number;
  /** Longest wall time one sleep may take (default 5000 ms); the virtual clock jumps the rest. */
  maxQuietMs?: number;
  /** Parameter defaults for live runs (overridden by --param). */
  params?: Record<string, number>;
}

export function defineScenario(s: Scenario): Scenario {
  return s;
}

/** The value of a knob: given, else declared default, else the caller's default. */
export function paramValue(
  s: Scenario,
  given: Record<string, number> | undefined,
  name: string,
  dflt?: number,
): number {
  const v = given?.[name] ?? s.params?.[name]?.default ?? dflt;
  if (v === undefined)
    throw new Error(
      `scenario ${s.name}: ctx.param(${JSON.stringify(name)}) has no default: declare it in params`,
    );
  return v;
}

/** The names in `given` the scenario does not declare. */
export function unknownParams(s: Scenario, given: Record<string, number>): string[] {
  return Object.keys(given).filter((k) => !Object.hasOwn(s.params ?? {}, k));
}

export interface RunResult {
  scenario: string;
  seed: string;
  hash: string;
  events: number;
  historyLines: number;
  simulatedMs: number;
  wallMs: number;
  report: Record<string, string | number>;
  phases?: PhaseStats[];
  violations: { property: string; detail: string }[];
  lines?: string[];
}

export async function runScenario(
  s: Scenario,
  seed: string | number,
  opts: {
    keepLines?: boolean;
    wallClock?: () => number;
    params?: Record<string, number>;
    /** Watches the run (UI, trace samples); it only reads, so the history is the same. */
    observe?: (world: World) => SimObserver;
  } = {},
): Promise<RunResult> {
  const clock = opts.wallClock ?? (() => performance.now());
  const t0 = clock();
  const world = new World({ ...s.world, seed, history: { keepLines: opts.keepLines, keepEvents: true } });
  const report: Record<string, string | number> = {};
  let phases: PhaseStats[] | undefined;
  const violations: { property: string; detail: string }[] = [];
  const ctx: ScenarioContext = {
    param: (name, dflt) => paramValue(s, opts.params, name, dflt),
    phases: (rows) => void (phases = rows),
    report: (k, v) => void (report[k] = v),
    violation: (property, detail) => {
      violations.push({ property, detail });
      world.record({ type: 'violation', property, detail });
    },
  };
  if (opts.observe) world.observer = opts.observe(world);
  await world.run((w) => s.run(w, ctx));
  return {
    scenario: s.name,
    seed: String(seed),
    hash: world.history.hash,
    events: world.eventsProcessed,
    historyLines: world.history.count,
    simulatedMs: world.now,
    wallMs: clock() - t0,
    report,
    phases,
    violations,
    lines: opts.keepLines ? world.history.lines : undefined,
  };
}

/** Runs a seed twice; returns the first line where the runs differ, if any. */
export async function checkDeterminism(
  s: Scenario,
  seed: string | number,
  params?: Record<string, number>,
): Promise<{ identical: boolean; index: number; a?: string; b?: string; hash: string }> {
  const r1 = await runScenario(s, seed, { keepLines: true, params });
  const r2 = await runScenario(s, seed, { keepLines: true, params });
  const i = firstDivergence(r1.lines!, r2.lines!);
  return {
    identical: i < 0 && r1.hash === r2.hash,
    index: i,
    a: r1.lines![i],
    b: r2.lines![i],
    hash: r1.hash,
  };
}
