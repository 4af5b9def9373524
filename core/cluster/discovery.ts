// DNS discovery: the cluster's members come from a DNS name that lists
// them (a Kubernetes headless Service: SRV records `_cluster._tcp.<svc>`
// whose targets are the pods, or plain A records). The lookup itself is a
// Resolver supplied by the host (node:dns in the runtime, a scripted table
// in the simulator); this module decides what each answer means:
//  - a name not seen before, or seen at a new address: join it (dial);
//  - a name gone from DNS for `forgetAfterMs` while the cluster cannot
//    reach it: force it out (a StatefulSet scaled down), instead of waiting
//    for autoclean;
//  - a failed or empty lookup changes nothing (a DNS outage must not
//    shrink the cluster).

import type { Clock, Timer } from '../env.ts';

export interface DiscoveredNode {
  node: string;
  /** "host:port" to dial. */
  address: string;
}

export interface Resolver {
  /** Calls back once with the nodes the name lists now, or null when the lookup failed. */
  resolve(name: string, cb: (nodes: DiscoveredNode[] | null) => void): void;
}

export interface DiscoveryActions {
  join: DiscoveredNode[];
  forget: string[];
}

/** The pure part: from successive answers to what to do. */
export class DiscoveryState {
  /** node → address last listed, and since when successful answers have left it out. */
  private known = new Map<string, { address: string; missingSince: number | null }>();

  constructor(
    private readonly self: string,
    private readonly forgetAfterMs: number,
  ) {}

  /**
   * One lookup's answer (null: failed). `members` are the cluster's current
   * members: one learnt from another node and never listed here is watched too.
   */
  update(now: number, answer: DiscoveredNode[] | null, members: DiscoveredNode[] = []): DiscoveryActions {
    const out: DiscoveryActions = { join: [], forget: [] };
    if (answer === null || answer.length === 0) return out;
    for (const m of members)
      if (m.node !== this.self && !this.known.has(m.node))
        this.known.set(m.node, { address: m.address, missingSince: null });
    const listed = new Set<string>();
    for (const n of answer) {
      if (n.node === this.self || listed.has(n.node)) continue;
      listed.add(n.node);
      const k = this.known.get(n.node);
      if (!k || k.address !== n.address) out.join.push(n);
      this.known.set(n.node, { address: n.address, missingSince: null });
    }
    for (const [node, k] of this.known) {
      if (listed.has(node)) continue;
      // Counted from the first answer without it: time spent without answers does not count.
      k.missingSince ??= now;
      if (now - k.missingSince >= this.forgetAfterMs) {
        out.forget.push(node);
        this.known.delete(node);
      }
    }
    out.join.sort((a, b) => (a.node < b.node ? -1 : 1));
    out.forget.sort();
    return out;
  }

  /** A node forgotten here that is still a member (it was reachable): keep watching it. */
  keep(node: string, address: string, now: number): void {
    this.known.set(node, { address, missingSince: now });
  }
}

/** What DNS discovery needs from the cluster. */
export interface DiscoveryTarget {
  readonly node: string;
  join(node: string, address: string): void;
  forceLeave(node: string): boolean;
  status(): { node: string; state: string; address: string }[];
}

export interface DnsDiscoveryOptions {
  name: string;
  intervalMs: number;
  forgetAfterMs: number;
}

/** Resolves `name` every `intervalMs` and applies the answers to the cluster. */
export class DnsDiscovery {
  private readonly state: DiscoveryState;
  private timer: Timer | null = null;
  private stopped = false;
  lookups = 0;
  failures = 0;

  constructor(
    private readonly cluster: DiscoveryTarget,
    private readonly resolver: Resolver,
    private readonly clock: Clock,
    private readonly opts: DnsDiscoveryOptions,
    private readonly onEvent: (type: string, detail: Record<string, string>) => void = () => {},
  ) {
    this.state = new DiscoveryState(cluster.node, opts.forgetAfterMs);
  }

  start(): void {
    this.lookup();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private lookup = (): void => {
    this.timer = null;
    if (this.stopped) return;
    this.lookups++;
    this.resolver.resolve(this.opts.name, (answer) => {
      if (this.stopped) return;
      if (answer === null) this.failures++;
      this.apply(answer);
      this.timer ??= this.clock.setTimer(this.opts.intervalMs, this.lookup);
    });
  };

  private apply(answer: DiscoveredNode[] | null): void {
    const now = this.clock.now();
    const status = this.cluster.status().filter((m) => m.state !== 'left');
    const acts = this.state.update(now, answer, status);
    const members = new Map(status.map((m) => [m.node, m]));
    for (const n of acts.join) {
      const m = members.get(n.node);
      if (m && m.state === 'running' && m.address === n.address) continue;
      this.onEvent('dns.join', { peer: n.node, address: n.address });
      this.cluster.join(n.node, n.address);
    }
    for (const node of acts.forget) {
      const m = members.get(node);
      if (!m || m.state === 'left') continue;
      if (m.state === 'running') {
        this.state.keep(node, m.address, now); // still talking to us: DNS is behind, not the node gone
        continue;
      }
      this.onEvent('dns.forget', { peer: node });
      this.cluster.forceLeave(node);
    }
  }
}
