// Replicas of other nodes' sessions kept on disk (issue 15): a session whose owner is lost for good while
// the nodes holding its replicas restart is resumed, with its acknowledged messages, from a replica read
// back from the data dir (scenarios/regressions/replica-disk-owner-lost.ts; before: session present 0 and
// every acknowledged message lost).
import { describe, it, expect } from 'vitest';
import { runScenario, type Scenario } from '../../sim/scenario.ts';

async function violations(file: string, seed: number, params?: Record<string, number>): Promise<string[]> {
  const s = (await import(`../../scenarios/${file}`)).default as Scenario;
  const r = await runScenario(s, seed, { params });
  return r.violations.map((v) => `${v.property}: ${v.detail}`);
}

describe('replicas on disk survive the restart of the nodes holding them', () => {
  it.each([1, 2, 3])('whole-cluster power loss, the owner never back (seed %i)', async (seed) => {
    expect(await violations('regressions/replica-disk-owner-lost.ts', seed, { case: 1 })).toEqual([]);
  });
  it.each([1, 2, 3])(
    'replica holders restarted cut off from the owner, which dies (seed %i)',
    async (seed) => {
      expect(await violations('regressions/replica-disk-owner-lost.ts', seed, { case: 2 })).toEqual([]);
    },
  );
  it.each([1, 2])(
    'case %i, and the owner comes back after the clients resumed elsewhere: merged, once each',
    async (c) => {
      expect(
        await violations('regressions/replica-disk-owner-lost.ts', 1, { case: c, ownerBack: 1 }),
      ).toEqual([]);
    },
  );
});
