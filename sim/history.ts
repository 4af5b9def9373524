// The run's history: one line per event with virtual time. Checkers read
// it; its rolling hash proves two runs identical. Lines are built only
// when kept (trace file, determinism check); the hash always runs.

export type HistoryEvent = { type: string } & Record<string, unknown>;

export interface HistoryOptions {
  /** Keep every line in memory (for --trace and --check-determinism). */
  keepLines?: boolean;
  /** Keep the parsed events (for checkers). */
  keepEvents?: boolean;
}

export class History {
  /** FNV-1a 64-bit as two 32-bit halves. */
  private h1 = 0x84222325;
  private h2 = 0xcbf29ce4;
  count = 0;
  readonly lines: string[] = [];
  readonly events: (HistoryEvent & { t: number })[] = [];

  constructor(private opts: HistoryOptions = {}) {}

  record(t: number, ev: HistoryEvent): void {
    this.count++;
    // Same text as JSON.stringify({ t, ...ev }) without building the merged object.
    const body = JSON.stringify(ev);
    // The hash is streaming: mix the line's parts as they are, the line itself is built only when kept.
    if (body.length > 2) {
      this.mix(`{"t":${t},`, 0);
      this.mix(body, 1);
      if (this.opts.keepLines) this.lines.push(`{"t":${t},${body.slice(1)}`);
    } else {
      const line = `{"t":${t}}`;
      this.mix(line, 0);
      if (this.opts.keepLines) this.lines.push(line);
    }
    if (this.opts.keepEvents) {
      (ev as { t?: number }).t = t;
      this.events.push(ev as HistoryEvent & { t: number });
    }
  }

  private mix(s: string, from: number): void {
    let a = this.h1;
    let b = this.h2;
    for (let i = from; i < s.length; i++) {
      a ^= s.charCodeAt(i);
      // 64-bit multiply by the FNV prime 0x100000001b3, in 32-bit halves.
      const prod = a * 0x1b3; // < 2^41: exact in a double
      const lo = prod >>> 0;
      const carry = Math.floor(prod / 4294967296);
      b = (Math.imul(b, 0x1b3) + Math.imul(a, 0x100) + carry) >>> 0;
      a = lo;
    }
    this.h1 = a;
    this.h2 = b;
  }

  get hash(): string {
    return this.h2.toString(16).padStart(8, '0') + this.h1.toString(16).padStart(8, '0');
  }
}

/** Index of the first differing line of two runs, or -1 if identical. */
export function firstDivergence(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
