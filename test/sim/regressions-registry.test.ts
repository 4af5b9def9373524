// Issue 13 regressions for the client-id registry and session handoff (bugs 2
// and 7): each scenario failed on the code before its fix, judged strictly
// (a drop the broker recorded is still a loss).
import { describe, it, expect } from 'vitest';
import { runScenario } from '../../sim/scenario.ts';
import handoffFollows from '../../scenarios/regressions/handoff-follows-session.ts';
import freshIdRace from '../../scenarios/regressions/fresh-id-race.ts';

const seeds = [1, 2, 3, 4, 5];

describe('bug 2: a handoff that reaches a node the session already left follows it', () => {
  it.each(seeds)(
    'seed %i: every acknowledged message reaches the raced id, nothing dropped',
    async (seed) => {
      const r = await runScenario(handoffFollows, seed);
      expect(r.violations).toEqual([]);
      expect(r.report.drops).toBe('none');
    },
  );
});

describe('bug 7: a fresh client id raced onto two nodes keeps exactly one live connection', () => {
  const configs = [
    { nodes: 2, balancer: 0 },
    { nodes: 3, balancer: 0 },
    { nodes: 2, balancer: 1 },
    { nodes: 3, balancer: 1 },
  ];
  for (const params of configs) {
    it.each(seeds)(
      `${params.nodes} nodes, ${params.balancer ? 'balancer' : 'direct'}, seed %i`,
      { timeout: 60_000 },
      async (seed) => {
        const r = await runScenario(freshIdRace, seed, { params });
        expect(r.violations).toEqual([]);
        expect(r.report.races).toMatch(/^32 fresh ids .*; 0 left two live connections/);
      },
    );
  }
});
