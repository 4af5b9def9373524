// A hand-driven Env for unit tests of the pure core: time moves only when
// the test calls advance(); randomness is seeded.

import seedrandom from 'seedrandom';
import type { Env, Timer, ByteSink } from '../../core/env.ts';

export class ManualClock {
  t = 0;
  private seq = 0;
  private timers: { at: number; seq: number; fn: () => void; live: boolean }[] = [];

  now(): number {
    return this.t;
  }

  setTimer<T = undefined>(delayMs: number, fn: (arg: T) => void, arg?: T): Timer {
    const e = { at: this.t + delayMs, seq: this.seq++, fn: () => fn(arg as T), live: true };
    this.timers.push(e);
    return { cancel: () => void (e.live = false) };
  }

  /** Moves time forward by `ms`, firing due timers in (time, creation) order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((x) => x.live);
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.live = false;
      next.fn();
    }
    this.t = end;
  }
}

export function manualEnv(seed = 'test'): Env & { clock: ManualClock } {
  const rng = seedrandom(seed);
  return { clock: new ManualClock(), random: { next: () => rng() } };
}

/** A ByteSink that records what the broker wrote. */
export class RecordingSink implements ByteSink {
  chunks: Buffer[] = [];
  closed = false;
  write(bytes: Uint8Array): void {
    this.chunks.push(Buffer.from(bytes));
  }
  close(): void {
    this.closed = true;
  }
  take(): Buffer {
    const b = Buffer.concat(this.chunks);
    this.chunks = [];
    return b;
  }
}
