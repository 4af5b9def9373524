// The simulator's one event queue: a binary min-heap ordered by (time, seq).
// Events are plain records whose handler is an object with a method, so
// scheduling allocates one small object and no closure.

export interface EventHandler {
  fire(arg: unknown, ev: SimEvent): void;
}

export interface SimEvent {
  at: number;
  seq: number;
  handler: EventHandler;
  arg: unknown;
  /** Cleared by cancel(); a cancelled event is skipped when popped. */
  live: boolean;
}

export class EventQueue {
  private heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, handler: EventHandler, arg: unknown): SimEvent {
    const ev: SimEvent = { at, seq: this.seq++, handler, arg, live: true };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p];
      if (pe.at < at || (pe.at === at && pe.seq < ev.seq)) break;
      h[i] = pe;
      i = p;
    }
    h[i] = ev;
    return ev;
  }

  peekTime(): number {
    return this.heap.length ? this.heap[0].at : Infinity;
  }

  pop(): SimEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n) {
          const le = h[l];
          const re = h[r];
          if (re.at < le.at || (re.at === le.at && re.seq < le.seq)) c = r;
        }
        const ce = h[c];
        if (last.at < ce.at || (last.at === ce.at && last.seq < ce.seq)) break;
        h[i] = ce;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
