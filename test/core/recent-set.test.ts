import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RecentSet } from '../../core/recent-set.ts';

describe('RecentSet', () => {
  it('insert says whether the value is new, also once full (a full set evicts its oldest)', () => {
    const s = new RecentSet<string>(3);
    expect(['a', 'b', 'c'].map((v) => s.insert(v))).toEqual([true, true, true]);
    expect(s.insert('b')).toBe(false);
    expect(s.insert('d')).toBe(true); // full: 'a' goes
    expect([...s]).toEqual(['b', 'c', 'd']);
    expect(s.insert('a')).toBe(true);
    expect(s.insert('d')).toBe(false);
    expect(s.size).toBe(3);
  });

  it('holds exactly the newest `capacity` distinct values, in insertion order (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 12 })), (cap, xs) => {
        const s = new RecentSet<number>(cap);
        const model: number[] = [];
        for (const x of xs) {
          const fresh = !model.includes(x);
          expect(s.insert(x)).toBe(fresh);
          if (fresh) model.push(x);
          if (model.length > cap) model.shift();
        }
        expect([...s]).toEqual(model);
      }),
    );
  });
});
