// The owner's acknowledgements of replicated messages (F.RDone), batched: at most DONE_DELAY_MS late
// or MAX_BATCH at a time. Losing a batch with the owner only means those messages are delivered once
// more after a failover (at least once), never lost.

import type { Clock, Timer } from '../env.ts';

const DONE_DELAY_MS = 50;
const MAX_BATCH = 512;

export class DoneBatch {
  private batch = new Map<string, string[]>();
  private count = 0;
  private timer: Timer | null = null;

  constructor(
    private readonly clock: Clock,
    /** Sends one client's batch (F.RDone to every peer). */
    private readonly send: (clientId: string, mids: string[]) => void,
  ) {}

  add(clientId: string, mid: string): void {
    let list = this.batch.get(clientId);
    if (!list) this.batch.set(clientId, (list = []));
    list.push(mid);
    if (++this.count >= MAX_BATCH) this.flush();
    else this.timer ??= this.clock.setTimer(DONE_DELAY_MS, this.flush);
  }

  get size(): number {
    return this.batch.size;
  }

  has(clientId: string): boolean {
    return this.batch.has(clientId);
  }

  /** Sends everything batched now. */
  flush = (): void => {
    this.timer?.cancel();
    this.timer = null;
    this.count = 0;
    for (const [clientId, mids] of this.batch) this.send(clientId, mids);
    this.batch.clear();
  };
}
