// Seeded randomness: one root seed, one independent stream per label, so
// adding a client or a link does not shift any other stream's draws.

import seedrandom from 'seedrandom';
import type { Random } from '../core/env.ts';

export class Rng implements Random {
  private prng: seedrandom.PRNG;
  constructor(
    root: string | number,
    readonly label: string,
  ) {
    // Alea: seeded like the default ARC4 but several times faster; it draws once per segment.
    this.prng = seedrandom.alea(`${root}/${label}`);
  }
  next(): number {
    return this.prng();
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.prng() * (hi - lo + 1));
  }
  /** Exponential with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.prng()) * mean;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.prng() * xs.length)];
  }
  chance(p: number): boolean {
    return this.prng() < p;
  }
}

export type Latency =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'exponential'; min: number; mean: number };

export function sampleLatency(l: Latency, r: Rng): number {
  switch (l.kind) {
    case 'fixed':
      return l.ms;
    case 'uniform':
      return l.min + r.next() * (l.max - l.min);
    case 'exponential':
      return l.min + r.exp(l.mean);
  }
}
