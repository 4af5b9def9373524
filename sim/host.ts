// A simulated machine: its own clock (skew, drift), its own random stream,
// a disk, and a life cycle (up, paused, crashed). Every event addressed to
// a host goes through deliver(), which drops it after a crash and holds it
// while the host is paused.

import type { Clock, Timer } from '../core/env.ts';
import type { EventHandler, SimEvent } from './event-queue.ts';
import type { SimKernel } from './kernel.ts';
import { SimDisk } from './disk.ts';
import { Rng } from './rng.ts';

export type HostState = 'up' | 'paused' | 'crashed';

/** Runs a callback on a host, unless the host has crashed since it was scheduled. */
class HostTimer<T = unknown> implements EventHandler, Timer {
  ev: SimEvent | null = null;
  constructor(
    private host: SimHost,
    private epoch: number,
    private fn: (arg: T) => void,
    private arg: T,
  ) {}
  fire(_arg: unknown, ev: SimEvent): void {
    if (this.host.epoch !== this.epoch) return;
    if (this.host.state === 'paused') {
      this.host.defer(ev);
      return;
    }
    this.ev = null;
    this.fn(this.arg);
  }
  cancel(): void {
    if (this.ev) this.ev.live = false;
    this.ev = null;
  }
}

export class SimHost implements Clock {
  state: HostState = 'up';
  /** How the last crash happened: 'power' leaves peers half-open and connects unanswered. */
  crashMode: 'process' | 'power' = 'process';
  /** Bumped by every crash: events from an earlier life are ignored. */
  epoch = 0;
  /** Local clock = virtual × (1 + drift) + offset (ms). */
  offset = 0;
  drift = 0;
  /** Monotonic clock = virtual × (1 + drift) + monoOffset: drifts like the local clock, is never stepped by skew. */
  monoOffset = 0;
  readonly disk = new SimDisk();
  readonly rng: Rng;
  private deferred: SimEvent[] = [];
  /** Virtual time of the last (re)start. */
  startedAt = 0;

  constructor(
    readonly world: SimKernel,
    readonly name: string,
  ) {
    this.rng = world.rng(`host/${name}`);
  }

  get up(): boolean {
    return this.state !== 'crashed';
  }

  now(): number {
    return this.world.now * (1 + this.drift) + this.offset;
  }

  monotonic(): number {
    return this.world.now * (1 + this.drift) + this.monoOffset;
  }

  setTimer<T = undefined>(delayMs: number, fn: (arg: T) => void, arg?: T): Timer {
    const t = new HostTimer(this, this.epoch, fn, arg as T);
    // Like Node's timers, a positive delay waits at least 1 ms. Without this
    // floor a sub-ulp delay (a lazily re-armed timer whose remaining time is
    // float rounding noise) is absorbed by `now + delay`, fires at the same
    // instant without the host clock moving, and re-arms forever.
    const localDelay = delayMs > 0 ? Math.max(1, delayMs) : 0;
    const virtualDelay = localDelay / (1 + this.drift);
    t.ev = this.world.queue.push(this.world.now + virtualDelay, t, null);
    return t;
  }

  /** Parks an event until unpause. */
  defer(ev: SimEvent): void {
    this.deferred.push(ev);
  }

  pause(): void {
    if (this.state === 'up') this.state = 'paused';
    this.world.topologyChanged();
  }

  /** Frozen events run now, in the order they were due. */
  unpause(): void {
    if (this.state !== 'paused') return;
    this.state = 'up';
    this.world.topologyChanged();
    const evs = this.deferred;
    this.deferred = [];
    for (const ev of evs) {
      if (!ev.live) continue;
      const ne = this.world.queue.push(this.world.now, ev.handler, ev.arg);
      if (ev.handler instanceof HostTimer) ev.handler.ev = ne;
    }
  }

  crash(mode: 'process' | 'power'): void {
    this.state = 'crashed';
    this.crashMode = mode;
    this.epoch++;
    this.deferred = [];
    // kill -9 leaves written data in the OS page cache; only a power loss loses what was not fsynced.
    if (mode === 'power') this.disk.crash();
    this.disk.processGone();
    this.world.topologyChanged();
  }

  start(): void {
    this.state = 'up';
    this.startedAt = this.world.now;
    this.world.topologyChanged();
  }

  /** A timer due at virtual time `at` (not before now): for periodic work replayed on a fixed grid. */
  setTimerAt(at: number, fn: () => void): Timer {
    const t = new HostTimer(this, this.epoch, fn, undefined);
    t.ev = this.world.queue.push(Math.max(at, this.world.now), t, null);
    return t;
  }
}
