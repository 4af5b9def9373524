// Differential runs, bounded: two generated schedules (workload and faults,
// sim/swarm.ts) played in the simulator and against real `runtime start`
// processes with the same checkers; the verdicts must agree. The full
// comparison (50 schedules, a table of differences) is `npm run test:diff`;
// docs/sim-vs-live.md explains the differences it found.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { diffOne, liveSchedules } from '../../sim/live/differential.ts';
import type { LiveWorld } from '../../sim/live/live-world.ts';

const worlds: LiveWorld[] = [];
afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});

describe('differential: simulator vs live processes', () => {
  // Index 2: 3 nodes, a partition, a will; index 20: 3 nodes, clogs and a heal, two client-id collisions, a will.
  // Neither needs HAProxy (direct connects), so only Node is required.
  const schedules = liveSchedules(21, 1);
  for (const i of [2, 20]) {
    const s = schedules[i];
    it(
      `schedule #${i} (seed ${s.seed}, ${s.workload!.nodes} nodes, ${s.faults.map((f) => f.kind).join('+')}): the same verdict in both`,
      { timeout: 240_000 },
      async () => {
        expect(s.workload!.balancer).toBe(false);
        let live: LiveWorld | null = null;
        const row = await diffOne(s, i, 0.05, (w) => worlds.push((live = w)));
        let where = '';
        if (row.details.length && live) {
          // A live run cannot be replayed: keep its history (with the nodes' cluster events) for reading.
          where = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-diff-trace-')), `${s.seed}.jsonl`);
          fs.writeFileSync(
            where,
            (live as LiveWorld).history.events.map((e) => JSON.stringify(e)).join('\n') + '\n',
          );
        }
        expect(row.details, `live history in ${where}`).toEqual([]);
        expect(row.differs).toBe(false);
      },
    );
  }
});
