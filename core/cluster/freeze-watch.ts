// Whether this process is catching up after a freeze (SIGSTOP, a VM or GC pause): the periodic tick
// (core/cluster/heartbeat.ts) ran much later than due. What a node reads on waking its clients may
// have sent any time since it froze, before what they did elsewhere meanwhile: a write read then is
// no newer than the moment the node froze (retained versions, retained-replication.ts).

import type { Clock } from '../env.ts';
import { elapsed } from './peer-link.ts';

/** A tick this late (ms) found the process frozen, not just busy. */
const FROZEN_MS = 1000;

export class FreezeWatch {
  /** Monotonic time the next tick is due; -1 before the first. */
  private due = -1;
  /** Wall time the last tick ran: the node was running then. */
  private ranAt: number;
  /** A freeze was found at the last tick: until the next one, reads are the backlog of the freeze. */
  private waking = false;
  /** When the tick before the freeze ran (only while waking). */
  private frozeAt = 0;

  constructor(private readonly clock: Clock) {
    this.ranAt = clock.now();
  }

  /** The tick ran now; the next is due in `intervalMs`. */
  ticked(intervalMs: number): void {
    const mono = elapsed(this.clock);
    this.waking = this.due >= 0 && mono - this.due > FROZEN_MS;
    // The previous tick, not the last on-time one: a node late at every tick (overloaded, not frozen)
    // dates its writes at most one late tick back.
    if (this.waking) this.frozeAt = this.ranAt;
    this.ranAt = this.clock.now();
    this.due = mono + intervalMs;
  }

  /** The last tick found the process frozen: what reached it meanwhile is still unread. */
  get thawing(): boolean {
    return this.waking;
  }

  /**
   * The time from which a write read now may have been sent: now, or, while the node catches up after a
   * freeze (the tick is overdue, or found it overdue last), when it was last seen running.
   */
  sentSince(now: number): number {
    if (this.waking) return Math.min(now, this.frozeAt);
    return this.due >= 0 && elapsed(this.clock) - this.due > FROZEN_MS ? Math.min(now, this.ranAt) : now;
  }
}
