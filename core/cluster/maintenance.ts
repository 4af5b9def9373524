// Planned maintenance of a node (EMQX's node rebalance): this node's evacuation (evacuation.ts), and a
// cluster rebalance this node coordinates. The coordinator asks each participant for its connection count
// (F.Rebalance load?/load) and takes the average. When a node is above it by more than both thresholds
// (absolute and relative), every node above the average is a donor: it is told to close its excess
// connections at a rate (evict) and reports itself unhealthy meanwhile, so the balancer sends the
// reconnecting clients only to nodes below the average; their persistent sessions follow them by the usual
// takeover. The coordinator measures again until the spread is within the thresholds, then releases the
// donors (stop); a donor also releases itself a while after its quota (a lost coordinator must not leave it).

import {
  Evacuation,
  type EvacuationLinks,
  type EvacuationOptions,
  type EvacuationStatus,
} from './evacuation.ts';
import { F, encodeJson, type RebalanceBody } from './peer-protocol.ts';
import type { Clock, Timer } from '../env.ts';
import type { Session } from '../session.ts';
import type { ClusterEvent } from './events.ts';
import type { LocalNode } from './local-node.ts';
import type { Membership } from './membership.ts';

export interface RebalanceOptions {
  /** Participants (empty: every running node). */
  nodes: string[];
  connEvictRate: number;
  /** A donor has more than the average plus this many connections... */
  connThreshold: number;
  /** ...and more than the average times this. */
  relConnThreshold: number;
  waitHealthCheckMs: number;
  /** How long donors stay unhealthy after their quota (their clients reconnect elsewhere). */
  waitTakeoverMs: number;
}

export const defaultRebalanceOptions: RebalanceOptions = {
  nodes: [],
  connEvictRate: 500,
  connThreshold: 1000,
  relConnThreshold: 1.1,
  waitHealthCheckMs: 60_000,
  waitTakeoverMs: 60_000,
};

export interface RebalanceStatus {
  phase: 'measuring' | 'evicting' | 'balanced' | 'failed' | 'stopped';
  startedAt: number;
  /** Live connections of each participant, as last measured. */
  loads: Record<string, number>;
  /** Connections each donor was told to close. */
  donors: Record<string, number>;
  reason?: string;
}

/** What maintenance needs of the cluster (core/cluster/cluster.ts). */
export interface MaintenanceCluster {
  readonly node: string;
  readonly membership: Membership;
  readonly clock: Clock;
  runningPeers(): string[];
  runningNodes(): string[];
  sendReliableTo(node: string, frame: Buffer): void;
  emit(e: ClusterEvent): void;
}

/** How long the coordinator waits for a participant's count. */
const ANSWER_MS = 5000;
/** How often it measures while donors evict. */
const MEASURE_MS = 2000;

export class Maintenance {
  /** This node's own evacuation, or its part as a rebalance donor. */
  evacuation: Evacuation | null = null;
  private plan: RebalanceStatus | null = null;
  private planOpts: RebalanceOptions | null = null;
  private round = 0;
  private answers = new Map<string, number>();
  private timer: Timer | null = null;
  /** When the donors ordered so far should be done. */
  private deadline = 0;

  private readonly c: EvacuationLinks & MaintenanceCluster;
  /** Per target, the reliable frame sequence of the latest session handed to it. */
  private readonly handoffs = new Map<string, number>();

  constructor(cluster: MaintenanceCluster, local: LocalNode, migrate: (s: Session, node: string) => void) {
    this.c = {
      node: cluster.node,
      membership: cluster.membership,
      clock: cluster.clock,
      sessions: local.sessions,
      runningPeers: () => cluster.runningPeers(),
      runningNodes: () => cluster.runningNodes(),
      sendReliableTo: (node, frame) => cluster.sendReliableTo(node, frame),
      emit: (e) => cluster.emit(e),
      evict: (s, ref) => s.conn?.evict(ref),
      migrate: (s, node) => {
        migrate(s, node);
        this.handoffs.set(node, cluster.membership.get(node)?.outSeq ?? 0);
      },
      handedOver: () => {
        for (const [node, seq] of this.handoffs) {
          const m = cluster.membership.get(node);
          if (m?.state === 'running' && m.unacked.length && m.unacked[0].seq <= seq) return false;
          this.handoffs.delete(node);
        }
        return true;
      },
    };
  }

  /** Reported unhealthy (/health 503, the simulated balancer's check): evacuating or donating. */
  get draining(): boolean {
    return this.evacuation !== null;
  }

  /** The Server Reference a refused connect is given while draining, or null (not draining). */
  redirect(): string | null {
    return this.evacuation ? this.evacuation.redirect() : null;
  }

  /** Starts evacuating this node; an error text when it cannot. */
  evacuate(opts: EvacuationOptions): string | null {
    if (this.evacuation)
      return `${this.evacuation.kind === 'evacuation' ? 'an evacuation' : 'a rebalance'} is already running here; stop it first`;
    if (this.plan && this.isRunning()) return 'this node coordinates a rebalance; stop it first';
    const unknown = opts.migrateTo.filter((n) => n === this.c.node || !this.c.runningPeers().includes(n));
    if (unknown.length) return `migrate-to: ${unknown.join(', ')} not a running peer`;
    if (opts.migrateTo.length === 0 && this.c.runningPeers().length === 0)
      return 'no running peer to migrate to';
    this.evacuation = new Evacuation(this.c, opts);
    return null;
  }

  /** Starts a rebalance coordinated here; an error text when it cannot. */
  rebalance(opts: RebalanceOptions): string | null {
    if (this.evacuation?.kind === 'evacuation') return 'this node is being evacuated';
    if (this.plan && this.isRunning()) return 'a rebalance is already running';
    const running = this.c.runningNodes();
    const nodes = opts.nodes.length ? opts.nodes : running;
    const down = nodes.filter((n) => !running.includes(n));
    if (down.length) return `nodes: ${down.join(', ')} not running`;
    if (nodes.length < 2) return 'a rebalance needs two nodes or more';
    this.planOpts = { ...opts, nodes };
    this.plan = { phase: 'measuring', startedAt: this.c.clock.now(), loads: {}, donors: {} };
    this.deadline = 0;
    this.measure();
    return null;
  }

  /** Stops what runs here: the evacuation, or the rebalance (its donors are released). */
  stop(): boolean {
    let any = false;
    if (this.plan && this.isRunning()) {
      this.release('stopped');
      any = true;
    }
    if (this.evacuation) {
      this.endEvacuation();
      any = true;
    }
    return any;
  }

  status(): { evacuation: EvacuationStatus | null; rebalance: RebalanceStatus | null } {
    return { evacuation: this.evacuation?.status() ?? null, rebalance: this.plan };
  }

  onFrame(from: string, b: RebalanceBody): void {
    switch (b.op) {
      case 'load?':
        return this.c.sendReliableTo(
          from,
          encodeJson(F.Rebalance, { op: 'load', round: b.round, conns: this.conns() }),
        );
      case 'load':
        if (b.round === this.round && this.plan?.phase !== 'stopped') this.answer(from, b.conns ?? 0);
        return;
      case 'evict':
        return this.donate(b);
      case 'stop':
        if (this.evacuation?.kind === 'rebalance') this.endEvacuation();
    }
  }

  private isRunning(): boolean {
    return this.plan?.phase === 'measuring' || this.plan?.phase === 'evicting';
  }

  private conns(): number {
    let n = 0;
    for (const s of this.c.sessions.values()) if (s.conn) n++;
    return n;
  }

  private endEvacuation(): void {
    const ev = this.evacuation;
    if (!ev) return;
    ev.stop();
    this.evacuation = null;
    const { connectionsLeft, sessionsLeft } = ev.status();
    this.c.emit({
      type: 'evacuation',
      phase: 'stopped',
      connections: connectionsLeft,
      sessions: sessionsLeft,
    });
  }

  /** This node is a donor: close `conns` connections at `rate`, pointing clients to `to`. */
  private donate(b: RebalanceBody): void {
    if (this.evacuation) return; // evacuating already (or donating): that covers it
    const rate = b.rate ?? 1;
    const ev = new Evacuation(this.c, {
      migrateTo: b.to ?? [],
      connEvictRate: rate,
      sessEvictRate: rate,
      waitHealthCheckMs: b.waitMs ?? 0,
      // Released by the coordinator, or by itself this long after its quota (a lost coordinator).
      waitTakeoverMs: b.holdMs ?? defaultRebalanceOptions.waitTakeoverMs,
      maxConnections: b.conns ?? 0,
    });
    ev.onEnd = () => {
      if (this.evacuation === ev) this.endEvacuation();
    };
    this.evacuation = ev;
  }

  /** Asks every participant for its connection count. */
  private measure(): void {
    const nodes = this.planOpts!.nodes;
    this.round++;
    this.answers.clear();
    for (const n of nodes)
      if (n !== this.c.node)
        this.c.sendReliableTo(n, encodeJson(F.Rebalance, { op: 'load?', round: this.round }));
    if (nodes.includes(this.c.node)) this.answer(this.c.node, this.conns());
    this.later(ANSWER_MS, () => {
      const missing = nodes.filter((n) => !this.answers.has(n));
      this.release('failed', `no answer from ${missing.join(', ')}`);
    });
  }

  private answer(node: string, conns: number): void {
    const o = this.planOpts!;
    this.answers.set(node, conns);
    if (this.answers.size < o.nodes.length) return;
    const plan = this.plan!;
    plan.loads = Object.fromEntries([...this.answers].sort(([a], [b]) => (a < b ? -1 : 1)));
    const total = [...this.answers.values()].reduce((a, b) => a + b, 0);
    const avg = total / o.nodes.length;
    const over = (n: number): boolean => n > avg + o.connThreshold && n > avg * o.relConnThreshold;
    if (!o.nodes.some((n) => over(this.answers.get(n)!))) return this.release('balanced');
    // Unbalanced: every node above the average gives up its excess (and stays out of the balancer meanwhile),
    // so the clients it sends away land only on nodes below the average.
    const donors = o.nodes.filter((n) => this.answers.get(n)! > Math.ceil(avg));
    // One order per node at most (so it ends): what it has above the average; the others are where its clients go.
    // Counts taken while donors' clients are on their way are not acted on: only once those donors are done.
    const now = this.c.clock.now();
    if (now <= this.deadline) return this.later(MEASURE_MS, () => this.measure());
    const fresh = donors.filter((d) => plan.donors[d] === undefined);
    if (fresh.length === 0)
      return this.release(
        'failed',
        `still unbalanced after the donors' quotas: ${JSON.stringify(plan.loads)}`,
      );
    plan.phase = 'evicting';
    const to = o.nodes.filter((n) => !donors.includes(n));
    for (const d of fresh) {
      const conns = this.answers.get(d)! - Math.ceil(avg);
      plan.donors[d] = conns;
      const busy = o.waitHealthCheckMs + (conns / o.connEvictRate) * 1000 + o.waitTakeoverMs;
      this.deadline = Math.max(this.deadline, now + busy);
      const order: RebalanceBody = {
        op: 'evict',
        conns,
        rate: o.connEvictRate,
        waitMs: o.waitHealthCheckMs,
        to,
        holdMs: o.waitTakeoverMs,
      };
      if (d === this.c.node) this.onFrame(d, order);
      else this.c.sendReliableTo(d, encodeJson(F.Rebalance, order));
    }
    this.later(MEASURE_MS, () => this.measure());
  }

  /** The rebalance ends: donors are released. */
  private release(phase: 'balanced' | 'failed' | 'stopped', reason?: string): void {
    this.timer?.cancel();
    this.timer = null;
    const plan = this.plan!;
    plan.phase = phase;
    if (reason) plan.reason = reason;
    for (const d of Object.keys(plan.donors))
      if (d === this.c.node) this.onFrame(d, { op: 'stop' });
      else this.c.sendReliableTo(d, encodeJson(F.Rebalance, { op: 'stop' }));
    this.c.emit({ type: 'rebalance', phase, donors: Object.keys(plan.donors).join(',') });
  }

  private later(ms: number, fn: () => void): void {
    this.timer?.cancel();
    this.timer = this.c.clock.setTimer(ms, fn);
  }
}
