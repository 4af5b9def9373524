// The simulator's engine: the event queue's (time, seq) order, virtual time
// that jumps over idle periods instead of ticking, and the seeded streams.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { EventQueue, type EventHandler, type SimEvent } from '../../sim/event-queue.ts';
import { Rng, sampleLatency } from '../../sim/rng.ts';
import { makeWorld, events, connOf } from '../helpers/sim.ts';

const nop: EventHandler = { fire() {} };

describe('EventQueue', () => {
  it('pops in (time, seq) order: a property test against a sorted reference', () => {
    // An operation is a push at some time (few distinct values, so ties are common) or a pop.
    const op = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          push: fc.oneof(
            fc.integer({ min: 0, max: 20 }),
            fc.integer({ min: 0, max: 1e9 }).map((n) => n / 7),
          ),
        }),
      },
      { weight: 2, arbitrary: fc.constant({ pop: true as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new EventQueue();
        const ref: { at: number; seq: number; tag: number }[] = [];
        let tag = 0;
        const popRef = () => {
          if (ref.length === 0) return undefined;
          let best = 0;
          for (let i = 1; i < ref.length; i++) {
            const a = ref[i];
            const b = ref[best];
            if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) best = i;
          }
          return ref.splice(best, 1)[0];
        };
        for (const o of ops) {
          if ('push' in o) {
            const ev = q.push(o.push, nop, tag);
            ref.push({ at: o.push, seq: ev.seq, tag });
            tag++;
          } else {
            const e = popRef();
            const got = q.pop();
            expect(got?.arg).toBe(e?.tag);
            expect(q.peekTime()).toBe(ref.length ? Math.min(...ref.map((r) => r.at)) : Infinity);
          }
          expect(q.size).toBe(ref.length);
        }
        // Drain: the rest comes out fully sorted by (time, insertion order).
        const rest = [...ref].sort((a, b) => a.at - b.at || a.seq - b.seq).map((r) => r.tag);
        const popped: number[] = [];
        for (let e = q.pop(); e; e = q.pop()) popped.push(e.arg as number);
        expect(popped).toEqual(rest);
        expect(q.pop()).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the order past its initial capacity (the key arrays grow), with pops between pushes', () => {
    const q = new EventQueue();
    const r = new Rng('eq', 'grow');
    const ref: { at: number; seq: number }[] = [];
    const popped: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const at = r.int(0, 500);
      ref.push({ at, seq: q.push(at, nop, i).seq });
      if (i % 3 === 0) popped.push(q.pop()!.seq);
    }
    for (let e = q.pop(); e; e = q.pop()) popped.push(e.seq);
    // Every pop took the least (at, seq) then queued; the drain after the last push is sorted.
    expect(new Set(popped).size).toBe(20_000);
    const tail = popped.slice(-(20_000 - Math.ceil(20_000 / 3)));
    const bySeq = new Map(ref.map((x) => [x.seq, x.at]));
    for (let i = 1; i < tail.length; i++) {
      const a = bySeq.get(tail[i - 1])!;
      const b = bySeq.get(tail[i])!;
      expect(a < b || (a === b && tail[i - 1] < tail[i])).toBe(true);
    }
  });

  it('is FIFO among events due at the same time, and keeps cancelled events (skipped by the world)', () => {
    const q = new EventQueue();
    const evs: SimEvent[] = [];
    for (let i = 0; i < 50; i++) evs.push(q.push(i % 2 === 0 ? 5 : 3, nop, i));
    evs[1].live = false;
    const order: number[] = [];
    for (let e = q.pop(); e; e = q.pop()) order.push(e.arg as number);
    const odd = Array.from({ length: 25 }, (_, k) => 2 * k + 1);
    const even = Array.from({ length: 25 }, (_, k) => 2 * k);
    expect(order).toEqual([...odd, ...even]);
  });

  it('the world skips cancelled events without counting them', async () => {
    const w = makeWorld();
    const h = w.host('h', true);
    const fired: number[] = [];
    const t1 = h.setTimer(10, () => fired.push(1));
    h.setTimer(20, () => fired.push(2));
    t1.cancel();
    await w.sleep(100);
    expect(fired).toEqual([2]);
    expect(w.eventsProcessed).toBe(1);
    expect(w.now).toBe(100);
  });
});

describe('virtual time', () => {
  it('moves only inside sleep/until/step, and sleep lands exactly on the target time', async () => {
    const w = makeWorld();
    const h = w.host('h', true);
    const seen: number[] = [];
    h.setTimer(1500, () => seen.push(w.now));
    expect(w.now).toBe(0);
    expect(seen).toEqual([]);
    await w.sleep(1000);
    expect(w.now).toBe(1000);
    expect(seen).toEqual([]);
    expect(w.step()).toBe(true);
    expect(seen).toEqual([1500]);
    expect(w.now).toBe(1500);
    expect(w.step()).toBe(false);
    const ok = await w.until(() => false, { timeoutMs: 2500 });
    expect(ok).toBe(false);
    expect(w.now).toBe(4000);
  });

  it('until stops at the first event after which the predicate holds', async () => {
    const w = makeWorld();
    const h = w.host('h', true);
    let n = 0;
    for (let i = 1; i <= 10; i++) h.setTimer(i * 100, () => n++);
    expect(await w.until(() => n === 3, { timeoutMs: 10_000 })).toBe(true);
    expect(w.now).toBe(300);
    expect(n).toBe(3);
  });

  it('a world idle for 1770 days with one keep-alive client jumps over the gaps: bounded events, little wall time', async () => {
    const w = makeWorld({ seed: 'idle' });
    w.addBroker('n1');
    const ka = 65535; // the largest MQTT keep alive, seconds
    const c = w.client('dev', { target: 'n1', keepalive: ka });
    expect(await w.until(() => c.connected, { timeoutMs: 1000 })).toBe(true);
    const before = w.eventsProcessed;
    const days = 1770;
    const span = days * 86_400_000;
    const t0 = performance.now();
    await w.sleep(span);
    const wall = performance.now() - t0;
    const periods = span / (ka * 1000);
    const processed = w.eventsProcessed - before;
    // Per keep-alive period: the client's timer, PINGREQ, the broker's lazily re-armed timer, PINGRESP.
    expect(processed).toBeGreaterThanOrEqual(Math.floor(periods) * 3);
    expect(processed).toBeLessThanOrEqual(Math.ceil(periods) * 6 + 20);
    expect(wall).toBeLessThan(5000);
    expect(w.now).toBeGreaterThanOrEqual(span);
    // Still connected on both sides, no timeouts recorded, one connect in all that time.
    expect(c.connected).toBe(true);
    expect(c.connects).toBe(1);
    expect(connOf(w, 'n1', 'dev')).toBeDefined();
    expect(events(w, 'client.keepalive-timeout')).toEqual([]);
    expect(events(w, 'client.closed')).toEqual([]);
    expect(w.broker('n1').stats.closedByReason).toEqual({});
    expect(w.broker('n1').stats.packetsIn).toBeGreaterThanOrEqual(Math.floor(periods));
  });

  it('a lazily re-armed timer whose remainder is float noise still makes progress (regression: livelock)', async () => {
    // The broker's keep-alive timer re-arms with `limit - (now - lastRx)`. Here
    // (L + 7500) - L rounds to 7499.999999999998, so the re-arm asks for ~2e-12 ms,
    // which `now + delay` used to absorb: same instant, same remainder, forever.
    const L = 10899.269380861066;
    const limit = 7500;
    expect(L + limit - L).toBeLessThan(limit); // the rounding this test is about
    const w = makeWorld();
    const h = w.host('h', true);
    await w.sleep(L);
    expect(h.now()).toBe(L);
    let rearms = 0;
    let closedAt = -1;
    const onTimer = (): void => {
      const idle = h.now() - L;
      if (idle >= limit) closedAt = h.now();
      else {
        if (++rearms > 100) throw new Error('timer livelock');
        h.setTimer(limit - idle, onTimer);
      }
    };
    h.setTimer(limit, onTimer);
    await w.sleep(limit + 10);
    expect(rearms).toBe(1);
    expect(closedAt).toBeGreaterThanOrEqual(L + limit);
    expect(closedAt).toBeLessThanOrEqual(L + limit + 1);
  });

  it('property: host timers fire once the host clock has advanced by at least the delay (1 ms floor), under drift and skew', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.double({ min: 1e-15, max: 1e6, noNaN: true }),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        (start, delay, drift, skew) => {
          const w = makeWorld();
          const h = w.host('h', true);
          w.now = start;
          w.drift('h', drift);
          w.skew('h', skew);
          const armedAt = h.now();
          let firedAt = NaN;
          h.setTimer(delay, () => (firedAt = h.now()));
          expect(w.step()).toBe(true);
          const want = Math.max(1, delay);
          // Within float noise of the requested delay, and never before the clock moved.
          expect(firedAt).toBeGreaterThan(armedAt);
          expect(Math.abs(firedAt - armedAt - want)).toBeLessThanOrEqual(
            1e-12 * Math.max(1e6, Math.abs(armedAt), start),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an empty world sleeps any span in zero events', async () => {
    const w = makeWorld();
    await w.sleep(1e15);
    expect(w.now).toBe(1e15);
    expect(w.eventsProcessed).toBe(0);
  });
});

describe('seeded streams', () => {
  it('the same root and label give the same stream; other labels are independent', () => {
    const a = new Rng(42, 'link/a>b');
    const b = new Rng(42, 'link/a>b');
    const c = new Rng(42, 'link/b>a');
    const d = new Rng(43, 'link/a>b');
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(xs);
    expect(Array.from({ length: 20 }, () => d.next())).not.toEqual(xs);
  });

  it("draws what seedrandom's alea draws for the same seed (the port in sim/rng.ts)", () => {
    for (const [root, label] of [
      [42, 'link/a>b'],
      ['scale', 'client/d99999'],
      ['bench', 'host/n1'],
      [7, ''],
      ['ü', 'broker/n1/0'],
    ] as const) {
      const ours = new Rng(root, label);
      const theirs = seedrandom.alea(`${root}/${label}`);
      for (let i = 0; i < 1000; i++) expect(ours.next()).toBe(theirs());
    }
  });

  it('int, pick, chance and the latency distributions stay in range', () => {
    const r = new Rng('s', 'x');
    for (let i = 0; i < 500; i++) {
      const n = r.int(3, 7);
      expect(Number.isInteger(n) && n >= 3 && n <= 7).toBe(true);
      expect(['a', 'b', 'c']).toContain(r.pick(['a', 'b', 'c']));
      expect(typeof r.chance(0.5)).toBe('boolean');
      const u = sampleLatency({ kind: 'uniform', min: 0.2, max: 1 }, r);
      expect(u >= 0.2 && u <= 1).toBe(true);
      expect(sampleLatency({ kind: 'exponential', min: 5, mean: 2 }, r)).toBeGreaterThanOrEqual(5);
      expect(sampleLatency({ kind: 'fixed', ms: 7 }, r)).toBe(7);
    }
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
  });
});
