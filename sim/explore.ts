// Generated fault schedules: fast-check draws a schedule (partitions of
// random shape and symmetry, crashes with restart delays, pauses, clogs,
// clock skew) as plain data, runs it, heals everything, and checks safety
// and convergence. A failing schedule is shrunk by fast-check and printed
// as a scenario file to keep.
//
// Two workloads: the standard one (3 nodes, persistent subscribers, steady
// QoS 1 publishers; `playSchedule`, used by restart-under-partition.ts) and
// swarm testing (`playSwarm`, sim/swarm.ts): fast-check draws the workload
// as well, so each run exercises a different mix of features.

import fc from 'fast-check';
import { World } from './world.ts';
import type { ScenarioWorld } from './scenario-world.ts';
import { checkNoLoss, checkOrder, checkOnlySubscribed, type Violation } from './checkers.ts';
import { convergenceProblems } from './convergence.ts';
import { FaultPlayer, faultArbOver, type Fault } from './faults.ts';
import { playSwarm, workloadArb, type Workload } from './swarm.ts';
import type { ClusterConfig } from '../core/cluster/cluster.ts';

const NODES = ['n1', 'n2', 'n3'];

export type { Fault } from './faults.ts';

export interface Schedule {
  seed: number;
  faults: Fault[];
  /** A generated workload (swarm testing); absent: the standard workload. */
  workload?: Workload;
}

export const faultArb: fc.Arbitrary<Fault> = faultArbOver(NODES);

export const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  faults: fc.array(faultArb, { minLength: 1, maxLength: 8 }).map(byTime),
});

/** The hosts on one side: a node and its clients. */
function side(nodes: string[]): string[] {
  return nodes.flatMap((n) => [n, `sub-${n}`, `pub-${n}`]);
}

export interface ExploreResult {
  violations: Violation[];
  convergence: string[];
  events: number;
  /** Messages parked with a cut-off replica, delivered after the heal after newer ones (allowed, reported). */
  parked: number;
}

/** Runs one schedule in a world of its own (seeded by the schedule); returns what broke. */
export async function runSchedule(s: Schedule, cluster: Partial<ClusterConfig> = {}): Promise<ExploreResult> {
  const w = new World({ seed: s.seed, history: { keepEvents: true } });
  return w.run((w) =>
    s.workload ? playSwarm(w, s.workload, s.faults, { cluster }) : playSchedule(w, s.faults, cluster),
  );
}

/** Generated workloads with generated faults (faults over n1..n5, folded onto the workload's node count). */
export function swarmArb(opts: { ackModes?: ('replicated' | 'local')[] } = {}): fc.Arbitrary<Schedule> {
  return fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    workload: workloadArb(opts),
    faults: fc
      .array(faultArbOver(['n1', 'n2', 'n3', 'n4', 'n5']), { minLength: 1, maxLength: 8 })
      .map(byTime),
  });
}

function byTime(fs: Fault[]): Fault[] {
  return [...fs].sort((x, y) => x.at - y.at);
}

/**
 * Plays a fault schedule against the explorer's standard cluster and
 * workload inside a running world (a scenario's, so `--seed` and the history
 * hash are the scenario's); returns what broke.
 */
export async function playSchedule(
  w: ScenarioWorld,
  faults: Fault[],
  cluster: Partial<ClusterConfig> = {},
): Promise<ExploreResult> {
  w.addCluster(NODES, { broker: { limits: { maxQueuedMessages: 100_000 } as never }, cluster });
  const reconnect = { minMs: 500, maxMs: 4000 };
  const subs = NODES.map((n) =>
    w.client(`sub-${n}`, {
      target: [n, ...NODES.filter((x) => x !== n)],
      version: 5,
      clean: false,
      sessionExpiry: 86_400,
      keepalive: 10,
      reconnect,
      subscriptions: [{ filter: 't/#', qos: 1 }],
    }),
  );
  const pubs = NODES.map((n) =>
    w.client(`pub-${n}`, {
      target: [n, ...NODES.filter((x) => x !== n)],
      version: 5,
      keepalive: 10,
      reconnect,
    }),
  );
  await w.until(
    () => convergenceProblems(w).length === 0 && [...w.clients.values()].every((c) => c.connected),
    { timeoutMs: 30_000 },
  );
  const from = w.now + 1000;
  await w.sleep(1000);
  const faultPlayer = new FaultPlayer(w, faults, side);
  for (let t = 0; t <= 70_000; t += 500) {
    faultPlayer.tick(t);
    if (t % 1000 === 0) for (const p of pubs) p.publish(`t/${p.id}`, 1);
    await w.sleep(500);
  }
  // Heal phase: everything repaired, then time to converge and drain.
  faultPlayer.healAll(NODES);
  const healAt = w.now;
  await w.until(() => convergenceProblems(w).length === 0 && subs.every((c) => c.connected), {
    timeoutMs: 300_000,
  });
  await w.sleep(60_000);
  const ev = w.history.events;
  const expect = subs.map((c) => ({ client: c.id, filter: 't/#', from }));
  const parked: typeof ev = [];
  return {
    violations: [
      ...checkNoLoss(ev, expect),
      ...checkOrder(ev, { parkedUntil: healAt, parked }),
      ...checkOnlySubscribed(ev),
    ],
    convergence: convergenceProblems(w),
    events: w.sim?.eventsProcessed ?? w.history.count,
    parked: parked.length,
  };
}

/** A failing schedule as a scenario file the user can keep and re-run (anywhere: it imports 'mqttlab/sim'). */
export function toScenario(s: Schedule, why: string): string {
  const play = s.workload
    ? `playSwarm(w, ${JSON.stringify(s.workload)}, ${JSON.stringify(s.faults)})`
    : `playSchedule(w, ${JSON.stringify(s.faults)})`;
  return `// Found by \`sim explore\`: ${why.replace(/\n/g, ' ')}
// Replay: npx sim run <this file> --seed ${s.seed}
import { defineScenario, ${s.workload ? 'playSwarm' : 'playSchedule'} } from 'mqttlab/sim';

export default defineScenario({
  name: 'explored-${s.seed}',
  description: 'a generated ${s.workload ? 'workload and ' : ''}fault schedule, shrunk',
  async run(w, ctx) {
    const r = await ${play};
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
`;
}

export interface ExploreOptions {
  /** Overrides the cluster config of every run (a deliberately weakened one proves the explorer finds loss). */
  cluster?: Partial<ClusterConfig>;
  /** Generate workloads too (default); false: the standard workload. */
  swarm?: boolean;
  /** Ack modes the swarm draws from (default replicated only; add 'local' to see its allowed loss found). */
  ackModes?: ('replicated' | 'local')[];
  /** Fail (and shrink) on these properties only, e.g. ['no-acked-loss']; default: any violation or convergence problem. */
  focus?: string[];
  /** Called after each run (progress, schedules per minute). */
  onRun?: (s: Schedule, r: ExploreResult) => void;
}

function problems(r: ExploreResult, focus?: string[]): string[] {
  const all = [
    ...r.violations.map((v) => `${v.property}: ${v.detail}`),
    ...r.convergence.map((c) => `liveness: ${c}`),
  ];
  return focus ? all.filter((p) => focus.some((f) => p.startsWith(`${f}: `))) : all;
}

/** fast-check over generated schedules; returns the shrunk counterexample, if any. */
export async function explore(
  runs: number,
  seed?: number,
  opts: ExploreOptions = {},
): Promise<{ ok: boolean; schedule?: Schedule; why?: string; runs: number }> {
  const arb = opts.swarm === false ? scheduleArb : swarmArb({ ackModes: opts.ackModes });
  let why = '';
  const res = await fc.check(
    fc.asyncProperty(arb, async (s) => {
      const r = await runSchedule(s, opts.cluster);
      opts.onRun?.(s, r);
      const p = problems(r, opts.focus);
      why = p.slice(0, 3).join('\n');
      return p.length === 0;
    }),
    { numRuns: runs, seed, endOnFailure: false },
  );
  if (!res.failed) return { ok: true, runs: res.numRuns };
  const schedule = res.counterexample?.[0] as Schedule | undefined;
  if (schedule)
    why =
      problems(await runSchedule(schedule, opts.cluster), opts.focus)
        .slice(0, 3)
        .join('\n') || why;
  return { ok: false, schedule, why, runs: res.numRuns };
}
