// Generated fault schedules (bounded here; `npm run test:faults` sweeps more).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { explore, runSchedule, scheduleArb, toScenario } from '../sim/explore.ts';

describe('sim explore', () => {
  it('generated schedules of partitions, crashes, pauses, clogs and skew keep safety and converge (fixed seed, 8 runs)', async () => {
    const r = await explore(8, 42);
    expect(r.why ?? '').toBe('');
    expect(r.ok).toBe(true);
  });

  it('schedules are plain data, sorted by time, and replay identically', async () => {
    const [s] = fc.sample(scheduleArb, { numRuns: 1, seed: 5 });
    expect([...s.faults].sort((a, b) => a.at - b.at)).toEqual(s.faults);
    const a = await runSchedule(s);
    const b = await runSchedule(JSON.parse(JSON.stringify(s)));
    expect(a.events).toBe(b.events);
    expect(toScenario(s, 'why')).toContain(JSON.stringify(s));
  });
});
