// What the interactive app watches: a source of UiState snapshots (a
// simulation under way, a trace being scrubbed, a live cluster being
// polled) that also takes the keys specific to it.

import type { UiState } from './model.ts';

export interface KeyPress {
  input: string;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
}

export interface UiSource {
  current(): UiState;
  /** Calls `fn` whenever a new snapshot is ready; returns the unsubscribe. */
  subscribe(fn: () => void): () => void;
  key(k: KeyPress): void;
  /** Stops whatever the source runs (quit). */
  close(): void;
}

/** Listener bookkeeping shared by the sources. */
export class Listeners {
  private fns = new Set<() => void>();
  add(fn: () => void): () => void {
    this.fns.add(fn);
    return () => void this.fns.delete(fn);
  }
  emit(): void {
    for (const f of this.fns) f();
  }
}
