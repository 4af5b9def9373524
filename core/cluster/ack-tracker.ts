// ackMode 'replicated': a QoS 1/2 publish is acknowledged to its publisher only once every peer it
// was forwarded or replicated to has confirmed what it caused. While a publish runs, each reliable
// frame (or message held for a peer) it causes counts against its Tracker; confirmations count down.

import type { AckWait } from '../distribution.ts';

export interface Tracker extends AckWait {
  pending: number;
}

/** The tracker a frame or held message counted against is answered: one confirmation fewer to wait for. */
export function settle(u: { tracker?: Tracker }): void {
  const t = u.tracker;
  if (!t) return;
  u.tracker = undefined;
  if (--t.pending === 0) t.done?.();
}

export class AckTracker {
  /** The publish running now, while tracked() (or within()) runs it. */
  current: Tracker | null = null;

  constructor(private readonly config: { readonly ackMode: 'replicated' | 'local' }) {}

  /**
   * Runs `publish` and reports what the publisher's acknowledgement must wait
   * for: null when it may go now (ack mode 'local', no peer involved).
   */
  tracked<T>(publish: () => T): { result: T; tracker: Tracker | null } {
    if (this.config.ackMode === 'local') return { result: publish(), tracker: null };
    const t: Tracker = { pending: 0, done: null };
    this.current = t;
    let result: T;
    try {
      result = publish();
    } finally {
      this.current = null;
    }
    return { result, tracker: t.pending > 0 ? t : null };
  }

  /** Runs `send` on behalf of the publish `t` was made for (a message held, and sent later). */
  within(t: Tracker | null, send: () => void): void {
    this.current = t;
    try {
      send();
    } finally {
      this.current = null;
    }
  }

  /** One more confirmation the running publish waits for: its tracker, or undefined when none runs. */
  hold(): Tracker | undefined {
    const t = this.current;
    if (!t) return undefined;
    t.pending++;
    return t;
  }
}
