// Rate limits on the injected clock: a token bucket (connects per listener,
// messages per client) and EMQX-style flapping detection (a client id that
// connects too often in a window is banned for a while).

import type { Clock } from './env.ts';

/** `rate` tokens per second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes one token; false when none is left. */
  take(): boolean {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface FlappingConfig {
  enabled: boolean;
  /** More connects than this within the window ban the client id. */
  maxConnects: number;
  windowSec: number;
  banSec: number;
}

export class FlappingDetector {
  /** Per client id: connects in the current window, and when it started. */
  private windows = new Map<string, { start: number; count: number }>();
  private bans = new Map<string, number>();
  private sweepAt = 1024;

  constructor(
    private readonly cfg: FlappingConfig,
    private readonly clock: Clock,
  ) {}

  /** Milliseconds of ban left for this client id (0 = not banned). */
  banned(clientId: string): number {
    const until = this.bans.get(clientId);
    if (until === undefined) return 0;
    const left = until - this.clock.now();
    if (left > 0) return left;
    this.bans.delete(clientId);
    return 0;
  }

  /** Client ids banned now, with the ms of ban left (for the admin API). */
  list(): { clientId: string; leftMs: number }[] {
    const out: { clientId: string; leftMs: number }[] = [];
    for (const id of [...this.bans.keys()]) {
      const left = this.banned(id);
      if (left > 0) out.push({ clientId: id, leftMs: left });
    }
    return out.sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
  }

  /** Lifts a ban (admin action); false when the id was not banned. */
  unban(clientId: string): boolean {
    this.windows.delete(clientId);
    return this.bans.delete(clientId);
  }

  /** Counts one accepted connect; true when this one crossed the limit and the id is now banned. */
  record(clientId: string): boolean {
    const now = this.clock.now();
    const winMs = this.cfg.windowSec * 1000;
    let w = this.windows.get(clientId);
    if (!w || now - w.start >= winMs) {
      w = { start: now, count: 0 };
      this.windows.set(clientId, w);
    }
    w.count++;
    if (this.windows.size + this.bans.size > this.sweepAt) this.sweep(now, winMs);
    if (w.count <= this.cfg.maxConnects) return false;
    this.windows.delete(clientId);
    this.bans.set(clientId, now + this.cfg.banSec * 1000);
    return true;
  }

  get bannedCount(): number {
    return this.bans.size;
  }

  /** Forgets finished windows and bans; amortised by doubling the threshold. */
  private sweep(now: number, winMs: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= winMs) this.windows.delete(k);
    for (const [k, until] of this.bans) if (until <= now) this.bans.delete(k);
    this.sweepAt = Math.max(1024, 2 * (this.windows.size + this.bans.size));
  }
}
