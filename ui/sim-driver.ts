// Runs a scenario under the UI: a pacing observer (sim/observe.ts) that
// lets simulated time advance at the chosen speed, stops on pause, single
// steps to the next recorded event, runs flat out to the next fault, and
// hands the UI a fresh snapshot at most 10 times a second. It only reads
// the world, so the run's history (and hash) is the one `sim run` gets.

import type { World } from '../sim/world.ts';
import type { HistoryEvent } from '../sim/history.ts';
import { sampleWorld, type SimObserver, type Slice } from '../sim/observe.ts';
import { ModelBuilder, type UiState } from './model.ts';
import { Listeners, type KeyPress, type UiSource } from './source.ts';

export const SPEEDS = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, Infinity];
const FRAME_MS = 100;
/** Events per slice: bounds the time between looks at the keyboard when the sim runs flat out. */
const SLICE_EVENTS = 20_000;

export function speedLabel(x: number): string {
  return x === Infinity ? 'max' : `x${x.toLocaleString('en-US')}`;
}

export function parseSpeed(s: string): number {
  if (s === 'max') return Infinity;
  const n = Number(s.replace(/^x/, '').replace(/,/g, ''));
  if (!SPEEDS.includes(n)) throw new Error(`--speed ${s}: one of ${SPEEDS.map(speedLabel).join(', ')}`);
  return n;
}

const now = () => performance.now();
const tick = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class SimDriver implements SimObserver, UiSource {
  readonly model: ModelBuilder;
  private world: World | null = null;
  private listeners = new Listeners();
  private frame: UiState;
  private lastFrame = -Infinity;
  private lastWall = now();
  /** Simulated time the display has reached (the world's clock moves only with events). */
  private clock = 0;
  private slice: Slice | null = null;
  private wake: (() => void) | null = null;
  private speed: number;
  private paused = false;
  private stepping = false;
  private jumping = false;
  private quit = false;

  constructor(title: string, opts: { speed?: number; paused?: boolean } = {}) {
    this.model = new ModelBuilder(title, 'sim');
    this.speed = opts.speed ?? 10;
    this.paused = !!opts.paused;
    this.status();
    this.frame = this.model.snapshot();
  }

  attach(world: World): this {
    this.world = world;
    return this;
  }

  // ---- observer ---------------------------------------------------------

  event(t: number, ev: HistoryEvent): void {
    this.model.event(t, ev);
    if (this.slice && (this.stepping || (this.jumping && ev.type.startsWith('fault.')))) {
      // End the slice after this event: the step is done, or the fault is reached.
      this.slice.maxEvents = 0;
      if (this.jumping) this.model.setStatus({ note: `stopped at ${ev.type}` });
      this.stepping = this.jumping = false;
      this.paused = true;
    }
  }

  async pace(world: World, horizon: number): Promise<Slice> {
    if (this.quit) throw new QuitError();
    this.clock = Math.min(horizon, Math.max(this.clock, world.now));
    const wall = now();
    const dt = Math.min(250, wall - this.lastWall);
    this.lastWall = wall;
    if (wall - this.lastFrame >= FRAME_MS) this.publish(world);
    if (this.paused && !this.stepping) {
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 200);
      });
      this.wake = null;
      this.lastWall = now();
      return (this.slice = { maxEvents: 0, untilMs: -Infinity });
    }
    if (this.stepping || this.jumping || this.speed === Infinity) {
      await tick(0); // let keys and renders in
      return (this.slice = { maxEvents: SLICE_EVENTS, untilMs: Infinity });
    }
    this.clock = Math.min(horizon, this.clock + dt * this.speed);
    if (world.queue.peekTime() > this.clock && this.clock < horizon)
      await tick(15); // ahead of the wall clock: wait
    else await tick(0);
    return (this.slice = { maxEvents: SLICE_EVENTS, untilMs: this.clock });
  }

  private publish(world: World): void {
    this.model.sample(sampleWorld(world));
    this.model.setTime(Math.max(world.now, this.clock));
    this.status();
    this.frame = this.model.snapshot();
    this.lastFrame = now();
    this.listeners.emit();
  }

  private status(): void {
    const help = this.paused ? 'paused: space resumes, s steps' : '';
    this.model.setStatus({
      paused: this.paused,
      speed: this.jumping ? 'to next fault' : speedLabel(this.speed),
      ...(help && !this.model.state.status.note ? { note: help } : {}),
    });
  }

  /** The run ended: final sample, the scenario's own tables and the summary. */
  finish(
    world: World,
    r: {
      phases?: Parameters<ModelBuilder['finish']>[0]['phases'];
      violations: { property: string; detail: string }[];
      summary: string[];
    },
  ): void {
    this.model.sample(sampleWorld(world));
    this.model.finish(r);
    this.model.setStatus({ paused: false, note: r.violations.length ? 'FAIL' : 'PASS' });
    this.frame = this.model.snapshot();
    this.listeners.emit();
  }

  /** The scenario threw: the error becomes the summary. */
  failed(e: Error): void {
    this.model.finish({
      settle: false,
      violations: [{ property: 'run', detail: e.message }],
      summary: [
        'verdict    ERROR: the scenario threw',
        ...String(e.stack ?? e.message)
          .split('\n')
          .slice(0, 8),
      ],
    });
    this.model.setStatus({ paused: false, note: 'ERROR' });
    this.frame = this.model.snapshot();
    this.listeners.emit();
  }

  // ---- UI source -----------------------------------------------------------

  current(): UiState {
    return this.frame;
  }

  subscribe(fn: () => void): () => void {
    return this.listeners.add(fn);
  }

  key(k: KeyPress): void {
    if (this.model.state.status.done) return;
    const i = SPEEDS.indexOf(this.speed);
    this.model.setStatus({ note: '' });
    switch (k.input) {
      case ' ':
      case 'p':
        this.paused = !this.paused;
        this.jumping = false;
        break;
      case 's':
      case '.':
        this.paused = true;
        this.stepping = true;
        break;
      case '+':
      case '=':
      case 'f':
        this.speed = SPEEDS[Math.min(SPEEDS.length - 1, i + 1)];
        break;
      case '-':
      case 'd':
        this.speed = SPEEDS[Math.max(0, i - 1)];
        break;
      case 'm':
        this.speed = Infinity;
        break;
      case 'n':
        this.jumping = true;
        this.paused = false;
        break;
      default:
        if (/^[1-7]$/.test(k.input)) this.speed = SPEEDS[Number(k.input) - 1];
        else return;
    }
    this.status();
    this.frame = this.model.snapshot();
    this.listeners.emit();
    this.wake?.();
  }

  close(): void {
    this.quit = true;
    this.wake?.();
  }
}

/** Thrown out of pace() when the user quits mid-run: ends the scenario's script. */
export class QuitError extends Error {
  constructor() {
    super('quit');
  }
}
