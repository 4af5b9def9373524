// Generated fault schedules: fast-check draws a schedule (partitions of
// random shape and symmetry, crashes with restart delays, pauses, clogs,
// clock skew) as plain data, runs it against a 3-node cluster with
// persistent subscribers and steady QoS 1 publishers, heals everything,
// and checks safety and convergence. A failing schedule is shrunk by
// fast-check and printed as a scenario file to keep.

import fc from 'fast-check';
import { World } from './world.ts';
import { checkNoLoss, checkOrder, checkOnlySubscribed, type Violation } from './checkers.ts';
import { convergenceProblems } from './convergence.ts';
import type { ClusterConfig } from '../core/cluster/cluster.ts';

const NODES = ['n1', 'n2', 'n3'];

export type Fault =
  | { at: number; kind: 'partition'; a: string[]; b: string[]; oneWay: boolean }
  | { at: number; kind: 'heal' }
  | { at: number; kind: 'crash'; node: string; mode: 'process' | 'power'; restartAfter: number }
  | { at: number; kind: 'pause'; node: string; resumeAfter: number }
  | { at: number; kind: 'clog'; a: string; b: string; releaseAfter: number }
  | { at: number; kind: 'skew'; node: string; ms: number };

export interface Schedule {
  seed: number;
  faults: Fault[];
}

const node = fc.constantFrom(...NODES);
const at = fc.integer({ min: 0, max: 60_000 });

/** Splits the nodes (with their clients) into two non-empty groups. */
const split = fc.shuffledSubarray(NODES, { minLength: 1, maxLength: 2 }).map((a) => ({ a, b: NODES.filter((n) => !a.includes(n)) }));

export const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ at, kind: fc.constant('partition' as const), oneWay: fc.boolean() }).chain((f) => split.map((s) => ({ ...f, ...s }))),
  fc.record({ at, kind: fc.constant('heal' as const) }),
  fc.record({ at, kind: fc.constant('crash' as const), node, mode: fc.constantFrom('process' as const, 'power' as const), restartAfter: fc.integer({ min: 1000, max: 60_000 }) }),
  fc.record({ at, kind: fc.constant('pause' as const), node, resumeAfter: fc.integer({ min: 100, max: 20_000 }) }),
  fc.record({ at, kind: fc.constant('clog' as const), a: node, b: node, releaseAfter: fc.integer({ min: 100, max: 20_000 }) }).filter((f) => f.a !== f.b),
  fc.record({ at, kind: fc.constant('skew' as const), node, ms: fc.integer({ min: -5000, max: 5000 }) }),
);

export const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  faults: fc.array(faultArb, { minLength: 1, maxLength: 8 }).map((fs) => [...fs].sort((x, y) => x.at - y.at)),
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
  return w.run((w) => playSchedule(w, s.faults, cluster));
}

/**
 * Plays a fault schedule against the explorer's standard cluster and
 * workload inside a running world (a scenario's, so `--seed` and the history
 * hash are the scenario's); returns what broke.
 */
export async function playSchedule(w: World, faults: Fault[], cluster: Partial<ClusterConfig> = {}): Promise<ExploreResult> {
  w.addCluster(NODES, { broker: { limits: { maxQueuedMessages: 100_000 } as never }, cluster });
  const reconnect = { minMs: 500, maxMs: 4000 };
  const subs = NODES.map((n) => w.client(`sub-${n}`, { target: [n, ...NODES.filter((x) => x !== n)], version: 5, clean: false, sessionExpiry: 86_400, keepalive: 10, reconnect, subscriptions: [{ filter: 't/#', qos: 1 }] }));
  const pubs = NODES.map((n) => w.client(`pub-${n}`, { target: [n, ...NODES.filter((x) => x !== n)], version: 5, keepalive: 10, reconnect }));
  await w.until(() => convergenceProblems(w).length === 0 && [...w.clients.values()].every((c) => c.connected), { timeoutMs: 30_000 });
  const from = w.now + 1000;
  await w.sleep(1000);
  const start = w.now;
  const pending = [...faults];
  const later: { at: number; run: () => void }[] = [];
  for (let t = 0; t <= 70_000; t += 500) {
    while (pending.length && pending[0].at <= t) apply(w, pending.shift()!, start, later);
    for (const l of later.filter((x) => x.at <= w.now)) {
      l.run();
      later.splice(later.indexOf(l), 1);
    }
    if (t % 1000 === 0) for (const p of pubs) p.publish(`t/${p.id}`, 1);
    await w.sleep(500);
  }
  // Heal phase: everything repaired, then time to converge and drain.
  for (const l of later) l.run();
  w.heal();
  const healAt = w.now;
  for (const n of NODES) {
    const h = w.host(n);
    if (h.state === 'paused') w.unpause(n);
    if (h.state === 'crashed') w.restart(n);
  }
  await w.until(() => convergenceProblems(w).length === 0 && subs.every((c) => c.connected), { timeoutMs: 300_000 });
  await w.sleep(60_000);
  const ev = w.history.events;
  const expect = subs.map((c) => ({ client: c.id, filter: 't/#', from }));
  const parked: typeof ev = [];
  return {
    violations: [...checkNoLoss(ev, expect), ...checkOrder(ev, { parkedUntil: healAt, parked }), ...checkOnlySubscribed(ev)],
    convergence: convergenceProblems(w),
    events: w.eventsProcessed,
    parked: parked.length,
  };
}

function apply(w: World, f: Fault, start: number, later: { at: number; run: () => void }[]): void {
  switch (f.kind) {
    case 'partition':
      w.partition(side(f.a), side(f.b), { oneWay: f.oneWay });
      return;
    case 'heal':
      w.heal();
      return;
    case 'crash':
      if (w.host(f.node).state === 'crashed') return;
      w.crash(f.node, f.mode);
      later.push({ at: w.now + f.restartAfter, run: () => w.host(f.node).state === 'crashed' && w.restart(f.node) });
      return;
    case 'pause':
      if (w.host(f.node).state !== 'up') return;
      w.pause(f.node);
      later.push({ at: w.now + f.resumeAfter, run: () => w.host(f.node).state === 'paused' && w.unpause(f.node) });
      return;
    case 'clog':
      w.clog([f.a], [f.b]);
      later.push({ at: w.now + f.releaseAfter, run: () => w.unclog() });
      return;
    case 'skew':
      w.skew(f.node, f.ms);
      return;
  }
  void start;
}

/** A failing schedule as a scenario file the user can keep and re-run. */
export function toScenario(s: Schedule, why: string): string {
  return `// Found by \`sim explore\`: ${why.replace(/\n/g, ' ')}
// Replay: npx sim run <this file> --seed ${s.seed}
import { defineScenario, playSchedule } from 'mqttlab/sim';

export default defineScenario({
  name: 'explored-${s.seed}',
  description: 'a generated fault schedule, shrunk',
  async run(w, ctx) {
    const r = await playSchedule(w, ${JSON.stringify(s.faults)});
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
`;
}

/** fast-check over generated schedules; returns the shrunk counterexample, if any. */
/** `cluster` overrides the cluster config of every run (a deliberately weakened one proves the explorer finds loss). */
/** `onRun` is told after each generated schedule (progress). */
export async function explore(
  runs: number,
  seed?: number,
  cluster: Partial<ClusterConfig> = {},
  onRun?: () => void,
): Promise<{ ok: boolean; schedule?: Schedule; why?: string; runs: number }> {
  let why = '';
  const res = await fc.check(
    fc.asyncProperty(scheduleArb, async (s) => {
      const r = await runSchedule(s, cluster);
      onRun?.();
      why = [...r.violations.map((v) => `${v.property}: ${v.detail}`), ...r.convergence.map((c) => `liveness: ${c}`)].slice(0, 3).join('\n');
      return r.violations.length === 0 && r.convergence.length === 0;
    }),
    { numRuns: runs, seed, endOnFailure: false },
  );
  if (!res.failed) return { ok: true, runs: res.numRuns };
  const schedule = res.counterexample?.[0] as Schedule | undefined;
  if (schedule) why = [...(await runSchedule(schedule, cluster)).violations.map((v) => `${v.property}: ${v.detail}`)].slice(0, 3).join('\n') || why;
  return { ok: false, schedule, why, runs: res.numRuns };
}
