// Trace files (`sim run --trace`): a header naming the scenario, seed and
// params; the history, one JSON line per event (exactly the lines the hash
// covers); world samples interleaved as `{"sample":...}` lines (node
// counters, links, balancers: what the history does not carry, for the
// UI's time travel); and a footer with the hash and the run's verdict.
// Sample lines never start with `{"t":`, so readers tell them apart.

import { readFileSync, writeFileSync } from 'node:fs';
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
  scenario: string;
  name: string;
  seed: string;
  params: Record<string, number>;
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

export function writeTrace(file: string, header: TraceHeader, r: RunResult, samples: { after: number; sample: WorldSample }[]): void {
  const out: string[] = [JSON.stringify(header)];
  const lines = r.lines!;
  let k = 0;
  for (let i = 0; i <= lines.length; i++) {
    while (k < samples.length && samples[k].after <= i) out.push(JSON.stringify({ sample: samples[k++].sample }));
    if (i < lines.length) out.push(lines[i]);
  }
  const footer: TraceFooter = { type: 'end', hash: r.hash, lines: r.historyLines, simulatedMs: r.simulatedMs, events: r.events, report: r.report, phases: r.phases, violations: r.violations };
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

export function readTrace(file: string): Trace {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const header = JSON.parse(lines[0]);
  const footer = JSON.parse(lines[lines.length - 1]);
  if (header.type !== 'trace' || footer.type !== 'end') throw new Error(`${file}: not a sim trace`);
  const body = lines.slice(1, -1);
  return { header, footer, body, history: body.filter((l) => !l.startsWith('{"sample"')) };
}
