// `sim replay TRACE --ui`: scrub back and forth through a recorded run.
// ←/→ one frame, PgUp/PgDn ten, [ and ] the previous/next state change,
// Home/End, space plays forward.

import './production.ts';
import type { Trace } from '../sim/trace.ts';
import type { UiState } from './model.ts';
import { traceFrames } from './replay-frames.ts';
import { Listeners, type KeyPress, type UiSource } from './source.ts';
import { runApp } from './app.tsx';

export class TraceSource implements UiSource {
  private i: number;
  private listeners = new Listeners();
  private timer: ReturnType<typeof setInterval> | null = null;

  private snap: UiState;

  constructor(private frames: UiState[]) {
    this.i = frames.length - 1;
    this.snap = this.build();
  }

  get index(): number {
    return this.i;
  }

  /** The same object until the position changes (useSyncExternalStore needs a stable snapshot). */
  current(): UiState {
    return this.snap;
  }

  private changed(): void {
    this.snap = this.build();
    this.listeners.emit();
  }

  private build(): UiState {
    const f = this.frames[this.i];
    const last = this.i === this.frames.length - 1;
    return {
      ...f,
      status: {
        ...f.status,
        done: last && f.status.done,
        paused: this.timer === null,
        speed: `frame ${this.i + 1}/${this.frames.length}`,
        note: this.timer ? 'playing' : '',
      },
    };
  }

  subscribe(fn: () => void): () => void {
    return this.listeners.add(fn);
  }

  private go(i: number): void {
    this.i = Math.max(0, Math.min(this.frames.length - 1, i));
    if (this.i === this.frames.length - 1) this.stop();
    this.changed();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  key(k: KeyPress): void {
    const tl = (i: number) => this.frames[i].timeline.length;
    if (k.leftArrow || k.input === 'h' || k.input === ',') return this.go(this.i - 1);
    if (k.rightArrow || k.input === 'l' || k.input === '.') return this.go(this.i + 1);
    if (k.pageUp) return this.go(this.i - 10);
    if (k.pageDown) return this.go(this.i + 10);
    if (k.home || k.input === 'g') return this.go(0);
    if (k.end || k.input === 'G') return this.go(this.frames.length - 1);
    if (k.input === ']') {
      let j = this.i + 1;
      while (j < this.frames.length - 1 && tl(j) === tl(this.i)) j++;
      return this.go(j);
    }
    if (k.input === '[') {
      let j = this.i - 1;
      while (j > 0 && tl(j - 1) === tl(j)) j--;
      return this.go(j);
    }
    if (k.input === ' ') {
      if (this.timer) this.stop();
      else {
        if (this.i === this.frames.length - 1) this.i = 0;
        this.timer = setInterval(() => this.go(this.i + 1), 100);
      }
      this.changed();
    }
  }

  close(): void {
    this.stop();
  }
}

export async function watchTrace(trace: Trace): Promise<void> {
  const f = trace.footer;
  const summary = [
    `trace      ${trace.header.scenario}  seed ${trace.header.seed}${Object.keys(trace.header.params ?? {}).length ? '  ' + JSON.stringify(trace.header.params) : ''}`,
    ...Object.entries(f.report ?? {}).map(([k, v]) => `${k.padEnd(10)} ${v}`),
    `history    ${f.lines} lines, hash ${f.hash}`,
    f.violations === undefined
      ? 'verdict    (not recorded in this trace)'
      : f.violations.length
        ? `verdict    FAIL: ${f.violations.length} violation(s)`
        : 'verdict    PASS',
    ...(f.violations ?? []).map((v) => `  ${v.property}: ${v.detail}`),
  ];
  await runApp(new TraceSource(traceFrames(trace, summary)));
}
