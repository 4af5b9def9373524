// scenarios/linked-clusters.ts against real processes: two 3-node clusters (`cluster.name`, `cluster.links`),
// every node's link port behind the fault proxy, so the scenario's partition(A, B) cuts the real cluster links;
// region B is powered off (SIGSTOP) and restarted empty. The simulator's checkers judge the history, and the
// scenario reads each node's links from its admin API. Loopback only, one run of about 30-60 s of wall time.

import { describe, it, expect, afterAll } from 'vitest';
import type { Scenario } from '../../sim/scenario.ts';
import { runLive } from '../../sim/live/runner.ts';
import type { LiveWorld } from '../../sim/live/live-world.ts';

const worlds: LiveWorld[] = [];
afterAll(async () => {
  // A run abandoned by a timeout still owns processes: stop them.
  await Promise.all(worlds.map((w) => w.close()));
});

describe('linked-clusters.ts live on loopback', () => {
  it(
    'a link cut through the fault proxy buffers and catches up, region B lost and back empty: every message acknowledged on a subscribed topic crosses, or is counted as published while its region was down',
    { timeout: 180_000 },
    async () => {
      const s = (await import('../../scenarios/linked-clusters.ts')).default as Scenario;
      const r = await runLive(s, 1, {
        timeScale: 0.5,
        params: { cutMs: 8000, lostMs: 4000 },
        onWorld: (w) => worlds.push(w),
      });
      expect(r.violations.map((v) => `${v.property}: ${v.detail}`).slice(0, 5)).toEqual([]);
      // The cut was real: A's nodes held messages for B until the heal (read from their admin APIs).
      const held = /held (\d+) messages for B at the heal; dropped beyond the buffer: (\d+)/.exec(
        String(r.report['link cut']),
      );
      expect(held, String(r.report['link cut'])).not.toBeNull();
      expect(Number(held![1])).toBeGreaterThan(0);
      expect(Number(held![2])).toBe(0); // the live hints' buffer holds the whole cut
      const across = String(r.report['across the link']);
      expect(Number(/link-delivered (\d+)/.exec(across)?.[1] ?? 0), across).toBeGreaterThan(100);
      // What A published while region B was down crossed when B came back if B's subscribers were back before
      // A's link buffer (10,000 live) flushed, else it is counted as region-down: a race of wall time, so either
      // count may be 0; that none is lost is the violations check above.
      for (const p of r.phases!) expect(p.lost, `phase ${p.phase}`).toBe(0);
      expect(r.live.notes.some((n) => n.startsWith('param linkBuffer=10000'))).toBe(true);
    },
  );
});
