// FreezeWatch: a node catching up after a freeze dates what it reads from when it last ran on time.
import { describe, it, expect } from 'vitest';
import { FreezeWatch } from '../../core/cluster/freeze-watch.ts';
import type { Clock } from '../../core/env.ts';

function clockAt(t: { now: number }): Clock {
  return {
    now: () => t.now,
    monotonic: () => t.now,
    setTimer: () => {
      throw new Error('not used');
    },
  };
}

describe('FreezeWatch', () => {
  it('ticks on time: a write read now was sent now', () => {
    const t = { now: 0 };
    const f = new FreezeWatch(clockAt(t));
    for (let i = 0; i < 5; i++) {
      f.ticked(1000);
      t.now += 1000;
    }
    t.now = 5400; // the next tick is due at 5000
    expect(f.sentSince(t.now)).toBe(t.now);
    t.now = 5900; // overdue by 900 ms: busy, not frozen
    expect(f.sentSince(t.now)).toBe(t.now);
  });

  /** Ticks at 0 and 1000, then frozen until 20000. */
  function frozen(): { t: { now: number }; f: FreezeWatch } {
    const t = { now: 0 };
    const f = new FreezeWatch(clockAt(t));
    f.ticked(1000);
    t.now = 1000;
    f.ticked(1000);
    t.now = 20_000;
    return { t, f };
  }

  it('overdue tick, before it runs: a write read now may have been sent since the last tick that ran', () => {
    const { t, f } = frozen();
    expect(f.sentSince(t.now)).toBe(1000);
  });

  it('after the overdue tick ran: the backlog it read until the next tick is dated from before the freeze', () => {
    const { t, f } = frozen();
    f.ticked(1000); // found the freeze
    expect(f.sentSince(20_000)).toBe(1000);
    t.now = 20_600;
    expect(f.sentSince(t.now)).toBe(1000);
    t.now = 21_000;
    f.ticked(1000); // on time again
    expect(f.sentSince(t.now)).toBe(21_000);
  });

  it('late at every tick (overloaded): a write is dated at most one tick back', () => {
    const { t, f } = frozen();
    f.ticked(1000); // late, ran at 20000
    t.now = 22_500;
    f.ticked(1000); // late again (due 21000)
    expect(f.sentSince(t.now)).toBe(20_000);
    t.now = 25_000;
    f.ticked(1000); // due 23500
    expect(f.sentSince(t.now)).toBe(22_500);
  });
});
