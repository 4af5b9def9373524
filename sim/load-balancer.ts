// A TCP load balancer in front of broker nodes (HAProxy/nginx stream
// style): health checks at an interval with rise/fall counts, round-robin
// or sticky-by-client-id (HAProxy's stick table on the CONNECT client id).
// Connections pass through it: partitions on either hop cut them.

import type { SimKernel } from './kernel.ts';
import type { SimHost } from './host.ts';
import type { SimSocket } from './network.ts';

export interface LoadBalancerOptions {
  backends: string[];
  mode?: 'round-robin' | 'sticky';
  /** Health check interval (HAProxy `inter`), ms. */
  checkIntervalMs?: number;
  /** Consecutive successes to mark a backend up (HAProxy `rise`). */
  rise?: number;
  /** Consecutive failures to mark it down (HAProxy `fall`). */
  fall?: number;
  /** Close a backend's client connections when it is marked down (`on-marked-down shutdown-sessions`). */
  shutdownSessionsOnDown?: boolean;
}

interface Backend {
  name: string;
  healthy: boolean;
  ok: number;
  fail: number;
}

export class LoadBalancer {
  readonly backends: Backend[];
  private rr = 0;
  private stick = new Map<string, string>();
  readonly opts: Required<LoadBalancerOptions>;

  constructor(
    readonly world: SimKernel,
    readonly host: SimHost,
    opts: LoadBalancerOptions,
  ) {
    this.opts = {
      mode: 'round-robin',
      checkIntervalMs: 2000,
      rise: 2,
      fall: 3,
      shutdownSessionsOnDown: false,
      ...opts,
    };
    this.backends = opts.backends.map((name) => ({ name, healthy: true, ok: 0, fail: 0 }));
    this.schedule();
  }

  get name(): string {
    return this.host.name;
  }

  healthyBackends(): string[] {
    return this.backends.filter((b) => b.healthy).map((b) => b.name);
  }

  /**
   * Checks run every `checkIntervalMs`. Once a check changes nothing (every
   * backend's result agrees with its state, no rise/fall count running),
   * the next ones would change nothing either until the world changes: the
   * balancer rests, remembering its check grid, and `wake()` (called by the
   * world on any host, listener or network change) resumes it at the next
   * grid point. Same behaviour as checking forever, without the events:
   * 1770 quiet days hold 30 million checks.
   */
  private nextCheckAt = 0;
  private resting = false;

  private schedule(): void {
    this.host.setTimer(this.opts.checkIntervalMs, this.onCheck);
    this.nextCheckAt = this.world.now + this.gridStep();
  }

  private gridStep(): number {
    return Math.max(1, this.opts.checkIntervalMs) / (1 + this.host.drift);
  }

  private onCheck = (): void => {
    if (this.check()) {
      this.resting = true;
      this.nextCheckAt = this.world.now + this.gridStep();
    } else this.schedule();
  };

  wake(): void {
    if (!this.resting) return;
    this.resting = false;
    // Checks due up to now saw the state before the change: no-ops, skipped.
    const step = this.gridStep();
    while (this.nextCheckAt <= this.world.now) this.nextCheckAt += step;
    this.host.setTimerAt(this.nextCheckAt, this.onCheck);
  }

  /** An application-level check (like GET /health): a paused or unreachable node fails it. True when it changed nothing. */
  private check(): boolean {
    const net = this.world.network;
    let rest = true;
    for (const b of this.backends) {
      const h = this.world.host(b.name);
      const ok =
        h.state === 'up' &&
        net.listeners.has(b.name) &&
        net.pathState(this.name, b.name) === 'open' &&
        net.pathState(b.name, this.name) === 'open' &&
        this.world.isReady(b.name);
      if (ok) {
        b.fail = 0;
        if (!b.healthy && ++b.ok >= this.opts.rise) this.mark(b, true);
      } else {
        b.ok = 0;
        if (b.healthy && ++b.fail >= this.opts.fall) this.mark(b, false);
      }
      if (ok !== b.healthy || b.ok !== 0 || b.fail !== 0) rest = false;
    }
    return rest;
  }

  private mark(b: Backend, healthy: boolean): void {
    b.healthy = healthy;
    b.ok = b.fail = 0;
    this.world.record({ type: 'lb.backend', lb: this.name, backend: b.name, healthy });
    if (!healthy && this.opts.shutdownSessionsOnDown) {
      // The balancer knows its own sessions even when the backend's machine is gone.
      const net = this.world.network;
      for (const s of this.sessions) {
        if (!s.open) this.sessions.delete(s);
        else if (s.peer.host.name === b.name) {
          this.sessions.delete(s);
          net.abortVia(s);
        }
      }
    }
  }

  /** Client-side sockets of connections passing through this balancer. */
  private sessions = new Set<SimSocket>();

  proxied(s: SimSocket): void {
    this.sessions.add(s);
    if (this.sessions.size % 1024 === 0) for (const x of this.sessions) if (!x.open) this.sessions.delete(x);
  }

  /** Chooses the backend for a new client connection, or undefined when none is healthy. */
  pick(clientId: string): string | undefined {
    const healthy = this.backends.filter((b) => b.healthy);
    if (healthy.length === 0) return undefined;
    if (this.opts.mode === 'sticky') {
      const s = this.stick.get(clientId);
      if (s && healthy.some((b) => b.name === s)) return s;
    }
    const b = healthy[this.rr++ % healthy.length].name;
    if (this.opts.mode === 'sticky') this.stick.set(clientId, b);
    return b;
  }
}
