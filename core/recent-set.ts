// A set that remembers only its newest `capacity` members: message ids for
// dedupe windows. Evicting through a ring of slots, not by iterating the Set
// from its start: a Set whose oldest entries keep being deleted makes
// `values().next()` walk the deleted slots, slower with every message.

export class RecentSet<T> extends Set<T> {
  private ring: (T | undefined)[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    super();
  }

  override add(v: T): this {
    this.insert(v);
    return this;
  }

  /** Adds `v`; false when it was a member already (one lookup: the hot path of a session's dedupe). */
  insert(v: T): boolean {
    const n = super.size;
    super.add(v);
    if (super.size === n) return false;
    if (this.ring.length < this.capacity) this.ring.push(v);
    else {
      const old = this.ring[this.head];
      if (old !== undefined) super.delete(old);
      this.ring[this.head] = v;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    }
    return true;
  }

  override clear(): void {
    super.clear();
    this.ring = [];
    this.head = 0;
  }
}
