// Issue 13, bugs 1, 3 and 6: the regression scenarios in scenarios/regressions/ on seeds 1-5, with the cluster
// sizes and knobs each bug shows up with. Each failed on the code before its fix.
import { describe, it, expect } from 'vitest';
import { runScenario, type Scenario } from '../../sim/scenario.ts';

const seeds = [1, 2, 3, 4, 5];
const cases: [file: string, params: Record<string, number>][] = [
  ['connack-first.ts', { nodes: 2 }],
  ['connack-first.ts', { nodes: 3 }],
  // The publisher on the old node, the new node, the third; 2 nodes: on the old or the new node.
  ['order-after-move.ts', { pubNode: 1 }],
  ['order-after-move.ts', { pubNode: 2 }],
  ['order-after-move.ts', { pubNode: 3 }],
  ['order-after-move.ts', { nodes: 2, pubNode: 1 }],
  ['order-after-move.ts', { nodes: 2, pubNode: 2 }],
  // Session Expiry 5 s < Will Delay 10 s; Session Expiry 0 (no replicated session); the delay first (3 s < 20 s).
  ['will-delay-failover.ts', { nodes: 2 }],
  ['will-delay-failover.ts', { nodes: 3 }],
  ['will-delay-failover.ts', { nodes: 3, expiry: 0 }],
  ['will-delay-failover.ts', { nodes: 3, expiry: 20, delay: 3 }],
];

describe.each(cases)('regression %s %o', (file, params) => {
  it.each(seeds)('passes with seed %i', async (seed) => {
    const s = (await import(`../../scenarios/regressions/${file}`)).default as Scenario;
    const r = await runScenario(s, seed, { params });
    expect(r.violations).toEqual([]);
    expect(r.events).toBeGreaterThan(0);
  });
});
