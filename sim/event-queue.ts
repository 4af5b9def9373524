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

/**
 * The heap keeps each event's key, (at, seq), in two typed arrays beside the
 * array of events, so sifting compares contiguous numbers instead of loading
 * one event object per level (with 100,000 clients the queue holds ~300,000
 * events, scattered over the heap). The order is the total order (at, seq),
 * so which event pops next does not depend on the layout.
 */
export class EventQueue {
  private evs: SimEvent[] = [];
  private at = new Float64Array(1024);
  private sq = new Float64Array(1024);
  private seq = 0;

  get size(): number {
    return this.evs.length;
  }

  push(at: number, handler: EventHandler, arg: unknown): SimEvent {
    const seq = this.seq++;
    const ev: SimEvent = { at, seq, handler, arg, live: true };
    const h = this.evs;
    let i = h.length;
    h.push(ev);
    if (i >= this.at.length) this.grow();
    const A = this.at;
    const S = this.sq;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pa = A[p];
      if (pa < at || (pa === at && S[p] < seq)) break;
      A[i] = pa;
      S[i] = S[p];
      h[i] = h[p];
      i = p;
    }
    A[i] = at;
    S[i] = seq;
    h[i] = ev;
    return ev;
  }

  peekTime(): number {
    return this.evs.length ? this.at[0] : Infinity;
  }

  pop(): SimEvent | undefined {
    const h = this.evs;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    const n = h.length;
    if (n > 0) {
      const A = this.at;
      const S = this.sq;
      const la = A[n];
      const ls = S[n];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n) {
          const ra = A[r];
          const lla = A[l];
          if (ra < lla || (ra === lla && S[r] < S[l])) c = r;
        }
        const ca = A[c];
        if (la < ca || (la === ca && ls < S[c])) break;
        A[i] = ca;
        S[i] = S[c];
        h[i] = h[c];
        i = c;
      }
      A[i] = la;
      S[i] = ls;
      h[i] = last;
    }
    return top;
  }

  private grow(): void {
    const a = new Float64Array(this.at.length * 2);
    a.set(this.at);
    this.at = a;
    const s = new Float64Array(this.sq.length * 2);
    s.set(this.sq);
    this.sq = s;
  }
}
