// Node evacuation (EMQX's `rebalance start --evacuation`): before an upgrade or a hardware swap, a node
// empties itself in a controlled way instead of dropping every client at once (a reconnect storm). It
// reports itself unhealthy (balancers stop sending clients; connects are refused with Use Another
// Server), waits the balancer's health-check time, disconnects its clients at a rate (MQTT 5: DISCONNECT
// 0x9C with a Server Reference; 3.1.1: closed), waits for them to take their sessions over elsewhere,
// then hands the persistent sessions still here (offline, with their queues) to the target nodes at a
// rate, through the registry's handoff. It ends holding no session and stays unhealthy until stopped.
// A rebalance donor (rebalance.ts) runs the same machine with a connection budget and no session phase.
// Driven by the clock only: it runs alike in the simulator and the runtime.

import type { Clock, Timer } from '../env.ts';
import type { Session } from '../session.ts';
import type { ClusterEvent } from './events.ts';

export interface EvacuationOptions {
  /** Nodes the sessions move to, and MQTT 5 clients are pointed at (empty: every running peer). */
  migrateTo: string[];
  /** Connections closed a second. */
  connEvictRate: number;
  /** Offline sessions handed over a second. */
  sessEvictRate: number;
  /** How long the node reports itself unhealthy before it closes connections (the balancer's check time). */
  waitHealthCheckMs: number;
  /**
   * How long evicted clients have to reconnect elsewhere (taking their sessions) before the rest are moved;
   * over as soon as none of their sessions is left here.
   */
  waitTakeoverMs: number;
  /** The Server Reference MQTT 5 clients get (default: the name of the node they are pointed at). */
  redirectTo?: string;
  /** Rebalance: close only this many connections and move no offline session. */
  maxConnections?: number;
}

export const defaultEvacuationOptions: EvacuationOptions = {
  migrateTo: [],
  connEvictRate: 500,
  sessEvictRate: 500,
  waitHealthCheckMs: 60_000,
  waitTakeoverMs: 60_000,
};

export type EvacuationPhase =
  'waiting-health-check' | 'evicting-connections' | 'waiting-takeover' | 'evicting-sessions' | 'done';

export interface EvacuationStatus {
  kind: 'evacuation' | 'rebalance';
  phase: EvacuationPhase;
  startedAt: number;
  targets: string[];
  connEvictRate: number;
  sessEvictRate: number;
  connectionsEvicted: number;
  sessionsMigrated: number;
  /** Live connections still here (a rebalance: still to close). */
  connectionsLeft: number;
  /** Sessions still here (a rebalance: not counted, 0). */
  sessionsLeft: number;
}

/** What an evacuation needs of the node it runs on (core/cluster/maintenance.ts wires it). */
export interface EvacuationLinks {
  readonly node: string;
  readonly clock: Clock;
  readonly sessions: ReadonlyMap<string, Session>;
  runningPeers(): string[];
  /** Closes the live connection of `s`: v5 DISCONNECT 0x9C with `serverReference`, 3.1.1 closed. */
  evict(s: Session, serverReference: string): void;
  /** Hands the offline session `s` over to `node` (it becomes that node's offline session). */
  migrate(s: Session, node: string): void;
  /** Every session handed over so far was confirmed by its target (or the target is gone): safe to stop. */
  handedOver(): boolean;
  emit(e: ClusterEvent): void;
}

const SHORT: Record<EvacuationPhase, string> = {
  'waiting-health-check': 'health wait',
  'evicting-connections': 'closing',
  'waiting-takeover': 'takeover',
  'evicting-sessions': 'moving',
  done: 'done',
};

/** One short line of progress, as the terminal UI shows it on the node's box. */
export function progressText(s: EvacuationStatus): string {
  return s.kind === 'evacuation'
    ? `evac ${SHORT[s.phase]}: ${s.connectionsLeft}c ${s.sessionsLeft}s left`
    : `donor ${SHORT[s.phase]}: ${s.connectionsLeft}c left`;
}

/** The smallest step between two batches (ms): a rate of 500/s closes 50 connections every 100 ms. */
const TICK_MS = 100;
/** How often a finished evacuation looks for sessions that came here since (a failover). */
const IDLE_CHECK_MS = 1000;

/** Timer step and batch size for `rate` a second. */
export function pace(rate: number): { everyMs: number; batch: number } {
  const everyMs = Math.max(TICK_MS, Math.ceil(1000 / rate));
  return { everyMs, batch: Math.max(1, Math.floor((rate * everyMs) / 1000)) };
}

export class Evacuation {
  phase: EvacuationPhase = 'waiting-health-check';
  readonly startedAt: number;
  private timer: Timer | null = null;
  private connectionsEvicted = 0;
  private sessionsMigrated = 0;
  /** Round-robin counters over the targets: clients pointed at, sessions moved. */
  private rr = 0;
  private moves = 0;
  /** Client ids whose connections this evacuation closed: their sessions are waited for (takeover). */
  private readonly evicted = new Set<string>();
  /** A rebalance donor's order is carried out. */
  onEnd: (() => void) | null = null;

  constructor(
    private readonly c: EvacuationLinks,
    readonly opts: EvacuationOptions,
  ) {
    this.startedAt = c.clock.now();
    this.c.emit({
      type: 'evacuation',
      phase: this.phase,
      connections: this.live().length,
      sessions: this.left(),
    });
    this.after(opts.waitHealthCheckMs, () => this.enter('evicting-connections'));
  }

  get kind(): 'evacuation' | 'rebalance' {
    return this.opts.maxConnections === undefined ? 'evacuation' : 'rebalance';
  }

  /** Where new clients are sent (MQTT 5 Server Reference), or '' when no target runs. */
  redirect(): string {
    const t = this.targets();
    if (t.length === 0) return this.opts.redirectTo ?? '';
    return this.opts.redirectTo ?? t[this.rr++ % t.length];
  }

  /** The targets that run now: the chosen ones, or every running peer. */
  targets(): string[] {
    const running = this.c.runningPeers();
    const chosen = this.opts.migrateTo.length ? this.opts.migrateTo : running;
    return chosen.filter((n) => n !== this.c.node && running.includes(n));
  }

  status(): EvacuationStatus {
    const budget = this.opts.maxConnections;
    const live = this.live().length;
    return {
      kind: this.kind,
      phase: this.phase,
      startedAt: this.startedAt,
      targets: this.targets(),
      connEvictRate: this.opts.connEvictRate,
      sessEvictRate: this.opts.sessEvictRate,
      connectionsEvicted: this.connectionsEvicted,
      sessionsMigrated: this.sessionsMigrated,
      connectionsLeft: budget === undefined ? live : Math.min(live, budget - this.connectionsEvicted),
      sessionsLeft: budget === undefined ? this.left() : 0,
    };
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private after(ms: number, fn: () => void): void {
    this.timer?.cancel();
    this.timer = this.c.clock.setTimer(ms, fn);
  }

  private enter(phase: EvacuationPhase): void {
    this.phase = phase;
    this.c.emit({ type: 'evacuation', phase, connections: this.live().length, sessions: this.left() });
    switch (phase) {
      case 'evicting-connections':
        return this.evictConnections();
      case 'waiting-takeover':
        return this.awaitTakeover(this.c.clock.now() + this.opts.waitTakeoverMs);
      case 'evicting-sessions':
        return this.migrateSessions();
      case 'done':
        // A rebalance donor stays unhealthy a while (its clients reconnect elsewhere), then ends by itself
        // unless the coordinator stopped it first: a lost coordinator must not leave it out of the balancer.
        if (this.kind === 'rebalance') this.after(this.opts.waitTakeoverMs, () => this.onEnd?.());
        else this.after(IDLE_CHECK_MS, () => this.idle());
    }
  }

  private live(): Session[] {
    const out: Session[] = [];
    for (const s of this.c.sessions.values()) if (s.conn) out.push(s);
    return out;
  }

  private left(): number {
    return this.c.sessions.size;
  }

  private evictConnections(): void {
    const budget = this.opts.maxConnections ?? Infinity;
    const { everyMs, batch } = pace(this.opts.connEvictRate);
    const live = this.live();
    const n = Math.min(batch, live.length, budget - this.connectionsEvicted);
    for (let i = 0; i < n; i++) {
      this.evicted.add(live[i].clientId);
      this.c.evict(live[i], this.redirect());
      this.connectionsEvicted++;
    }
    if (live.length > n && this.connectionsEvicted < budget)
      this.after(everyMs, () => this.evictConnections());
    else this.enter(this.kind === 'evacuation' ? 'waiting-takeover' : 'done');
  }

  /** Until `until`, or until every client closed here took its session elsewhere (none left to wait for). */
  private awaitTakeover(until: number): void {
    const now = this.c.clock.now();
    let waiting = false;
    for (const id of this.evicted) if (this.c.sessions.has(id)) waiting = true;
    if (!waiting || now >= until) return this.enter('evicting-sessions');
    this.after(Math.min(TICK_MS * 5, until - now), () => this.awaitTakeover(until));
  }

  private migrateSessions(): void {
    const targets = this.targets();
    const { everyMs, batch } = pace(this.opts.sessEvictRate);
    let moved = 0;
    // No target runs: wait for one (status shows the sessions left).
    if (targets.length)
      for (const s of [...this.c.sessions.values()]) {
        if (moved === batch) break;
        // A client that still got in (a connect racing the start) is closed first; it moves with its next connect.
        if (s.conn) this.c.evict(s, this.redirect());
        else {
          this.c.migrate(s, targets[this.moves++ % targets.length]);
          this.sessionsMigrated++;
        }
        moved++;
      }
    if (this.c.sessions.size) this.after(everyMs, () => this.migrateSessions());
    // Done once the targets confirmed the handoffs: stopped before, the node would take them along.
    else if (!this.c.handedOver()) this.after(TICK_MS, () => this.migrateSessions());
    else this.enter('done');
  }

  /** Done, but a session may come here after all (a failed peer's, if this node is its backup): move it too. */
  private idle(): void {
    if (this.c.sessions.size) this.enter('evicting-sessions');
    else this.after(IDLE_CHECK_MS, () => this.idle());
  }
}
