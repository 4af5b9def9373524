// Real-world implementations of the core's Env: a monotonic wall clock,
// timers that survive Node's 24.8-day setTimeout ceiling, crypto randomness.

import { randomBytes, createHmac } from 'node:crypto';
import type { Clock, Crypto, Env, Random, Timer, Logger } from '../core/env.ts';
import { createLogger } from './log.ts';

const MAX_TIMEOUT = 2 ** 31 - 1;

export class RealClock implements Clock {
  private readonly origin = Date.now() - performance.now();
  private readonly wheel = new TimerWheel(this);

  now(): number {
    return this.origin + performance.now();
  }

  /**
   * Short delays (under WHEEL_MIN_MS: batching of syncs and acks, where a late timer is latency)
   * get their own Node timer; longer ones (keep alive, connect timeout, expiry, heartbeats: one or
   * two per connection) share the wheel's, firing at most 1/128 of their delay late.
   */
  setTimer<T = undefined>(delayMs: number, fn: (arg: T) => void, arg?: T): Timer {
    return delayMs < WHEEL_MIN_MS
      ? new NodeTimer(delayMs, fn as (arg: unknown) => void, arg)
      : this.wheel.add(this.now() + delayMs, delayMs, fn as (arg: unknown) => void, arg);
  }
}

/** Delays from which timers go to the wheel. */
const WHEEL_MIN_MS = 1000;

/** A timer of its own (a class, not closures: the TypeScript loader gives every named closure a name property). */
class NodeTimer implements Timer {
  private readonly handle: NodeJS.Timeout;

  constructor(delayMs: number, fn: (arg: unknown) => void, arg: unknown) {
    this.handle =
      arg === undefined
        ? setTimeout(fn as () => void, Math.max(0, delayMs))
        : setTimeout(fn, Math.max(0, delayMs), arg);
    this.handle.unref?.();
  }

  cancel(): void {
    clearTimeout(this.handle);
  }
}

/** A timer on the wheel: in the list of its slot until it fires or is cancelled. */
class WheelTimer implements Timer {
  /** Position in its slot's list; -1 once fired or cancelled, -2 while taken out to fire. */
  index = -1;

  constructor(
    private readonly wheel: TimerWheel,
    readonly due: number,
    readonly slot: number,
    readonly seq: number,
    readonly fn: (arg: unknown) => void,
    readonly arg: unknown,
  ) {}

  cancel(): void {
    if (this.index >= 0) this.wheel.remove(this);
    else this.index = -1; // fired, or taken out to fire (-2): then it does not run
  }
}

/**
 * Long timers grouped by when they fire: each is put in the slot at the next multiple of a
 * granularity of at most 1/128 of its delay (a power of two, ms), so the many timers of similar
 * length that a broker holds (one per connection) share slots, and one Node timer, armed for the
 * earliest slot, serves them all. Cancelling takes a timer out of its slot's list at once.
 * Nothing fires early; within a slot timers fire in order of due time, then of creation.
 */
class TimerWheel {
  private readonly slots = new Map<number, WheelTimer[]>();
  /** Slot times with timers, a binary min-heap (may hold slots emptied since: skipped). */
  private readonly heap: number[] = [];
  private handle: NodeJS.Timeout | null = null;
  private armedFor = Infinity;
  private seq = 0;

  constructor(private readonly clock: RealClock) {}

  add(due: number, delayMs: number, fn: (arg: unknown) => void, arg: unknown): WheelTimer {
    let g = 1;
    while (g * 256 <= delayMs) g *= 2;
    const slot = Math.ceil(due / g) * g;
    const t = new WheelTimer(this, due, slot, this.seq++, fn, arg);
    let list = this.slots.get(slot);
    if (list === undefined) {
      this.slots.set(slot, (list = []));
      this.push(slot);
    }
    t.index = list.length;
    list.push(t);
    if (slot < this.armedFor) this.arm();
    return t;
  }

  remove(t: WheelTimer): void {
    const list = this.slots.get(t.slot)!;
    const last = list.pop()!;
    if (last !== t) {
      list[t.index] = last;
      last.index = t.index;
    }
    t.index = -1;
    if (list.length === 0) this.slots.delete(t.slot);
  }

  /** Arms the Node timer for the earliest slot that still has timers. */
  private arm(): void {
    while (this.heap.length > 0 && !this.slots.has(this.heap[0])) this.pop();
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
    this.armedFor = Infinity;
    if (this.heap.length === 0) return;
    this.armedFor = this.heap[0];
    // Beyond Node's ceiling (24.8 days) it wakes at the ceiling and arms again.
    // Whole milliseconds, at least one: Node's timers count in whole milliseconds and may wake a little early.
    const wait = Math.min(MAX_TIMEOUT, Math.max(1, Math.ceil(this.armedFor - this.clock.now())));
    this.handle = setTimeout(fireWheel, wait, this);
    this.handle.unref?.();
  }

  static fire(w: TimerWheel): void {
    w.handle = null;
    w.armedFor = Infinity;
    const now = w.clock.now();
    // The slots due now; timers these callbacks set go to later slots (or their own Node timers).
    const due: WheelTimer[] = [];
    while (w.heap.length > 0 && w.heap[0] <= now) {
      const slot = w.pop();
      const list = w.slots.get(slot);
      if (list === undefined) continue;
      w.slots.delete(slot);
      for (const t of list) due.push(t);
    }
    due.sort((a, b) => a.due - b.due || a.seq - b.seq);
    for (const t of due) t.index = -2; // taken out: cancel() now means "do not run"
    let failure: unknown = null;
    for (const t of due) {
      if (t.index !== -2) continue; // cancelled by an earlier callback
      t.index = -1;
      try {
        t.fn(t.arg);
      } catch (e) {
        // The others still run; the first error is thrown afterwards, as an uncaught timer error would be.
        failure ??= e;
      }
    }
    w.arm();
    if (failure !== null) throw failure;
  }

  private push(x: number): void {
    const h = this.heap;
    let i = h.length;
    h.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p] <= x) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = x;
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0];
    const x = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= h.length) break;
        if (c + 1 < h.length && h[c + 1] < h[c]) c++;
        if (h[c] >= x) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = x;
    }
    return top;
  }
}
const fireWheel = TimerWheel.fire;

/** Uniform [0,1) from the OS CSPRNG, drawn in blocks. */
export class CryptoRandom implements Random {
  private buf = randomBytes(4096);
  private pos = 0;

  next(): number {
    if (this.pos + 4 > this.buf.length) {
      this.buf = randomBytes(4096);
      this.pos = 0;
    }
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v / 0x100000000;
  }
}

/** HMAC for the cluster's peer authentication (the simulator uses the same). */
export const nodeCrypto: Crypto = {
  hmacSha256: (key, data) => createHmac('sha256', key).update(data).digest('hex'),
};

/** Text lines at level info (runtime/log.ts): the default where no configuration says otherwise. */
export const consoleLogger: Logger = createLogger({ level: 'info', format: 'text' });

export function realEnv(log: Logger = consoleLogger): Env {
  return { clock: new RealClock(), random: new CryptoRandom(), log };
}
