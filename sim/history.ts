// The run's history: one event per operation with virtual time. Checkers
// read it; its rolling hash proves two runs identical. The hash runs over
// a compact binary encoding of each event (its fields as 32-bit words);
// the JSON line of an event is built only when lines are kept (trace file,
// determinism check), so a plain run never stringifies its history.

import type { Ev, HistoryEvent } from './events.ts';

export type { Ev, HistoryEvent } from './events.ts';

export interface HistoryOptions {
  /** Keep every line in memory (for --trace and --check-determinism). */
  keepLines?: boolean;
  /** Keep the parsed events (for checkers). */
  keepEvents?: boolean;
}

// Value tags of the encoding; a field whose value is undefined is left out, as in the JSON line.
const STRING = 1;
const INT = 2;
const FLOAT = 3;
const TRUE = 4;
const FALSE = 5;
const OTHER = 6; // null, arrays, objects: their JSON text
const END = 0xffffffff;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * The encoder takes any event with a `type` (its tests feed it arbitrary shapes); the world
 * records HistoryEvents only.
 */
export class History<E extends { type: string } = HistoryEvent> {
  /** Two independent 32-bit lanes (multiply, xor-shift: each step a bijection of the state). */
  private h1 = 0x84222325;
  private h2 = 0xcbf29ce4;
  count = 0;
  readonly lines: string[] = [];
  readonly events: (E & { t: number })[] = [];

  constructor(private opts: HistoryOptions = {}) {}

  record(t: number, ev: E): void {
    this.count++;
    this.num(t);
    // The encoder walks any event's fields in their insertion order, whatever its kind.
    const fields = ev as unknown as Record<string, unknown>;
    for (const k in fields) {
      const v = fields[k];
      if (v === undefined) continue;
      this.str(k);
      switch (typeof v) {
        case 'string':
          this.word(STRING);
          this.str(v);
          break;
        case 'number':
          this.num(v);
          break;
        case 'boolean':
          this.word(v ? TRUE : FALSE);
          break;
        default:
          this.word(OTHER);
          this.str(JSON.stringify(v) ?? '');
      }
    }
    this.word(END);
    // Same text as JSON.stringify({ t, ...ev }) without building the merged object.
    if (this.opts.keepLines) {
      const body = JSON.stringify(ev);
      this.lines.push(body.length > 2 ? `{"t":${t},${body.slice(1)}` : `{"t":${t}}`);
    }
    if (this.opts.keepEvents) {
      const at = ev as E & { t: number };
      at.t = t;
      this.events.push(at);
    }
  }

  private word(x: number): void {
    let a = this.h1 ^ x;
    a = Math.imul(a, 0x85ebca6b);
    this.h1 = a ^ (a >>> 13);
    let b = this.h2 ^ x;
    b = Math.imul(b, 0xc2b2ae35);
    this.h2 = b ^ (b >>> 16);
  }

  /** Length, then the UTF-16 code units two to a word. */
  private str(s: string): void {
    const n = s.length;
    this.word(n);
    let i = 0;
    for (; i + 1 < n; i += 2) this.word(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    if (i < n) this.word(s.charCodeAt(i));
  }

  /** A 32-bit integer as one word (-0 as 0, as the JSON line writes it), else the IEEE-754 bits. */
  private num(v: number): void {
    if ((v | 0) === v) {
      this.word(INT);
      this.word(v);
      return;
    }
    f64[0] = v;
    this.word(FLOAT);
    this.word(u32[0]);
    this.word(u32[1]);
  }

  get hash(): string {
    return (this.h2 >>> 0).toString(16).padStart(8, '0') + (this.h1 >>> 0).toString(16).padStart(8, '0');
  }
}

/** Index of the first differing line of two runs, or -1 if identical. */
export function firstDivergence(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
