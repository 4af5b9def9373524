// Fault schedules as plain data: what `sim explore` generates, shrinks and
// keeps in scenario files, and how a schedule is played against a world
// (the simulator's or a live one: only the World API is used, node states
// are tracked here instead of read from hosts).

import fc from 'fast-check';
import type { ScenarioWorld } from './scenario-world.ts';

export type Fault =
  | { at: number; kind: 'partition'; a: string[]; b: string[]; oneWay: boolean }
  | { at: number; kind: 'heal' }
  | { at: number; kind: 'crash'; node: string; mode: 'process' | 'power'; restartAfter: number }
  | { at: number; kind: 'pause'; node: string; resumeAfter: number }
  | { at: number; kind: 'clog'; a: string; b: string; releaseAfter: number }
  | { at: number; kind: 'skew'; node: string; ms: number };

/** Faults over `nodes`, at 0-60 s of the fault phase. */
export function faultArbOver(nodes: string[]): fc.Arbitrary<Fault> {
  const node = fc.constantFrom(...nodes);
  const at = fc.integer({ min: 0, max: 60_000 });
  // Splits the nodes (with their clients) into two non-empty groups.
  const split = fc
    .shuffledSubarray(nodes, { minLength: 1, maxLength: nodes.length - 1 })
    .map((a) => ({ a, b: nodes.filter((n) => !a.includes(n)) }));
  return fc.oneof(
    fc
      .record({ at, kind: fc.constant('partition' as const), oneWay: fc.boolean() })
      .chain((f) => split.map((s) => ({ ...f, ...s }))),
    fc.record({ at, kind: fc.constant('heal' as const) }),
    fc.record({
      at,
      kind: fc.constant('crash' as const),
      node,
      mode: fc.constantFrom('process' as const, 'power' as const),
      restartAfter: fc.integer({ min: 1000, max: 60_000 }),
    }),
    fc.record({
      at,
      kind: fc.constant('pause' as const),
      node,
      resumeAfter: fc.integer({ min: 100, max: 20_000 }),
    }),
    fc
      .record({
        at,
        kind: fc.constant('clog' as const),
        a: node,
        b: node,
        releaseAfter: fc.integer({ min: 100, max: 20_000 }),
      })
      .filter((f) => f.a !== f.b),
    fc.record({ at, kind: fc.constant('skew' as const), node, ms: fc.integer({ min: -5000, max: 5000 }) }),
  );
}

/** The part of the scenario world faults use. */
export type FaultWorld = Pick<
  ScenarioWorld,
  'now' | 'partition' | 'heal' | 'crash' | 'restart' | 'pause' | 'unpause' | 'clog' | 'unclog' | 'skew'
>;

/**
 * Applies faults as their time comes and undoes them after their duration;
 * `healAll` repairs everything. `side` maps nodes to the hosts cut with them.
 */
export class FaultPlayer {
  private pending: Fault[];
  private later: { at: number; run: () => void }[] = [];
  private state = new Map<string, 'up' | 'crashed' | 'paused'>();
  /**
   * Every time every node was down at once: the swarm's nodes keep sessions, queues and retained messages
   * in memory only, so nothing from before the last one can be owed (a will lost in an earlier one stays lost).
   */
  readonly wipes: number[] = [];

  /** The last whole-cluster outage, or null. */
  get wipedAt(): number | null {
    return this.wipes.length ? this.wipes[this.wipes.length - 1] : null;
  }
  private cut = false;
  private clogs = 0;

  /** A partition is in effect (until the next heal). */
  get partitioned(): boolean {
    return this.cut;
  }

  /** Traffic between some nodes is held (until the clogs are released). */
  get clogged(): boolean {
    return this.clogs > 0;
  }

  /** No partition or clog in effect and every node up: what a client sends now reaches its node. */
  get calm(): boolean {
    return !this.cut && this.clogs === 0 && [...this.state.values()].every((s) => s === 'up');
  }

  constructor(
    private w: FaultWorld,
    faults: Fault[],
    private side: (nodes: string[]) => string[],
    private nodes: string[] = [],
  ) {
    this.pending = [...faults];
  }

  /** Runs the faults due at `t` (ms into the fault phase) and the repairs due now. */
  tick(t: number): void {
    while (this.pending.length && this.pending[0].at <= t) this.apply(this.pending.shift()!);
    for (const l of this.later.filter((x) => x.at <= this.w.now)) {
      l.run();
      this.later.splice(this.later.indexOf(l), 1);
    }
  }

  /** Runs every pending repair, heals the network, resumes and restarts every node. */
  healAll(nodes: string[]): void {
    for (const l of this.later) l.run();
    this.later = [];
    this.w.heal();
    this.cut = false;
    for (const n of nodes) {
      if (this.nodeState(n) === 'paused') this.unpause(n);
      if (this.nodeState(n) === 'crashed') this.restart(n);
    }
  }

  nodeState(n: string): 'up' | 'crashed' | 'paused' {
    return this.state.get(n) ?? 'up';
  }

  private restart(n: string): void {
    this.w.restart(n);
    this.state.set(n, 'up');
  }

  private unpause(n: string): void {
    this.w.unpause(n);
    this.state.set(n, 'up');
  }

  private apply(f: Fault): void {
    const w = this.w;
    switch (f.kind) {
      case 'partition':
        w.partition(this.side(f.a), this.side(f.b), { oneWay: f.oneWay });
        this.cut = true;
        return;
      case 'heal':
        w.heal();
        this.cut = false;
        return;
      case 'crash':
        if (this.nodeState(f.node) === 'crashed') return;
        w.crash(f.node, f.mode);
        this.state.set(f.node, 'crashed');
        if (this.nodes.length && this.nodes.every((n) => this.nodeState(n) === 'crashed'))
          this.wipes.push(w.now);
        this.later.push({
          at: w.now + f.restartAfter,
          run: () => this.nodeState(f.node) === 'crashed' && this.restart(f.node),
        });
        return;
      case 'pause':
        if (this.nodeState(f.node) !== 'up') return;
        w.pause(f.node);
        this.state.set(f.node, 'paused');
        this.later.push({
          at: w.now + f.resumeAfter,
          run: () => this.nodeState(f.node) === 'paused' && this.unpause(f.node),
        });
        return;
      case 'clog':
        w.clog([f.a], [f.b]);
        this.clogs++;
        this.later.push({ at: w.now + f.releaseAfter, run: () => (w.unclog(), (this.clogs = 0)) });
        return;
      case 'skew':
        w.skew(f.node, f.ms);
        return;
    }
  }
}

/**
 * A fault drawn over n1..n5 folded onto a cluster of `count` nodes (n4 of
 * 3 is n1): faults and workload shrink independently. Null when the fault
 * has nothing left to act on (a partition whose sides fold into one).
 */
export function foldFault(f: Fault, count: number): Fault | null {
  const fold = (n: string) => `n${((Number(n.slice(1)) - 1) % count) + 1}`;
  switch (f.kind) {
    case 'partition': {
      const a = [...new Set(f.a.map(fold))];
      const b = [...new Set(f.b.map(fold))].filter((n) => !a.includes(n));
      return a.length && b.length ? { ...f, a, b } : null;
    }
    case 'clog': {
      const [a, b] = [fold(f.a), fold(f.b)];
      return a === b ? null : { ...f, a, b };
    }
    case 'crash':
    case 'pause':
    case 'skew':
      return { ...f, node: fold(f.node) };
    case 'heal':
      return f;
  }
}
