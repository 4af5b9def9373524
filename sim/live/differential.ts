// Differential runs: one generated schedule (workload and faults, sim/swarm.ts)
// played in the simulator and against real processes, judged by the same
// checkers; the verdicts are compared by property.

import fc from 'fast-check';
import { swarmArb, type Schedule } from '../explore.ts';
import { playSwarm, type SwarmResult } from '../swarm.ts';
import { World } from '../world.ts';
import { defineScenario } from '../scenario.ts';
import { runLive } from './runner.ts';
import type { LiveWorld } from './live-world.ts';

/**
 * Skew has no live equivalent (skipped there), so differential schedules
 * leave it out; at most `maxNodes` nodes (default 3: a 2-core machine runs
 * them all with the balancer and the fault proxy).
 */
export function liveSchedules(runs: number, seed: number, maxNodes = 3): Schedule[] {
  return fc.sample(swarmArb(), { numRuns: runs, seed }).map((s) => ({
    ...s,
    workload: { ...s.workload!, nodes: Math.min(maxNodes, s.workload!.nodes) },
    faults: s.faults.filter((f) => f.kind !== 'skew'),
  }));
}

export interface DiffRow {
  index: number;
  schedule: Schedule;
  sim: string[];
  live: string[];
  /** The first problem per property, sim then live. */
  details: string[];
  differs: boolean;
  liveWallMs: number;
  notes: string[];
}

/** Property names of a result (liveness for convergence problems), sorted and unique. */
function verdict(r: Pick<SwarmResult, 'violations' | 'convergence'>): string[] {
  return [
    ...new Set([...r.violations.map((v) => v.property), ...(r.convergence.length ? ['liveness'] : [])]),
  ].sort();
}

function firstPer(r: Pick<SwarmResult, 'violations' | 'convergence'>, side: string): string[] {
  const seen = new Map<string, string>();
  for (const v of r.violations) if (!seen.has(v.property)) seen.set(v.property, v.detail);
  if (r.convergence.length) seen.set('liveness', r.convergence[0]);
  return [...seen].map(([p, d]) => `${side} ${p}: ${d}`);
}

export async function runSim(s: Schedule): Promise<SwarmResult> {
  const w = new World({ seed: s.seed, history: { keepEvents: true } });
  return w.run((w) => playSwarm(w, s.workload!, s.faults, { cutClients: false }));
}

export async function runOnProcesses(
  s: Schedule,
  timeScale: number,
  onWorld?: (w: LiveWorld) => void,
): Promise<{ result: SwarmResult; wallMs: number; notes: string[] }> {
  let result: SwarmResult | null = null;
  const scenario = defineScenario({
    name: `diff-${s.seed}`,
    description: 'a generated workload and fault schedule',
    async run(w) {
      result = await playSwarm(w, s.workload!, s.faults, { cutClients: false });
    },
  });
  const r = await runLive(scenario, s.seed, { timeScale, maxQuietMs: 3000, onWorld });
  const live: SwarmResult = result ?? {
    violations: r.violations.map((v) => ({ ...v, excerpt: [] })),
    convergence: [],
    events: 0,
    parked: 0,
    splitLoss: 0,
  };
  return { result: live, wallMs: r.wallMs, notes: r.live.notes };
}

/** Plays one schedule in both worlds and compares the verdicts. */
export async function diffOne(
  s: Schedule,
  index: number,
  timeScale: number,
  onWorld?: (w: LiveWorld) => void,
): Promise<DiffRow> {
  const sim = await runSim(s);
  let live: Awaited<ReturnType<typeof runOnProcesses>>;
  try {
    live = await runOnProcesses(s, timeScale, onWorld);
  } catch (e) {
    const detail = String((e as Error).message).split('\n')[0];
    live = {
      result: {
        violations: [{ property: 'live-error', detail, excerpt: [] }],
        convergence: [],
        events: 0,
        parked: 0,
        splitLoss: 0,
      },
      wallMs: 0,
      notes: [],
    };
  }
  const a = verdict(sim);
  const b = verdict(live.result);
  const details = [...firstPer(sim, 'sim'), ...firstPer(live.result, 'live')];
  return {
    index,
    schedule: s,
    sim: a,
    live: b,
    details,
    differs: a.join() !== b.join(),
    liveWallMs: Math.round(live.wallMs),
    notes: live.notes,
  };
}

export async function differential(opts: {
  runs: number;
  seed: number;
  timeScale: number;
  log?: (l: string) => void;
  onWorld?: (w: LiveWorld) => void;
}): Promise<DiffRow[]> {
  const rows: DiffRow[] = [];
  for (const [index, s] of liveSchedules(opts.runs, opts.seed).entries()) {
    const row = await diffOne(s, index, opts.timeScale, opts.onWorld);
    rows.push(row);
    const [a, b] = [row.sim.join(',') || 'PASS', row.live.join(',') || 'PASS'];
    opts.log?.(
      `#${index} seed ${s.seed}: sim ${a} | live ${b} (${(row.liveWallMs / 1000).toFixed(0)} s)${row.differs ? '  DIFFERS' : ''}`,
    );
  }
  return rows;
}

function describeWorkload(s: Schedule): string {
  const w = s.workload!;
  const kinds = s.faults.map((f) => f.kind).join('+') || 'none';
  return `${w.nodes}n${w.balancer ? ' lb' : ''} ${w.subs.length}s/${w.pubs.length}p${w.collisions.length ? ` ${w.collisions.length}coll` : ''}${w.wills.length ? ` ${w.wills.length}will` : ''}${w.retained.length ? ' ret' : ''} [${kinds}]`;
}

export function formatTable(rows: DiffRow[]): string {
  const head = ['#', 'seed', 'workload [faults]', 'sim', 'live', ''];
  const lines = rows.map((r) => [
    String(r.index),
    String(r.schedule.seed),
    describeWorkload(r.schedule),
    r.sim.join(',') || 'PASS',
    r.live.join(',') || 'PASS',
    r.differs ? 'DIFFERS' : '',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(w[i]))
      .join('  ')
      .trimEnd();
  const out = [fmt(head), ...lines.map(fmt)];
  for (const r of rows.filter((r) => r.differs)) out.push(`#${r.index}: ${r.details.join(' | ')}`);
  return out.join('\n');
}
