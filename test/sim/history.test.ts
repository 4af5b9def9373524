// The history hash runs over a binary encoding of each event, not its JSON
// line: it must still tell apart every pair of events whose lines differ,
// and agree whenever the lines agree.

import { describe, it, expect } from 'vitest';
import { History } from '../../sim/history.ts';

/** Any shape: the encoder's tests are about the encoding, not the event kinds. */
type HistoryEvent = { type: string; [field: string]: unknown };

const hashOf = (evs: [number, HistoryEvent][]) => {
  const h = new History<HistoryEvent>({ keepLines: true });
  for (const [t, e] of evs) h.record(t, e);
  return h;
};

describe('History hash over the binary encoding', () => {
  it('differs whenever the JSON lines differ', () => {
    const variants: [number, HistoryEvent][][] = [
      [[1, { type: 'x', v: 1 }]],
      [[1, { type: 'x', v: '1' }]],
      [[1, { type: 'x', v: true }]],
      [[1, { type: 'x', v: 'true' }]],
      [[1, { type: 'x', v: false }]],
      [[1, { type: 'x', v: null }]],
      [[1, { type: 'x', v: 1.5 }]],
      [[1.5, { type: 'x', v: 1 }]],
      [[1, { type: 'x', v: [1, 2] }]],
      [[1, { type: 'x', v: '[1,2]' }]],
      [[1, { type: 'x', v: { a: 1 } }]],
      [[1, { type: 'x', w: 1 }]],
      [[1, { type: 'x', v: 1, w: 2 }]],
      [[1, { type: 'x', w: 2, v: 1 }]],
      [[1, { type: 'xv', '': 1 }]],
      [[1, { type: 'x', v: 'ab' }]],
      [[1, { type: 'x', v: 'ba' }]],
      [
        [1, { type: 'x', v: 'a' }],
        [1, { type: 'x', v: 'b' }],
      ],
      [
        [1, { type: 'x', v: 'b' }],
        [1, { type: 'x', v: 'a' }],
      ],
      [[1, { type: 'x', v: 'é' }]],
      [[1, { type: 'x', v: -1 }]],
      [[1, { type: 'x', v: 2 ** 40 }]],
      [[1, { type: 'x', v: 0.1 + 0.2 }]],
      [[1, { type: 'x', v: 0.3 }]],
    ];
    const runs = variants.map(hashOf);
    // Distinct lines, distinct hashes.
    expect(new Set(runs.map((r) => r.lines.join('\n'))).size).toBe(variants.length);
    expect(new Set(runs.map((r) => r.hash)).size).toBe(variants.length);
  });

  it('agrees when the lines agree: undefined fields are left out, -0 is 0', () => {
    const a = hashOf([[1, { type: 'x', v: 0, u: undefined }]]);
    const b = hashOf([[1, { type: 'x', v: -0 }]]);
    expect(a.lines).toEqual(b.lines);
    expect(a.hash).toBe(b.hash);
  });

  it('keeps lines only when asked and still hashes without them', () => {
    const e: HistoryEvent = { type: 'deliver', c: 's1', id: 'p:1', qos: 1, dup: false };
    const plain = new History<HistoryEvent>();
    plain.record(2.25, { ...e });
    const kept = hashOf([[2.25, { ...e }]]);
    expect(plain.lines).toEqual([]);
    expect(plain.count).toBe(1);
    expect(plain.hash).toBe(kept.hash);
    expect(kept.lines).toEqual(['{"t":2.25,"type":"deliver","c":"s1","id":"p:1","qos":1,"dup":false}']);
  });
});
