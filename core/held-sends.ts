// A session's packets that wait for their copies to hold what they promise (core/qos2-guard.ts): sent
// in the order they were made. Apart from the guard so that session.ts imports nothing of the journals.

/** Calls `go` once what was written for a step is held by every copy. */
export type Gate = (go: () => void) => void;

export class HeldSends {
  private q: { ready: boolean; run: () => void }[] = [];

  /**
   * Runs `run` now when no gate holds it or anything before it, else once they opened (a later gate
   * opens first only when an earlier one's peer was lost meanwhile; it still waits its turn).
   */
  add(gate: Gate | null, run: () => void): void {
    if (!gate && this.q.length === 0) return run();
    const e = { ready: !gate, run };
    this.q.push(e);
    gate?.(() => {
      e.ready = true;
      while (this.q.length > 0 && this.q[0].ready) this.q.shift()!.run();
    });
  }
}
