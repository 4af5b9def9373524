// A progress line on stderr while a long run works (only on a terminal, not with --quiet/--json):
// simulated time, events per second, the current phase (the last fault or node event), and for
// sweeps and explore how many runs are done and an ETA. It observes only, so hashes don't change.
// The simulation disarms ambient clocks while it runs: this reads the saved real one.

import type { HistoryEvent } from './history.ts';
import type { SimObserver } from './observe.ts';
import { real } from './tripwire.ts';
import type { World } from './world.ts';

const EVERY_MS = 250;

function fmtSim(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60]
    .map((x) => String(x).padStart(2, '0'))
    .join(':');
  return d ? `${d}d ${hms}` : hms;
}

export class Progress {
  private last = 0;
  private startedAt = real.dateNow();
  private runs = { done: 0, total: 0 };
  private label = '';
  private shown = false;

  constructor(private readonly out: NodeJS.WriteStream | null) {}

  /** On when `out` is a terminal and the user did not ask for quiet or machine output. */
  static forStderr(quiet: boolean): Progress {
    return new Progress(!quiet && process.stderr.isTTY ? process.stderr : null);
  }

  get enabled(): boolean {
    return this.out !== null;
  }

  /** A sweep of `total` runs (seeds, explore schedules): adds "run i/n, ETA". */
  sweep(total: number, label: string): void {
    this.runs = { done: 0, total };
    this.label = label;
    this.startedAt = real.dateNow();
  }

  runDone(): void {
    this.runs.done++;
    this.draw(`${this.label} ${this.runs.done}/${this.runs.total}`);
  }

  /** An observer of one run: counts events and shows simulated time and phase. */
  observer(w: World): SimObserver {
    let events = 0;
    let phase = 'start';
    const t0 = real.dateNow();
    return {
      event: (_t: number, ev: HistoryEvent) => {
        if (/^(fault|node|cluster)\./.test(ev.type)) phase = ev.type;
        if ((++events & 1023) !== 0) return;
        const wall = Math.max(1, real.dateNow() - t0);
        const run = this.runs.total ? `${this.label} ${this.runs.done + 1}/${this.runs.total}  ` : '';
        this.draw(
          `${run}simulated ${fmtSim(w.now)}  ${Math.round((events * 1000) / wall)} events/s  phase ${phase}`,
        );
      },
    };
  }

  private draw(text: string): void {
    if (!this.out) return;
    const now = real.dateNow();
    if (now - this.last < EVERY_MS && !(this.runs.total && this.runs.done === this.runs.total)) return;
    this.last = now;
    let eta = '';
    if (this.runs.total && this.runs.done > 0 && this.runs.done < this.runs.total) {
      const per = (now - this.startedAt) / this.runs.done;
      eta = `  ETA ${fmtSim(per * (this.runs.total - this.runs.done))}`;
    }
    const line = `${text}${eta}`.slice(0, (this.out.columns || 100) - 1);
    this.out.write(`\r\x1b[K${line}`);
    this.shown = true;
  }

  /** Erases the line before the results are printed. */
  clear(): void {
    if (this.out && this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
