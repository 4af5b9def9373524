// The runtime clock's timers (runtime/host.ts): short delays on their own
// Node timers, long ones on the shared wheel. Never early, at most 1/128 of
// the delay late, in due order, cancel honoured (also from a callback of
// the same slot), delays beyond Node's 24.8-day ceiling. On Vitest's fake
// timers and performance.now, so days pass in milliseconds.

import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest';
import { RealClock } from '../../runtime/host.ts';

describe('RealClock timers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires each timer once, never early and at most 1/128 of its delay late', () => {
    const clock = new RealClock();
    const delays = [0, 1, 50, 999, 1000, 1001, 4321, 10_000, 90_000, 90_001, 3_600_000, 7 * 86_400_000];
    const fired: { delay: number; late: number }[] = [];
    const t0 = clock.now();
    for (const d of delays) clock.setTimer(d, () => fired.push({ delay: d, late: clock.now() - t0 - d }));
    vi.advanceTimersByTime(8 * 86_400_000);
    expect(fired.map((f) => f.delay).sort((a, b) => a - b)).toEqual(delays);
    for (const f of fired) {
      expect(f.late, `delay ${f.delay}`).toBeGreaterThanOrEqual(0);
      expect(f.late, `delay ${f.delay}`).toBeLessThanOrEqual(f.delay < 1000 ? 0 : f.delay / 128);
    }
  });

  it('fires timers that share a slot in order of due time, then of creation', () => {
    const clock = new RealClock();
    const order: string[] = [];
    // 90 s timers fall in slots of 256 ms: these four share one or two.
    clock.setTimer(90_100, () => order.push('b'));
    clock.setTimer(90_000, () => order.push('a'));
    clock.setTimer(90_100, () => order.push('c'));
    vi.advanceTimersByTime(50);
    clock.setTimer(90_000, () => order.push('d')); // due 90,050
    vi.advanceTimersByTime(91_000);
    expect(order).toEqual(['a', 'd', 'b', 'c']);
  });

  it('does not run a cancelled timer, also when an earlier callback of the same slot cancels it', () => {
    const clock = new RealClock();
    const ran: string[] = [];
    const gone = clock.setTimer(5000, () => ran.push('cancelled before'));
    gone.cancel();
    let victim = clock.setTimer(60_001, () => ran.push('victim'));
    clock.setTimer(60_000, () => {
      ran.push('first');
      victim.cancel();
    });
    // Cancelling twice, or after firing, is harmless.
    const once = clock.setTimer(2000, () => ran.push('once'));
    vi.advanceTimersByTime(61_000);
    once.cancel();
    gone.cancel();
    expect(ran).toEqual(['once', 'first']);
    victim = clock.setTimer(1500, () => ran.push('later'));
    vi.advanceTimersByTime(2000);
    expect(ran).toEqual(['once', 'first', 'later']);
  });

  it("runs timers set by a timer callback, and a lone long timer beyond Node's 24.8-day ceiling", () => {
    const clock = new RealClock();
    const ran: string[] = [];
    const t0 = clock.now();
    let first = 0;
    clock.setTimer(2000, () => {
      first = clock.now() - t0;
      ran.push('first');
      clock.setTimer(3000, () => {
        ran.push('second');
        const late = clock.now() - t0 - first - 3000;
        expect(late).toBeGreaterThanOrEqual(0);
        expect(late).toBeLessThanOrEqual(3000 / 128);
      });
    });
    const days40 = 40 * 86_400_000;
    clock.setTimer(days40, () => ran.push('40 days'));
    vi.advanceTimersByTime(10_000);
    expect(ran).toEqual(['first', 'second']);
    vi.advanceTimersByTime(days40 - 20_000);
    expect(ran).toEqual(['first', 'second']);
    vi.advanceTimersByTime(days40 / 128 + 20_000);
    expect(ran).toEqual(['first', 'second', '40 days']);
  });

  it('passes its argument to a shared callback, on its own Node timer and on the wheel', () => {
    const clock = new RealClock();
    const got: string[] = [];
    const shared = (who: string) => got.push(who);
    clock.setTimer(10, shared, 'short');
    clock.setTimer(60_000, shared, 'long');
    clock.setTimer(20, () => got.push('no argument'));
    vi.advanceTimersByTime(61_000);
    expect(got).toEqual(['short', 'no argument', 'long']);
  });

  it('keeps the other callbacks of a slot running when one throws, then throws its error', () => {
    const clock = new RealClock();
    const ran: string[] = [];
    clock.setTimer(5000, () => {
      throw new Error('boom');
    });
    clock.setTimer(5001, () => ran.push('after'));
    expect(() => vi.advanceTimersByTime(6000)).toThrow('boom');
    expect(ran).toEqual(['after']);
  });
});
