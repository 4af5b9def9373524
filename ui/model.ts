// The UI's one model. Views are pure functions of a UiState; a ModelBuilder
// turns whatever feeds it (history events and world samples from a live
// simulation or a trace file, admin API polls of a live cluster) into
// UiState snapshots. Building is incremental and cheap per event: counters,
// a few maps keyed by message id, no rescans.

import {
  isCluster,
  type ClusterHistoryEvent,
  type DeliverEvent,
  type Ev,
  type HistoryEvent,
} from '../sim/events.ts';
import type { BalancerSample, LinkSample, NodeSample, WorldSample } from '../sim/observe.ts';
import type { Violation } from '../sim/checkers/common.ts';
import type { PhaseStats } from '../sim/checkers/phases.ts';
import { Qos2OnceChecker } from '../sim/checkers/qos2-once.ts';
import { OrderChecker } from '../sim/checkers/order.ts';
import { OnlySubscribedChecker } from '../sim/checkers/only-subscribed.ts';

export type { NodeSample, LinkSample, BalancerSample, WorldSample };

export type TimelineKind = 'fault' | 'node' | 'cluster' | 'lb' | 'violation' | 'takeover' | 'info';

export interface TimelineEntry {
  t: number;
  kind: TimelineKind;
  /** One glyph per node at that moment (VOPR style): ● running, ◌ unreachable, ‖ paused, ✕ stopped. */
  glyphs: string;
  text: string;
}

export interface PhaseRow {
  name: string;
  from: number;
  published: number;
  delivered: number;
  /** QoS 1/2 publishes not yet acknowledged (null once the scenario's own table replaced the live one). */
  inFlight: number | null;
  queued: number | null;
  lost: number;
  duplicated: number;
  maxDelayMs: number;
}

export interface PropertyState {
  name: string;
  status: 'passing' | 'failing' | 'pending';
  /** What "pending" waits for, or the first violation. */
  detail: string;
  count: number;
  excerpt: string[];
}

export interface NodeRates {
  inPerSec: number;
  outPerSec: number;
}

export interface RunStatus {
  paused: boolean;
  /** e.g. "x1000", "max", "live", "frame 12/150". */
  speed: string;
  done: boolean;
  events: number;
  /** Key help or a transient message. */
  note: string;
}

export interface UiState {
  title: string;
  source: 'sim' | 'replay' | 'live';
  /** Simulated ms (sim, replay) or wall ms since attach (live). */
  t: number;
  nodes: NodeSample[];
  links: LinkSample[];
  balancers: BalancerSample[];
  rates: Record<string, NodeRates>;
  timeline: TimelineEntry[];
  phases: PhaseRow[];
  /** True once the scenario's own phase table (checked against expectations) replaced the live one. */
  phasesFinal: boolean;
  /** Max delivery latency per bucket of simulated time, oldest first. */
  latency: number[];
  properties: PropertyState[];
  status: RunStatus;
  /** The closing summary (the text `sim run` prints), once the run ended. */
  summary: string[];
}

const GLYPH: Record<string, string> = { running: '●', unreachable: '◌', paused: '‖', stopped: '✕' };
const TIMELINE_MAX = 5000;
const LATENCY_MAX = 400;
const RECENT_MAX = 64;

export function emptyState(title: string, source: UiState['source']): UiState {
  return {
    title,
    source,
    t: 0,
    nodes: [],
    links: [],
    balancers: [],
    rates: {},
    timeline: [],
    phases: [],
    phasesFinal: false,
    latency: [],
    properties: [],
    status: { paused: false, speed: '', done: false, events: 0, note: '' },
    summary: [],
  };
}

interface Invoke {
  t: number;
  phase: number;
  qos: number;
  c: string;
  topic: string;
  /** When its publisher got the PUBACK/PUBCOMP (for violation excerpts). */
  okAt?: number;
}

const LIVE_PROPERTIES: [string, 'passing' | 'pending', string][] = [
  ['no-acked-loss', 'pending', 'checked against the subscribers when the run ends'],
  ['qos2-exactly-once', 'passing', 'no QoS 2 message delivered twice'],
  ['order', 'passing', 'first deliveries in publish order per publisher and topic'],
  ['only-subscribed', 'passing', 'no delivery without a matching subscription'],
  ['liveness', 'pending', 'the scenario checks convergence and failover'],
];

/** What can be checked from outside a live cluster, through its admin API. */
const CLUSTER_PROPERTIES: [string, 'passing' | 'pending', string][] = [
  ['health', 'pending', 'every node answers GET /health with 200'],
  ['membership', 'pending', 'every running node sees every other running'],
  ['no-drops', 'passing', 'no message dropped (queue full, expired, ...)'],
];

/** Folds events and samples into UiState snapshots. */
export class ModelBuilder {
  private s: UiState;
  private nodeState = new Map<string, string>();
  private nodeOrder: string[] = [];
  private prevSample: WorldSample | null = null;
  private invokes = new Map<string, Invoke>();
  private seen = new Set<string>();
  /** The simulator's own checkers, fed as the events come: the verdict so far. */
  private checkers = [new Qos2OnceChecker(), new OrderChecker(), new OnlySubscribedChecker()];
  private bucketStart = -1;
  private bucketMax = 0;
  private recent: string[] = [];
  private props = new Map<string, PropertyState>();
  latencyBucketMs = 1000;

  constructor(title: string, source: UiState['source']) {
    this.s = emptyState(title, source);
    for (const [name, status, detail] of source === 'live' ? CLUSTER_PROPERTIES : LIVE_PROPERTIES)
      this.props.set(name, { name, status, detail, count: 0, excerpt: [] });
    this.s.phases.push(phase('start', 0));
  }

  get state(): UiState {
    return this.s;
  }

  /** A copy the views may keep (arrays copied, so later events do not change it). */
  snapshot(): UiState {
    const s = this.s;
    return {
      ...s,
      nodes: s.nodes,
      links: s.links,
      balancers: s.balancers,
      rates: s.rates,
      timeline: s.timeline.slice(),
      phases: s.phases.map((p) => ({ ...p })),
      latency: this.bucketStart >= 0 ? [...s.latency, this.bucketMax] : s.latency.slice(),
      properties: [...this.props.values()].map((p) => ({ ...p, excerpt: p.excerpt.slice() })),
      status: { ...s.status },
      summary: s.summary.slice(),
    };
  }

  setStatus(st: Partial<RunStatus>): void {
    Object.assign(this.s.status, st);
  }

  setTime(t: number): void {
    if (t > this.s.t) this.s.t = t;
  }

  private glyphs(): string {
    return this.nodeOrder.map((n) => GLYPH[this.nodeState.get(n) ?? 'running'] ?? '?').join('');
  }

  private knowNode(n: string): void {
    if (!this.nodeState.has(n)) {
      this.nodeState.set(n, 'running');
      this.nodeOrder.push(n);
    }
  }

  timeline(t: number, kind: TimelineKind, text: string): void {
    const tl = this.s.timeline;
    tl.push({ t, kind, glyphs: this.glyphs(), text });
    if (tl.length > TIMELINE_MAX) tl.splice(0, tl.length - TIMELINE_MAX);
  }

  private newPhase(t: number, name: string): void {
    const ph = this.s.phases;
    const cur = ph[ph.length - 1];
    // Several faults at one instant make one phase.
    if (cur.from === t && cur.published === 0) cur.name = name;
    else ph.push(phase(name, t));
  }

  private fail(property: string, detail: string, excerpt: string[]): void {
    let p = this.props.get(property);
    if (!p) this.props.set(property, (p = { name: property, status: 'failing', detail, count: 0, excerpt }));
    if (p.status !== 'failing') {
      p.status = 'failing';
      p.detail = detail;
      p.excerpt = excerpt;
    }
    p.count++;
  }

  /** Starts a new phase of the message flow table (live cluster: on state changes seen by polling). */
  phase(t: number, name: string): void {
    this.newPhase(t, name);
  }

  /** A property's state, as judged by a live source (admin API polls). */
  property(name: string, status: PropertyState['status'], detail: string, excerpt: string[] = []): void {
    const p = this.props.get(name) ?? { name, status, detail, count: 0, excerpt };
    if (status === 'failing' && p.status !== 'failing') p.count++;
    Object.assign(p, { status, detail, excerpt });
    this.props.set(name, p);
  }

  /** Live cluster: message counters since the last poll, and the current queue/window sizes. */
  counters(d: {
    published: number;
    delivered: number;
    dropped: number;
    queued: number;
    inflight: number;
  }): void {
    const cur = this.s.phases[this.s.phases.length - 1];
    cur.published += d.published;
    cur.delivered += d.delivered;
    cur.lost += d.dropped;
    cur.queued = d.queued;
    cur.inFlight = d.inflight;
  }

  /** One history event (sim run, trace replay). */
  event(t: number, ev: HistoryEvent): void {
    this.setTime(t);
    this.s.status.events++;
    const at: Ev = { ...ev, t };
    for (const c of this.checkers) {
      const v = c.feed(at);
      if (v) this.violated(v);
    }
    if (ev.type === 'deliver') return this.deliver(t, ev);
    if (ev.type === 'pub.invoke') {
      const ph = this.s.phases.length - 1;
      this.s.phases[ph].published++;
      const qos = ev.qos;
      if (qos > 0) this.s.phases[ph].inFlight!++;
      this.invokes.set(ev.id, { t, phase: ph, qos, c: ev.c, topic: ev.topic });
      return;
    }
    if (ev.type === 'pub.ok' || ev.type === 'pub.fail') {
      const inv = this.invokes.get(ev.id);
      if (inv && inv.qos > 0) this.s.phases[inv.phase].inFlight!--;
      if (inv && ev.type === 'pub.ok') inv.okAt = t;
      return;
    }
    if (ev.type === 'sub.invoke') return;
    this.remember(t, ev);
    if (ev.type === 'drop') {
      const inv = this.invokes.get(ev.id);
      this.s.phases[inv ? inv.phase : this.s.phases.length - 1].lost++;
      return;
    }
    if (ev.type.startsWith('client.') || ev.type === 'will') {
      if (ev.type === 'client.server-disconnect' && ev.rc === 0x8e)
        this.timeline(t, 'takeover', `${ev.c} taken over (0x8E)`);
      return;
    }
    if (isCluster(ev)) return this.clusterEvent(t, ev);
    this.stateChange(t, ev);
  }

  /** A checker's violation: the property fails with the events that show it. */
  private violated(v: Violation): void {
    this.fail(
      v.property,
      v.detail,
      v.excerpt.map((e) => line(e.t, e)),
    );
  }

  private remember(t: number, ev: HistoryEvent): void {
    this.recent.push(line(t, ev));
    if (this.recent.length > RECENT_MAX) this.recent.shift();
  }

  private stateChange(t: number, ev: HistoryEvent): void {
    switch (ev.type) {
      case 'node.start': {
        const node = ev.node;
        const known = this.nodeState.has(node);
        this.knowNode(node);
        this.nodeState.set(node, 'running');
        if (known) {
          this.newPhase(t, `${node} back`);
          this.timeline(t, 'node', `${node} restarted`);
        } else this.timeline(t, 'node', `${node} started`);
        return;
      }
      case 'fault.crash': {
        const node = ev.node;
        this.nodeState.set(node, 'stopped');
        this.newPhase(t, `${node} ${ev.mode === 'power' ? 'power loss' : 'crash'}`);
        return this.timeline(
          t,
          'fault',
          ev.mode === 'power' ? `${node} loses power (peers half-open)` : `${node} killed (kill -9)`,
        );
      }
      case 'fault.partition':
        this.newPhase(t, ev.oneWay ? 'one-way split' : 'split');
        return this.timeline(
          t,
          'fault',
          `partition ${short(ev.a)} ${ev.oneWay ? '-/->' : '|'} ${short(ev.b)}`,
        );
      case 'fault.heal':
        this.newPhase(t, 'healed');
        return this.timeline(t, 'fault', 'network healed');
      case 'fault.clog':
        this.newPhase(t, 'clogged');
        return this.timeline(t, 'fault', `clog ${short(ev.a)} ${ev.oneWay ? '->' : '<->'} ${short(ev.b)}`);
      case 'fault.unclog':
        this.newPhase(t, 'unclogged');
        return this.timeline(t, 'fault', 'unclogged');
      case 'fault.pause':
        this.nodeState.set(ev.node, 'paused');
        this.newPhase(t, `${ev.node} paused`);
        return this.timeline(t, 'fault', `${ev.node} paused`);
      case 'fault.unpause':
        this.nodeState.set(ev.node, 'running');
        return this.timeline(t, 'fault', `${ev.node} resumed`);
      case 'fault.skew':
        return this.timeline(t, 'fault', `${ev.node} clock ${ev.ms >= 0 ? '+' : ''}${ev.ms} ms`);
      case 'fault.drift':
        return this.timeline(t, 'fault', `${ev.node} clock drift ${ev.rate}`);
      case 'fault.disk':
        return this.timeline(
          t,
          'fault',
          `${ev.node} ${ev.fault === 'full' ? 'disk full' : 'fsync failing'}${ev.on ? '' : ': over'}`,
        );
      case 'fault.reset':
        return this.timeline(t, 'fault', `${ev.n} connections reset ${ev.a} <-> ${ev.b}`);
      case 'lb.backend':
        return this.timeline(t, 'lb', `${ev.lb}: ${ev.backend} marked ${ev.healthy ? 'UP' : 'DOWN'}`);
      case 'violation': {
        const detail = ev.detail;
        const id = /^(\S+:\d+)/.exec(detail)?.[1];
        const inv = id ? this.invokes.get(id) : undefined;
        const ex = [
          ...(inv ? [`${fmtT(inv.t)} pub.invoke ${inv.c} ${id} QoS ${inv.qos} ${inv.topic}`] : []),
          ...(inv?.okAt !== undefined ? [`${fmtT(inv.okAt)} pub.ok ${inv.c} ${id} (acknowledged)`] : []),
          ...(id ? this.recent.filter((l) => l.includes(id)) : this.recent.slice(-6)),
        ];
        this.fail(ev.property, detail, ex);
        return this.timeline(t, 'violation', `VIOLATION ${ev.property}: ${detail}`);
      }
    }
  }

  private clusterEvent(t: number, ev: ClusterHistoryEvent): void {
    const node = ev.node;
    const what = ev.type.slice(8);
    const peer = ev.peer === undefined ? undefined : String(ev.peer);
    if (what === 'peer.down') {
      if (peer && this.nodeState.get(peer) === 'running') this.nodeState.set(peer, 'unreachable');
      return this.timeline(t, 'cluster', `${node} sees ${peer} down`);
    }
    if (what === 'peer.up') {
      if (peer && this.nodeState.get(peer) === 'unreachable') this.nodeState.set(peer, 'running');
      return this.timeline(
        t,
        'cluster',
        `${node} sees ${peer} up${ev.healed ? ' (autoheal: split healed)' : ''}`,
      );
    }
    if (what === 'failover')
      return this.timeline(t, 'cluster', `${node} takes over ${ev.sessions} session(s) of ${ev.from}`);
    if (what === 'autoclean')
      return this.timeline(t, 'cluster', `${node} autocleans ${peer} (${ev.routes} routes)`);
    if (what === 'handoff.in')
      return this.timeline(
        t,
        'takeover',
        `${ev.clientId}: session handed over ${ev.from} -> ${node} (${ev.msgs} msgs)`,
      );
    if (what === 'handoff.out') return;
    if (what === 'evacuation')
      return this.timeline(
        t,
        'cluster',
        `${node} evacuation ${ev.phase}: ${ev.connections} connections, ${ev.sessions} sessions here`,
      );
    if (what === 'link.up')
      return this.timeline(t, 'cluster', `${node} link to cluster ${ev.link} up (${ev.peer})`);
    if (what === 'link.down')
      return this.timeline(t, 'cluster', `${node} link to cluster ${ev.link} down: ${ev.why}`);
    if (what === 'rebalance')
      return this.timeline(
        t,
        'cluster',
        `${node} rebalance ${ev.phase}${ev.donors ? ` (donors ${ev.donors})` : ''}`,
      );
    if (what === 'will')
      return this.timeline(
        t,
        'cluster',
        `${node} publishes the will of ${ev.clientId} (its node ${ev.from} is gone)`,
      );
    const kv = Object.entries(ev)
      .filter(([k]) => k !== 'type' && k !== 'node' && k !== 't')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return this.timeline(t, 'cluster', `${node} ${what}${kv ? ' ' + kv : ''}`);
  }

  private deliver(t: number, ev: DeliverEvent): void {
    if (ev.retain) return;
    const id = ev.id;
    const c = ev.c;
    const inv = this.invokes.get(id);
    const ph = this.s.phases[inv ? inv.phase : this.s.phases.length - 1];
    ph.delivered++;
    const k = `${c}|${id}`;
    // Only messages the run published itself have unique ids (wills and the like reuse theirs).
    if (this.seen.has(k)) {
      if (inv) ph.duplicated++;
    } else this.seen.add(k);
    if (inv) {
      const d = t - inv.t;
      if (d > ph.maxDelayMs) ph.maxDelayMs = Math.round(d);
      const b = Math.floor(t / this.latencyBucketMs);
      if (b !== this.bucketStart) {
        if (this.bucketStart >= 0) this.pushLatency(this.bucketMax);
        this.bucketStart = b;
        this.bucketMax = 0;
      }
      if (d > this.bucketMax) this.bucketMax = d;
    }
  }

  private pushLatency(v: number): void {
    const l = this.s.latency;
    l.push(v);
    if (l.length > LATENCY_MAX) l.splice(0, l.length - LATENCY_MAX);
  }

  /** A world sample: node boxes, links, balancers; rates from the previous sample. */
  sample(ws: WorldSample): void {
    this.setTime(ws.t);
    const prev = this.prevSample;
    const rates: Record<string, NodeRates> = {};
    for (const n of ws.nodes) {
      this.knowNode(n.name);
      this.nodeState.set(n.name, n.state);
      const p = prev?.nodes.find((x) => x.name === n.name);
      const dt = prev ? (ws.t - prev.t) / 1000 : 0;
      rates[n.name] =
        n.state === 'stopped'
          ? { inPerSec: 0, outPerSec: 0 }
          : p && dt > 0 && n.msgIn >= p.msgIn && n.msgOut >= p.msgOut
            ? { inPerSec: (n.msgIn - p.msgIn) / dt, outPerSec: (n.msgOut - p.msgOut) / dt }
            : (this.s.rates[n.name] ?? { inPerSec: 0, outPerSec: 0 });
    }
    // Keep the last rates when samples come closer together than a second of simulated time.
    if (!prev || ws.t - prev.t >= 1000) {
      this.s.rates = rates;
      this.prevSample = ws;
    } else
      for (const n of ws.nodes)
        if (n.state === 'stopped')
          this.s.rates = { ...this.s.rates, [n.name]: { inPerSec: 0, outPerSec: 0 } };
    this.s.nodes = ws.nodes;
    this.s.links = ws.links;
    this.s.balancers = ws.balancers;
    const cur = this.s.phases[this.s.phases.length - 1];
    cur.queued = ws.nodes.reduce((a, n) => a + n.queued, 0);
    if (cur.name === 'split') cur.name = `split ${splitShape(ws)}`;
  }

  /** The run ended: the scenario's own phase table and verdict replace the live figures. */
  finish(r: {
    phases?: PhaseStats[];
    violations: { property: string; detail: string }[];
    summary: string[];
    settle?: boolean;
  }): void {
    if (r.phases) {
      this.s.phases = r.phases.map((p) => ({
        name: p.phase,
        from: 0,
        published: p.published,
        delivered: p.delivered,
        inFlight: null,
        queued: null,
        lost: p.lost,
        duplicated: p.duplicated,
        maxDelayMs: p.maxDelayMs,
      }));
      this.s.phasesFinal = true;
    }
    const failed = new Set(r.violations.map((v) => v.property));
    // A run that did not finish settles nothing: pending stays pending.
    if (r.settle !== false)
      for (const p of this.props.values()) {
        if (p.status === 'pending' && !failed.has(p.name)) {
          p.status = 'passing';
          p.detail =
            p.name === 'liveness'
              ? 'the scenario reached every goal in time'
              : 'every acknowledged message arrived';
        }
      }
    this.s.summary = r.summary;
    this.s.status.done = true;
  }
}

/** "2+1", "1+1+1": the sizes of the groups of nodes that can still talk. */
function splitShape(ws: WorldSample): string {
  const names = ws.nodes.map((n) => n.name);
  const parent = new Map(names.map((n) => [n, n]));
  const find = (x: string): string => (parent.get(x) === x ? x : find(parent.get(x)!));
  for (const l of ws.links) if (l.state === 'up' || l.state === 'clogged') parent.set(find(l.a), find(l.b));
  const sizes = new Map<string, number>();
  for (const n of names) sizes.set(find(n), (sizes.get(find(n)) ?? 0) + 1);
  return [...sizes.values()].sort((a, b) => b - a).join('+');
}

function phase(name: string, from: number): PhaseRow {
  return {
    name,
    from,
    published: 0,
    delivered: 0,
    inFlight: 0,
    queued: 0,
    lost: 0,
    duplicated: 0,
    maxDelayMs: 0,
  };
}

/** "n1,ps-n1,cs-n1" -> "n1+4": client hosts ride along with their node in partitions. */
function short(group: string): string {
  const parts = group.split(',');
  const nodes = parts.filter((p) => !p.includes('-'));
  const rest = parts.length - nodes.length;
  return (
    (nodes.length ? nodes.join(',') : parts.slice(0, 2).join(',')) +
    (rest > 0 && nodes.length ? ` (+${rest} clients)` : '')
  );
}

function line(t: number, ev: HistoryEvent): string {
  const kv = Object.entries(ev)
    .filter(([k]) => k !== 'type' && k !== 't')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${fmtT(t)} ${ev.type} ${kv}`;
}

/** Simulated time as the timeline shows it: 12.345s, 3h02m, 1770d04h. */
export function fmtT(ms: number): string {
  if (ms < 0) return `-${fmtT(-ms)}`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)}s`;
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d${String(h).padStart(2, '0')}h${String(m).padStart(2, '0')}m`;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m${String(sec).padStart(2, '0')}s`;
  return `${m}m${String(sec).padStart(2, '0')}.${String(Math.floor(ms % 1000)).padStart(3, '0')}s`;
}

/** Uptime for node boxes: 59s, 12m, 3h, 1770d. */
export function fmtUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
