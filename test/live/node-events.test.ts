// Live histories carry the nodes' cluster events, as simulated ones do: two
// `runtime start` processes, a real partition through the fault proxy and a
// heal; the history shows each node taking its peer down and up again, at the
// virtual time it happened, with core's fields.

import { describe, it, expect, afterAll } from 'vitest';
import { defineScenario } from '../../sim/scenario.ts';
import { convergenceProblems } from '../../sim/convergence.ts';
import { runLive } from '../../sim/live/runner.ts';
import type { LiveWorld } from '../../sim/live/live-world.ts';
import { clusterHistoryEvent } from '../../sim/live/node-events.ts';
import { isCluster, type At, type ClusterHistoryEvent } from '../../sim/events.ts';

const worlds: LiveWorld[] = [];
afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});

describe('live histories: the nodes cluster events', () => {
  it('names a message a full link buffer gave up as the simulator does; other node events are not history', () => {
    const drop = { t: 1, type: 'link.drop', node: 'a1', link: 'B', head: 'p0:7|padding' };
    expect(clusterHistoryEvent(drop)).toEqual({ type: 'link.drop', node: 'a1', link: 'B', id: 'p0:7' });
    const msgs = { t: 1, type: 'handoff.msgs', node: 'a1', clientId: 's0', from: 'a2', head: 'p1:3|padding' };
    expect(clusterHistoryEvent(msgs)).toEqual({
      type: 'handoff.msgs',
      node: 'a1',
      c: 's0',
      from: 'a2',
      ids: 'p1:3',
    });
    expect(clusterHistoryEvent({ t: 1, type: 'node.start', node: 'a1' })).toBeNull();
    expect(clusterHistoryEvent({ t: 1, type: 'cluster.peer.up', node: 'a1', peer: 'a2' })).toEqual({
      type: 'cluster.peer.up',
      node: 'a1',
      peer: 'a2',
    });
  });
  it(
    'a partition and its heal show as cluster.peer.down / cluster.peer.up of each node, in time order',
    { timeout: 90_000 },
    async () => {
      let events: At<ClusterHistoryEvent>[] = [];
      let cut = 0;
      const s = defineScenario({
        name: 'live-node-events',
        description: 'two nodes, a partition, a heal',
        async run(w) {
          w.addCluster(['n1', 'n2']);
          const ev = () => w.history.events;
          const has = (type: string, node: string, from: number) =>
            ev().some((e) => isCluster(e) && e.type === type && e.node === node && e.t >= from);
          expect(await w.until(() => convergenceProblems(w).length === 0, { timeoutMs: 30_000 })).toBe(true);
          expect(
            await w.until(() => has('cluster.peer.up', 'n1', 0) && has('cluster.peer.up', 'n2', 0), {
              timeoutMs: 30_000,
            }),
          ).toBe(true);
          cut = w.now;
          w.partition(['n1'], ['n2']);
          // Heartbeat timeout 2 s of wall time (the live floor) = 2000 virtual ms at time scale 1.
          expect(
            await w.until(() => has('cluster.peer.down', 'n1', cut) && has('cluster.peer.down', 'n2', cut), {
              timeoutMs: 20_000,
            }),
          ).toBe(true);
          const healed = w.now;
          w.heal();
          expect(
            await w.until(
              () => has('cluster.peer.up', 'n1', healed) && has('cluster.peer.up', 'n2', healed),
              { timeoutMs: 30_000 },
            ),
          ).toBe(true);
          events = ev().filter((e): e is At<ClusterHistoryEvent> => isCluster(e));
        },
      });
      const r = await runLive(s, 1, { timeScale: 1, maxQuietMs: 1000, onWorld: (w) => worlds.push(w) });
      expect(r.violations).toEqual([]);
      const down = events.filter((e) => e.type === 'cluster.peer.down');
      expect(down.map((e) => `${e.node}>${e.peer}`).sort()).toEqual(['n1>n2', 'n2>n1']);
      // Not before the cut, and by the heartbeat timeout (2 s) plus a loaded machine's slack after it.
      for (const e of down) expect(e.t).toBeGreaterThanOrEqual(cut);
      const up = events.filter((e) => e.type === 'cluster.peer.up' && e.t > cut);
      expect(up.every((e) => e.healed === 1)).toBe(true);
      expect(new Set(up.map((e) => e.node))).toEqual(new Set(['n1', 'n2']));
    },
  );
});
