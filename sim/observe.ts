// Watching a run without steering it: an observer sees every history event
// as it is recorded and, when it paces the run, gets control between slices
// of simulated time (the terminal UI renders and waits for keys there).
// Observers only read the world, so a run's history is the same with or
// without one; samples are snapshots of what the history does not carry
// (node counters, link states, balancer health).

import type { HistoryEvent } from './history.ts';
import type { SimBroker, World } from './world.ts';
import { progressText } from '../core/cluster/evacuation.ts';
import { linksText } from '../core/link/links.ts';

/** The running cluster part of a node, if any. */
const runningCluster = (b: SimBroker) => (b.broker && b.host.state === 'up' ? (b.clustering ?? null) : null);

/**
 * How far the next slice may go: at most `maxEvents` events, none later
 * than `untilMs` (virtual). The world counts `maxEvents` down on this very
 * object, so the observer may set it to 0 from event() to end the slice
 * after the current event (pause on a fault, single step).
 */
export interface Slice {
  maxEvents: number;
  untilMs: number;
}

export interface SimObserver {
  /** Every history event, right after it is recorded. Must not touch the world. */
  event?(t: number, ev: HistoryEvent): void;
  /**
   * Present: sleep/until run in slices and await this between them (ambient
   * time and timers are usable while it runs). `horizon` is where the
   * current sleep/until ends. It is called again until a slice can progress.
   */
  pace?(world: World, horizon: number): Slice | Promise<Slice>;
}

export type NodeView = 'running' | 'unreachable' | 'paused' | 'stopped';
export type LinkView = 'up' | 'cut' | 'one-way' | 'clogged' | 'down';

export interface NodeSample {
  name: string;
  state: NodeView;
  uptimeMs: number;
  connections: number;
  sessions: number;
  routes: number;
  queued: number;
  inflight: number;
  /** Cumulative MQTT messages received from / sent to clients. */
  msgIn: number;
  msgOut: number;
  /** How this node sees each peer (cluster membership), when it runs. */
  peers: Record<string, string>;
  /** Set for a replicant (core/cluster/replicant.ts); cores have none. */
  role?: 'replicant';
  /** Its evacuation (or rebalance donor part) in progress, one line (core/cluster/evacuation.ts progressText). */
  maintenance?: string;
  /** Its links to other clusters, one line (core/link/links.ts linksText). */
  links?: string;
}

export interface LinkSample {
  a: string;
  b: string;
  state: LinkView;
  /** For one-way: the direction that still passes, "a>b" or "b>a". */
  open?: string;
}

export interface BalancerSample {
  name: string;
  backends: string[];
  healthy: string[];
}

export interface WorldSample {
  t: number;
  nodes: NodeSample[];
  links: LinkSample[];
  balancers: BalancerSample[];
}

/** Reads the world's state (never changes it). */
export function sampleWorld(w: World): WorldSample {
  const nodes: NodeSample[] = [];
  const views = new Map<string, Record<string, string>>();
  for (const b of w.brokers.values()) {
    const peers: Record<string, string> = {};
    const cl = b.broker ? (b.clustering ?? null) : null;
    if (cl && b.host.state === 'up')
      for (const m of cl.status()) if (m.node !== b.name) peers[m.node] = m.state;
    views.set(b.name, peers);
  }
  for (const b of w.brokers.values()) {
    const br = b.broker;
    let state: NodeView =
      b.host.state === 'crashed' || !br ? 'stopped' : b.host.state === 'paused' ? 'paused' : 'running';
    if (state === 'running')
      for (const [other, v] of views)
        if (other !== b.name && v[b.name] === 'unreachable') state = 'unreachable';
    let queued = 0;
    let inflight = 0;
    if (br)
      for (const s of br.sessions.values()) {
        queued += s.queued;
        inflight += s.inflight.size;
      }
    nodes.push({
      name: b.name,
      state,
      uptimeMs: br ? w.now - b.host.startedAt : 0,
      connections: br?.connections.size ?? 0,
      sessions: br?.sessions.size ?? 0,
      routes: br ? (b.clustering ? b.clustering.routes.size : countOf(br.subscriptions.routeKeys())) : 0,
      queued,
      inflight,
      msgIn: br?.stats.messagesIn ?? 0,
      msgOut: br?.stats.messagesOut ?? 0,
      peers: views.get(b.name)!,
    });
    if (b.cluster?.role === 'replicant') nodes[nodes.length - 1].role = 'replicant';
    const ev = runningCluster(b)?.maintenance.status().evacuation;
    if (ev) nodes[nodes.length - 1].maintenance = progressText(ev);
    const cl = runningCluster(b)?.links;
    if (cl) nodes[nodes.length - 1].links = linksText(cl.status());
  }
  const names = [...w.brokers.keys()];
  const links: LinkSample[] = [];
  for (let i = 0; i < names.length; i++)
    for (let j = i + 1; j < names.length; j++) {
      const a = names[i];
      const b = names[j];
      const ab = w.network.pathState(a, b);
      const ba = w.network.pathState(b, a);
      const dead = w.host(a).state === 'crashed' || w.host(b).state === 'crashed';
      let state: LinkView;
      let open: string | undefined;
      if (dead) state = 'down';
      else if (ab === 'blocked' && ba === 'blocked') state = 'cut';
      else if (ab === 'blocked' || ba === 'blocked') {
        state = 'one-way';
        open = ab === 'blocked' ? `${b}>${a}` : `${a}>${b}`;
      } else if (ab === 'clogged' || ba === 'clogged') state = 'clogged';
      else state = 'up';
      links.push(open ? { a, b, state, open } : { a, b, state });
    }
  const balancers = [...w.balancers.values()].map((lb) => ({
    name: lb.name,
    backends: lb.backends.map((b) => b.name),
    healthy: lb.healthyBackends(),
  }));
  return { t: w.now, nodes, links, balancers };
}

function countOf(it: Iterable<unknown>): number {
  let n = 0;
  for (const _ of it) n++;
  return n;
}

/** Several observers as one: every one sees each event; the first that paces, paces. */
export function allObservers(...obs: SimObserver[]): SimObserver {
  const pacer = obs.find((o) => o.pace);
  const watchers = obs.filter((o) => o.event);
  return {
    event: (t, ev) => {
      for (const o of watchers) o.event!(t, ev);
    },
    ...(pacer ? { pace: (w: World, h: number) => pacer.pace!(w, h) } : {}),
  };
}
