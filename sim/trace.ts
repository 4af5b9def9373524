// Trace files (`sim run --trace`): a header naming the scenario, seed and
// params; the history, one JSON line per event (exactly the lines the hash
// covers); world samples interleaved as `{"sample":...}` lines (node
// counters, links, balancers: what the history does not carry, for the
// UI's time travel); and a footer with the hash and the run's verdict.
// Sample lines never start with `{"t":`, so readers tell them apart.

import { existsSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { VERSION } from '../core/broker.ts';
import { LoadError, readText } from '../cli/errors.ts';
import type { World } from './world.ts';
import type { HistoryEvent } from './history.ts';
import { sampleWorld, type SimObserver, type WorldSample } from './observe.ts';
import type { RunResult } from './scenario.ts';

/** At most one periodic sample per this much simulated time; state changes sample at once. */
const SAMPLE_EVERY_MS = 1000;
const STATE_CHANGE = /^(fault\.|node\.|cluster\.|lb\.|violation)/;

/** Takes world samples while the run records its history; only reads. */
export class TraceSampler implements SimObserver {
  readonly samples: { after: number; sample: WorldSample }[] = [];
  private next = 0;
  private lastT = -1;

  constructor(private world: World) {}

  event(t: number, ev: HistoryEvent): void {
    if (t >= this.next || (t !== this.lastT && STATE_CHANGE.test(ev.type))) this.take(t);
  }

  /** One more after the last event (the end state). */
  final(): void {
    this.take(this.world.now);
  }

  private take(t: number): void {
    this.samples.push({ after: this.world.history.count, sample: sampleWorld(this.world) });
    this.lastT = t;
    this.next = t + SAMPLE_EVERY_MS;
  }
}

export interface TraceHeader {
  type: 'trace';
  /** The scenario file, relative to the trace's directory (older traces: relative to where sim ran). */
  scenario: string;
  name: string;
  seed: string;
  params: Record<string, number>;
  /** The mqttlab version that wrote the trace. */
  version?: string;
}

/** The header of a trace written to `traceFile` for a run of the scenario file `scenarioFile`. */
export function traceHeader(
  traceFile: string,
  scenarioFile: string,
  run: { name: string; seed: string; params: Record<string, number> },
): TraceHeader {
  const scenario = relative(dirname(resolve(traceFile)), resolve(scenarioFile))
    .split('\\')
    .join('/');
  return { type: 'trace', scenario, name: run.name, seed: run.seed, params: run.params, version: VERSION };
}

/** The scenario file a trace names: relative to the trace, else (older traces) to the current directory. */
export function traceScenarioFile(traceFile: string, header: TraceHeader): string {
  if (isAbsolute(header.scenario)) return header.scenario;
  const nextToTrace = resolve(dirname(resolve(traceFile)), header.scenario);
  return existsSync(nextToTrace) || !existsSync(resolve(header.scenario))
    ? nextToTrace
    : resolve(header.scenario);
}

export interface TraceFooter {
  type: 'end';
  hash: string;
  lines: number;
  simulatedMs?: number;
  events?: number;
  report?: RunResult['report'];
  phases?: RunResult['phases'];
  violations?: RunResult['violations'];
}

export function writeTrace(
  file: string,
  header: TraceHeader,
  r: RunResult,
  samples: { after: number; sample: WorldSample }[],
): void {
  const out: string[] = [JSON.stringify(header)];
  const lines = r.lines!;
  let k = 0;
  for (let i = 0; i <= lines.length; i++) {
    while (k < samples.length && samples[k].after <= i)
      out.push(JSON.stringify({ sample: samples[k++].sample }));
    if (i < lines.length) out.push(lines[i]);
  }
  const footer: TraceFooter = {
    type: 'end',
    hash: r.hash,
    lines: r.historyLines,
    simulatedMs: r.simulatedMs,
    events: r.events,
    report: r.report,
    phases: r.phases,
    violations: r.violations,
  };
  out.push(JSON.stringify(footer));
  writeFileSync(file, out.join('\n') + '\n');
}

export interface Trace {
  header: TraceHeader;
  footer: TraceFooter;
  /** History lines only (what the hash covers). */
  history: string[];
  /** Every body line in order: history lines and sample lines. */
  body: string[];
}

/** Reads a trace; a damaged one is a LoadError naming the line ("truncated at line N", "not JSON at line N"). */
export function readTrace(file: string): Trace {
  const text = readText('trace', file);
  const lines = text.trimEnd().split('\n');
  const parse = (i: number) => {
    try {
      return JSON.parse(lines[i]);
    } catch {
      const last = i === lines.length - 1 && !text.endsWith('\n');
      throw new LoadError(`${file}: ${last ? 'truncated' : 'not JSON'} at line ${i + 1}`);
    }
  };
  if (text.trim() === '') throw new LoadError(`${file}: empty, not a sim trace`);
  const header = parse(0);
  if (header?.type !== 'trace')
    throw new LoadError(`${file}: not a sim trace (line 1 is not a trace header)`);
  const footer = parse(lines.length - 1);
  if (footer?.type !== 'end')
    throw new LoadError(
      `${file}: truncated at line ${lines.length} (no end line: the run did not finish writing)`,
    );
  const body = lines.slice(1, -1);
  for (let i = 0; i < body.length; i++)
    if (!body[i].startsWith('{')) throw new LoadError(`${file}: not JSON at line ${i + 2}`);
  return { header, footer, body, history: body.filter((l) => !l.startsWith('{"sample"')) };
}
