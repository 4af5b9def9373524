// Seeded randomness: one root seed, one independent stream per label, so
// adding a client or a link does not shift any other stream's draws.

import type { Random } from '../core/env.ts';

/**
 * Baagøe's Alea as seedrandom's `alea` implements it (the same draws for the
 * same seed; test/sim/engine.test.ts compares them), held as four numbers on
 * the Rng itself. seedrandom's version is a closure with three added function
 * properties (a dictionary-mode object) per stream, and a run makes four
 * streams per simulated client (its host, the client, two links): at 100,000
 * clients that was ~1 KB of heap per client for the collector to trace.
 * Original work (c) 2010 Johannes Baagøe, MIT license.
 */
function mash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000; // 2^32
    }
    return (n >>> 0) * 2.3283064365386963e-10; // 2^-32
  };
}

export class Rng implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private c = 1;
  constructor(
    root: string | number,
    readonly label: string,
  ) {
    // Alea: seeded like the default ARC4 but several times faster; it draws once per segment.
    const seed = `${root}/${label}`;
    const m = mash();
    this.s0 = m(' ');
    this.s1 = m(' ');
    this.s2 = m(' ');
    this.s0 -= m(seed);
    if (this.s0 < 0) this.s0 += 1;
    this.s1 -= m(seed);
    if (this.s1 < 0) this.s1 += 1;
    this.s2 -= m(seed);
    if (this.s2 < 0) this.s2 += 1;
  }
  next(): number {
    const t = 2091639 * this.s0 + this.c * 2.3283064365386963e-10; // 2^-32
    this.s0 = this.s1;
    this.s1 = this.s2;
    return (this.s2 = t - (this.c = t | 0));
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  /** Exponential with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
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
