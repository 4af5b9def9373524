// The scenario API (the simulator's World, sim/world.ts) over real
// processes: each broker is a `runtime start` child process on free
// loopback ports, clients are mqtt.js clients (live-client.ts), the load
// balancer is HAProxy (haproxy.ts), and faults are real: crash = SIGKILL
// (process) or SIGSTOP until the restart (power: the machine goes silent,
// peers and clients are left half-open), pause = SIGSTOP/SIGCONT,
// partition/clog = the fault proxy on every node-to-node link.
//
// Time: the scenario's virtual milliseconds map to wall time times
// `timeScale`; a single sleep longer than `maxQuietMs` of wall time is cut
// to that (the 1770 quiet days become seconds), and the virtual clock jumps
// by the rest. Node timers (heartbeats, timeouts), client keep alives and
// reconnect delays and the balancer's check interval are scaled the same way.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BrokerConfig } from '../../core/config.ts';
import type { ClusterConfig } from '../../core/cluster/cluster.ts';
import { History, type HistoryEvent } from '../history.ts';
import { Rng } from '../rng.ts';
import type { ClientOptions } from '../client.ts';
import type { LoadBalancerOptions } from '../load-balancer.ts';
import { nodeConfigEvent, type SimClusterOptions } from '../world.ts';
import { viewProblems, type NodeView } from '../convergence.ts';
import { LiveUnsupported, type ScenarioWorld } from '../scenario-world.ts';
import { FaultProxy } from './fault-proxy.ts';
import { LiveClient } from './live-client.ts';
import { HaproxyProcess, get, nginxConfig, type LbConfig } from './haproxy.ts';
import { freePorts } from './ports.ts';
import { sharedClusterSettings } from '../../runtime/cluster-config.ts';
import type { RuntimeClusterConfig } from '../../runtime/config.ts';
import { ClientLocator } from './locator.ts';
import type { NodeStatus } from '../scenario-world.ts';
import type { EvacuationOptions } from '../../core/cluster/evacuation.ts';
import type { RebalanceOptions } from '../../core/cluster/maintenance.ts';
import { NodeStatusReader, evacuationBody, postJson, rebalanceBody } from './node-status.ts';
import { liveLinks, liveSeeds } from './cluster-wiring.ts';
import { NodeEventStream, clusterHistoryEvent } from './node-events.ts';
import type { ClusterHistoryEvent, PassedOnEvent, LinkDropEvent } from '../events.ts';

const START_TIMEOUT_MS = 90_000;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface LiveOptions {
  seed: string | number;
  /** Wall milliseconds per virtual millisecond (0.05: 20x faster than real time). */
  timeScale: number;
  /** A single sleep never waits longer than this (wall ms); the virtual clock jumps over the rest. */
  maxQuietMs: number;
  /** The haproxy binary (for scenarios with a load balancer). */
  haproxy?: string | null;
  /** Where configs, logs and data dirs go (default: a fresh temporary directory, removed unless keepDir). */
  dir?: string;
  keepDir?: boolean;
  /** Extra `runtime start` arguments per node (e.g. a data dir flag). */
  nodeArgs?: (node: string, dir: string) => string[];
  /** Keep the history's lines (for --trace). */
  keepLines?: boolean;
  /** Progress lines (node starts, faults). */
  log?: (line: string) => void;
}

export { LiveUnsupported };

export interface LiveNode {
  name: string;
  state: 'up' | 'crashed' | 'paused';
  mqttPort: number;
  adminPort: number;
  /** The node's real peer port, and the fault proxy port in front of it (its advertised address). */
  clusterPort?: number;
  proxyPort?: number;
  /** Cluster linking: the node's real link port, and the fault proxy port in front of it (its link address). */
  linkPort?: number;
  linkProxyPort?: number;
  configFile: string;
  child: ChildProcess | null;
  exited: Promise<void>;
  /** The process was stopped with SIGSTOP (power loss or pause). */
  stopped: boolean;
  log: string;
  starts: number;
  /** A restart is under way. */
  starting?: boolean;
  /** The running process's cluster events, read into the history (node-events.ts). */
  events?: NodeEventStream;
}

export class LiveBalancer {
  private healthy = new Map<string, boolean>();
  constructor(
    readonly world: LiveWorld,
    readonly name: string,
    readonly port: number,
    readonly proc: HaproxyProcess,
    readonly config: LbConfig,
  ) {
    for (const b of config.backends) this.healthy.set(b.name, true);
  }

  healthyBackends(): string[] {
    return [...this.healthy].filter(([, up]) => up).map(([n]) => n);
  }

  async refresh(): Promise<void> {
    const st = await this.proc.states();
    if (!st) return;
    for (const [n, up] of st) {
      if (this.healthy.get(n) !== up)
        this.world.record({ type: 'lb.backend', lb: this.name, backend: n, healthy: up });
      this.healthy.set(n, up);
    }
  }
}

export class LiveWorld implements ScenarioWorld {
  readonly seed: string;
  readonly history: History;
  readonly brokers = new Map<string, LiveNode>();
  readonly clients = new Map<string, LiveClient>();
  readonly balancers = new Map<string, LiveBalancer>();
  private readonly extras: LiveClient[] = [];
  readonly proxy: FaultProxy;
  readonly timeScale: number;
  readonly dir: string;
  /** What the live run could not do as the simulator does (reported). */
  readonly notes: string[] = [];
  eventsProcessed = 0;
  wantViews = false;
  private lbPoll: NodeJS.Timeout | null = null;
  private lbReading = false;
  private views: NodeView[] | null = null;
  private wall0 = performance.now();
  /** Virtual time skipped by capped sleeps. */
  private skipped = 0;
  private setup: Promise<void> = Promise.resolve();
  private setupError: unknown = null;
  private ports: number[] = [];
  private lastRefresh = 0;
  private closed = false;
  private readonly locator = new ClientLocator(
    () => [...this.brokers.values()].filter((n) => n.state === 'up'),
    get,
  );
  private readonly status = new NodeStatusReader((name) => {
    const n = this.brokers.get(name);
    return n && n.state === 'up' && !n.starting ? n.adminPort : null;
  });

  private constructor(readonly opts: LiveOptions) {
    this.seed = String(opts.seed);
    this.history = new History({ keepEvents: true, keepLines: !!opts.keepLines });
    this.timeScale = opts.timeScale;
    this.dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-live-'));
    fs.mkdirSync(this.dir, { recursive: true });
    const scaled = (ms: number) => Math.max(1000, ms * opts.timeScale);
    this.proxy = new FaultProxy({ userTimeoutMs: scaled(900_000), connectTimeoutMs: scaled(30_000) });
  }

  static async create(opts: LiveOptions): Promise<LiveWorld> {
    const w = new LiveWorld(opts);
    w.ports = await freePorts(64);
    return w;
  }

  private port(): number {
    const p = this.ports.pop();
    if (p === undefined) throw new Error('live runner: out of reserved ports');
    return p;
  }

  /** Virtual now: wall time since the start divided by the scale, plus skipped quiet. */
  get now(): number {
    return (performance.now() - this.wall0) / this.timeScale + this.skipped;
  }

  rng(label: string): Rng {
    return new Rng(this.seed, label);
  }

  record(ev: HistoryEvent): void {
    this.history.record(this.now, ev);
  }

  /** Records an event observed at virtual time `t` (e.g. a CONNACK whose node was looked up after). */
  recordAt(t: number, ev: HistoryEvent): void {
    this.history.record(t, ev);
  }

  /** Runs `fn` after everything built so far has started. */
  afterSetup(fn: () => void): void {
    void this.setup.then(() => {
      if (!this.closed && !this.setupError) fn();
    });
  }

  private chain(step: () => Promise<void>): void {
    this.setup = this.setup.then(async () => {
      if (this.setupError || this.closed) return;
      try {
        await step();
      } catch (e) {
        this.setupError = e;
      }
    });
  }

  private scaled(ms: number, floor: number): number {
    return Math.max(floor, Math.round(ms * this.timeScale));
  }

  // ---- building ------------------------------------------------------

  addBroker(name: string, config: Partial<BrokerConfig> = {}): LiveNode {
    return this.addNode(name, config);
  }

  addCluster(names: string[], opts: SimClusterOptions = {}): LiveNode[] {
    const linked = opts.name ? { name: opts.name, links: opts.links ?? [] } : {};
    const nodes = names.map((n) =>
      this.addNode(
        n,
        opts.broker ?? {},
        { secret: opts.secret ?? 'live-secret', ...linked, ...opts.cluster },
        opts.persist,
      ),
    );
    if (opts.name) {
      this.note(
        'cluster links: the runtime does not log each message crossing a link (the link.in events of the ' +
          "simulator's history), so link-loop and link-once judge only the subscribers' deliveries",
      );
    }
    if (opts.name)
      for (const n of nodes) {
        n.linkPort = this.port();
        n.linkProxyPort = this.port();
        const links = (opts.links ?? []).map((l) => l.name).join(',');
        this.record({ type: 'cluster.link.config', node: n.name, cluster: opts.name, links });
      }
    // The scenario's seeds (replicants: the cores), else every node of this cluster.
    const seeds = liveSeeds(this.brokers, nodes, opts.cluster?.seeds);
    this.chain(async () => {
      // Written now: link addresses name the other clusters' nodes, which may be added after this one.
      for (const n of nodes) this.writeConfig(n, seeds);
      for (const n of nodes) {
        await this.proxy.front(n.name, n.clusterPort!, n.proxyPort!);
        if (n.linkPort) await this.proxy.front(n.name, n.linkPort, n.linkProxyPort!);
      }
      await Promise.all(nodes.map((n) => this.spawn(n)));
    });
    return nodes;
  }

  private pending = new Map<
    string,
    { config: Partial<BrokerConfig>; cluster?: Partial<ClusterConfig>; persist?: boolean }
  >();

  private addNode(
    name: string,
    config: Partial<BrokerConfig>,
    cluster?: Partial<ClusterConfig>,
    persist?: boolean,
  ): LiveNode {
    if (this.brokers.has(name)) throw new Error(`broker ${name} exists`);
    const n: LiveNode = {
      name,
      state: 'crashed',
      mqttPort: this.port(),
      adminPort: this.port(),
      clusterPort: cluster ? this.port() : undefined,
      proxyPort: cluster ? this.port() : undefined,
      configFile: path.join(this.dir, `${name}.json`),
      child: null,
      exited: Promise.resolve(),
      stopped: false,
      log: '',
      starts: 0,
    };
    this.brokers.set(name, n);
    this.pending.set(name, { config, cluster, persist });
    // The heartbeat timeout the node really runs with (floored in wall time, writeConfig), in virtual ms.
    const hb = cluster && this.heartbeats(cluster);
    const down = cluster && hb && { ...cluster, heartbeatTimeoutMs: hb.timeoutMs / this.timeScale };
    const ev = nodeConfigEvent(name, config, down || undefined, false);
    // How long a takeover may leave two connections of one id open here. The claim that closes the older one
    // is a frame on the peer link, so nothing but the link's latency bounds it, and on a loaded machine that is
    // wall time, not scaled: the 1 s the simulator allows (a few of its round trips) would be 50 ms of wall
    // time at a time scale of 0.05. What the runtime guarantees is its failure detector's bound: a link
    // silent past the heartbeat timeout is cut (checked every interval), so a claim either arrives within
    // timeout + interval or the receiver has its peer down, which the history shows (cluster.peer.down) and
    // the checkers count as the split-connect trade-off.
    if (hb) ev.settleMs = (hb.timeoutMs + hb.intervalMs) / this.timeScale;
    this.record(ev);
    if (!cluster) {
      this.writeConfig(n, []);
      this.chain(() => this.spawn(n));
    }
    return n;
  }

  /** A node's heartbeat interval and timeout in wall ms: scaled, the timeout no shorter than 2 s (a busy machine). */
  private heartbeats(cluster: Partial<ClusterConfig>): { intervalMs: number; timeoutMs: number } {
    const intervalMs = this.scaled(cluster.heartbeatIntervalMs ?? 1000, 100);
    return {
      intervalMs,
      timeoutMs: Math.max(this.scaled(cluster.heartbeatTimeoutMs ?? 5000, 2000), intervalMs * 3),
    };
  }

  /** The runtime configuration of a node: the scenario's broker and cluster settings, time values scaled. */
  private writeConfig(n: LiveNode, seeds: string[]): void {
    const { config, cluster, persist } = this.pending.get(n.name)!;
    const cfg: Record<string, unknown> = {
      sysInterval: 0,
      ...config,
      node: n.name,
      // Clients come both straight and through HAProxy (send-proxy-v2): the header is read when there is one.
      listeners: {
        tcp: { enabled: true, host: '127.0.0.1', port: n.mqttPort, proxyProtocol: 'optional' },
        ws: { enabled: false },
      },
      admin: { enabled: true, host: '127.0.0.1', port: n.adminPort },
    };
    // The scenario's persist: the node's data dir, the same across its restarts.
    if (persist) cfg.dataDir = path.join(this.dir, `${n.name}-data`);
    if (cluster) {
      const { intervalMs: hbi, timeoutMs: hbt } = this.heartbeats(cluster);
      // The scenario's settings by the runtime's one mapping; the times scaled, as every timer here.
      cfg.cluster = {
        enabled: true,
        host: '127.0.0.1',
        port: n.clusterPort,
        advertise: `127.0.0.1:${n.proxyPort}`,
        discovery: cluster.discovery ?? 'static',
        seeds,
        ...sharedClusterSettings(cluster),
        ...(cluster.links && { links: liveLinks(this.brokers, cluster.links) }),
        ...(n.linkPort && { linkPort: n.linkPort }),
        secret: cluster.secret ?? 'live-secret',
        heartbeatIntervalMs: hbi,
        heartbeatTimeoutMs: hbt,
        autocleanMs: this.scaled(cluster.autocleanMs ?? 300_000, Math.max(1000, hbt * 2)),
      } satisfies Partial<RuntimeClusterConfig>;
    }
    fs.writeFileSync(n.configFile, JSON.stringify(cfg, null, 2));
  }

  /** Starts (or restarts) a node's process and waits until it listens. */
  private async spawn(n: LiveNode): Promise<void> {
    const args = [
      'bin/runtime.js',
      'start',
      '--config',
      n.configFile,
      ...(this.opts.nodeArgs?.(n.name, this.dir) ?? []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MQTTLAB_CLUSTER_SECRET: '' },
    });
    n.child = child;
    n.stopped = false;
    n.starts++;
    n.exited = new Promise((r) => child.on('exit', () => r()));
    const logFile = path.join(this.dir, `${n.name}.log`);
    const start = n.log.length;
    const keep = (b: Buffer) => {
      const s = b.toString();
      n.log = (n.log + s).slice(-200_000);
      fs.appendFileSync(logFile, s);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // Generous: a loaded machine (CI, shared cores) can take tens of seconds to start Node and tsx.
    const end = Date.now() + START_TIMEOUT_MS;
    while (!/mqttlab \S+ node \S+: mqtt:\/\//.test(n.log.slice(Math.min(start, n.log.length)))) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`node ${n.name} exited at start: ${n.log.slice(-2000)}`);
      if (Date.now() > end)
        throw new Error(
          `node ${n.name} did not start within ${START_TIMEOUT_MS / 1000} s: ${n.log.slice(-2000)}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
    n.state = 'up';
    this.record({ type: 'node.start', node: n.name });
    n.events?.close();
    n.events = new NodeEventStream(n.adminPort, (e) => {
      const ev = clusterHistoryEvent(e);
      if (!ev || this.closed) return;
      // At the virtual time it happened: now, less how long ago (wall) the node stamped it.
      const lagMs = Math.max(0, Date.now() - e.t);
      this.recordAt(
        this.now - lagMs / this.timeScale,
        ev as ClusterHistoryEvent | LinkDropEvent | PassedOnEvent,
      );
    });
    this.opts.log?.(
      `node ${n.name} up (mqtt ${n.mqttPort}, admin ${n.adminPort}${n.proxyPort ? `, peers via proxy ${n.proxyPort} -> ${n.clusterPort}` : ''})`,
    );
  }

  addLoadBalancer(name: string, opts: LoadBalancerOptions): LiveBalancer {
    const bin = this.opts.haproxy;
    if (!bin)
      throw new LiveUnsupported(
        'this scenario needs a load balancer and haproxy was not found (install the Debian package haproxy or set HAPROXY)',
      );
    const o = {
      mode: 'round-robin' as const,
      checkIntervalMs: 2000,
      rise: 2,
      fall: 3,
      shutdownSessionsOnDown: false,
      ...opts,
    };
    const config: LbConfig = {
      name,
      bindPort: this.port(),
      statsPort: this.port(),
      backends: o.backends.map((b) => {
        const n = this.brokers.get(b);
        if (!n) throw new Error(`load balancer ${name}: no broker ${b}`);
        return { name: b, port: n.mqttPort, adminPort: n.adminPort };
      }),
      mode: o.mode,
      checkIntervalMs: this.scaled(o.checkIntervalMs, 50),
      rise: o.rise,
      fall: o.fall,
      shutdownSessionsOnDown: o.shutdownSessionsOnDown,
      proxyProtocol: true,
    };
    const proc = new HaproxyProcess(bin, path.join(this.dir, `${name}.haproxy.cfg`), config);
    fs.writeFileSync(path.join(this.dir, `${name}.nginx.conf`), nginxConfig(config));
    const lb = new LiveBalancer(this, name, config.bindPort, proc, config);
    this.balancers.set(name, lb);
    this.chain(async () => {
      await proc.start();
      this.opts.log?.(`haproxy ${name} on ${config.bindPort} (config ${proc.configFile})`);
      this.lbPoll ??= setInterval(() => void this.readBalancers(), 50);
    });
    return lb;
  }

  client(id: string, opts: ClientOptions): LiveClient {
    if (this.clients.has(id)) throw new Error(`client ${id} exists`);
    const c = new LiveClient(this, id, opts);
    this.clients.set(id, c);
    return c;
  }

  /** A second client with an id already in use (a client-id collision): not in `clients`, closed with the world. */
  extraClient(id: string, opts: ClientOptions): LiveClient {
    const c = new LiveClient(this, id, opts);
    this.extras.push(c);
    return c;
  }

  /** The MQTT port a client dials for a target: a node's, or a balancer's frontend. */
  mqttPort(target: string): number {
    const lb = this.balancers.get(target);
    if (lb) return lb.port;
    const n = this.brokers.get(target);
    if (!n) throw new Error(`no node or balancer ${target}`);
    return n.mqttPort;
  }

  /** Which node holds the client's live connection (through a balancer the client cannot tell). */
  locate(clientId: string): Promise<string | null> {
    return this.locator.locate(clientId);
  }

  /** The client ids each up node lists as connected (`GET /api/clients`); a node that does not answer is left out. */
  async connectedClients(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    await Promise.all(
      [...this.brokers.values()]
        .filter((n) => n.state === 'up')
        .map(async (n) => {
          const body = await get(`http://127.0.0.1:${n.adminPort}/api/clients`, 10_000);
          if (!body) return;
          const list = JSON.parse(body).clients as { clientId: string; connected: boolean }[];
          out.set(
            n.name,
            list.filter((c) => c.connected).map((c) => c.clientId),
          );
        }),
    );
    return out;
  }

  nodeStatus(node: string): NodeStatus | null {
    // An unknown node is null, as in the simulator (which has no node of that name running).
    return this.brokers.has(node) ? this.status.status(node) : null;
  }

  async startEvacuation(node: string, opts: Partial<EvacuationOptions> = {}): Promise<void> {
    await this.maintenance(node, '/api/rebalance/evacuation/start', evacuationBody(opts, this.timeScale));
  }

  async startRebalance(node: string, opts: Partial<RebalanceOptions> = {}): Promise<void> {
    await this.maintenance(node, '/api/rebalance/start', rebalanceBody(opts, this.timeScale));
  }

  /** `runtime ctl rebalance start [--evacuation]` through the node's admin API; throws the node's reason. */
  private async maintenance(node: string, path: string, body: Record<string, unknown>): Promise<void> {
    await this.settle();
    const n = this.node(node);
    const r = await postJson(n.adminPort, path, body);
    if (r.status !== 200)
      throw new Error(`${path} on ${node}: ${r.body?.error ?? `HTTP ${r.status || 'no answer'}`}`);
    this.status.note(node, r.body);
    this.opts.log?.(`${path} on ${node}: ${r.body.result}`);
  }

  isReady(node: string): boolean {
    return this.brokers.get(node)?.state === 'up';
  }

  hostNames(): string[] {
    return [...this.brokers.keys(), ...this.clients.keys(), ...this.balancers.keys()];
  }

  // ---- observation -----------------------------------------------------

  /** No simulator behind real processes: simOnly() throws LiveUnsupported. */
  readonly sim = null;

  convergenceProblems(): string[] {
    return viewProblems(this.convergenceViews());
  }

  /** Node snapshots for convergenceProblems (refreshed by sleep/until). */
  convergenceViews(): NodeView[] {
    this.wantViews = true;
    if (this.views === null) return [{ name: '*', routeKeys: [], retained: [], error: 'not observed yet' }];
    // A node restarting counts as not converged yet; one crashed since the snapshot no longer counts.
    const starting = [...this.brokers.values()].filter((n) => n.starting);
    if (starting.length)
      return starting.map((n) => ({ name: n.name, routeKeys: [], retained: [], error: 'starting' }));
    return this.views.filter((v) => this.brokers.get(v.name)?.state === 'up');
  }

  private async refresh(): Promise<void> {
    const tasks: Promise<void>[] = [];
    if (this.wantViews) tasks.push(this.readViews());
    if (this.status.active) tasks.push(this.status.refresh());
    tasks.push(this.readBalancers());
    await Promise.all(tasks);
    this.lastRefresh = performance.now();
  }

  /** Backend states of every balancer; also polled in the background so lb.backend events carry their time. */
  private async readBalancers(): Promise<void> {
    if (this.lbReading || this.balancers.size === 0) return;
    this.lbReading = true;
    try {
      await Promise.all([...this.balancers.values()].map((lb) => lb.refresh()));
    } finally {
      this.lbReading = false;
    }
  }

  private async readViews(): Promise<void> {
    const running = [...this.brokers.values()].filter((n) => n.state === 'up');
    this.views = await Promise.all(
      running.map(async (n): Promise<NodeView> => {
        const base = `http://127.0.0.1:${n.adminPort}`;
        const [cl, routes, local, retained] = await Promise.all(
          ['/api/cluster', '/api/routes', '/api/routes/local', '/api/retained'].map((p) =>
            get(base + p, 1000),
          ),
        );
        if (!cl || !routes || !local || !retained)
          return { name: n.name, routeKeys: [], retained: [], error: 'admin API did not answer' };
        const c = JSON.parse(cl);
        const r = JSON.parse(routes);
        return {
          name: n.name,
          routeKeys: JSON.parse(local).routes,
          routes: c.clustered
            ? (r.routes as { topic: string; node: string }[]).map((x) => `${x.topic} -> ${x.node}`).sort()
            : undefined,
          members: c.clustered ? c.members : undefined,
          retained: (JSON.parse(retained).retained as { topic: string; payload: string }[])
            .map((m) => `${m.topic}=${Buffer.from(m.payload, 'base64').toString('latin1')}`)
            .sort(),
        };
      }),
    );
  }

  // ---- faults ------------------------------------------------------------

  private nodePairs(a: string[], b: string[]): [string, string][] {
    const out: [string, string][] = [];
    for (const x of a)
      for (const y of b)
        if (x !== y && this.brokers.get(x)?.proxyPort && this.brokers.get(y)?.proxyPort) out.push([x, y]);
    return out;
  }

  /** Client links are not proxied: note where a fault would have cut a client from where it connects. */
  private noteClientCuts(kind: string, a: string[], b: string[]): void {
    for (const [g, other] of [
      [a, b],
      [b, a],
    ]) {
      for (const h of g) {
        const c = this.clients.get(h);
        if (!c) continue;
        const ts = Array.isArray(c.opts.target) ? c.opts.target : [c.opts.target];
        const hit = ts.filter(
          (t) =>
            other.includes(t) ||
            (this.balancers.get(t)?.config.backends.some((bk) => other.includes(bk.name)) ?? false),
        );
        if (hit.length)
          this.note(`${kind}: client ${h} to ${hit.join(',')} not cut (client links are not proxied)`);
      }
    }
  }

  private note(s: string): void {
    if (!this.notes.includes(s)) this.notes.push(s);
  }

  partition(a: string[], b: string[], opts: { oneWay?: boolean } = {}): void {
    for (const [x, y] of this.nodePairs(a, b)) this.proxy.set(x, y, 'cut', !!opts.oneWay);
    this.noteClientCuts('partition', a, b);
    this.record({ type: 'fault.partition', a: a.join(','), b: b.join(','), oneWay: !!opts.oneWay });
  }

  isolate(name: string): void {
    this.partition(
      [name],
      this.hostNames().filter((h) => h !== name),
    );
  }

  heal(): void {
    this.proxy.heal();
    this.record({ type: 'fault.heal' });
  }

  repair(a: string[], b: string[]): void {
    for (const [x, y] of this.nodePairs(a, b)) this.proxy.set(x, y, 'open');
    this.record({ type: 'fault.repair', a: a.join(','), b: b.join(',') });
  }

  clog(a: string[], b: string[], opts: { oneWay?: boolean } = {}): void {
    for (const [x, y] of this.nodePairs(a, b)) this.proxy.set(x, y, 'hold', !!opts.oneWay);
    this.noteClientCuts('clog', a, b);
    this.record({ type: 'fault.clog', a: a.join(','), b: b.join(','), oneWay: !!opts.oneWay });
  }

  unclog(): void {
    this.proxy.unclog();
    this.record({ type: 'fault.unclog' });
  }

  resetConnections(a: string, b: string): void {
    const n = this.proxy.reset(a, b);
    this.record({ type: 'fault.reset', a, b, n });
  }

  /** 'process': SIGKILL (the OS resets its connections). 'power': SIGSTOP until restart (silence, half-open peers). */
  crash(name: string, mode: 'process' | 'power' = 'process'): void {
    const n = this.node(name);
    if (n.state === 'crashed') return;
    if (mode === 'process') n.child?.kill('SIGKILL');
    else {
      n.child?.kill('SIGSTOP');
      n.stopped = true;
    }
    n.state = 'crashed';
    this.status.forget(name);
    this.record({ type: 'fault.crash', node: name, mode });
    this.opts.log?.(
      `crash ${name} (${mode === 'process' ? 'SIGKILL' : 'SIGSTOP: power loss, frozen until restart'})`,
    );
  }

  restart(name: string): void {
    const n = this.node(name);
    if (n.state !== 'crashed') this.crash(name, 'process');
    const child = n.child;
    n.starting = true;
    this.chain(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await n.exited;
      }
      try {
        await this.spawn(n);
      } finally {
        n.starting = false;
        this.views = null; // observe the cluster afresh with the node back
      }
    });
  }

  pause(name: string): void {
    const n = this.node(name);
    n.child?.kill('SIGSTOP');
    n.stopped = true;
    n.state = 'paused';
    this.record({ type: 'fault.pause', node: name });
  }

  unpause(name: string): void {
    const n = this.node(name);
    if (n.state !== 'paused') return;
    n.child?.kill('SIGCONT');
    n.stopped = false;
    n.state = 'up';
    this.record({ type: 'fault.unpause', node: name });
  }

  skew(name: string, ms: number): void {
    this.note(`skew ${name} ${ms} ms: skipped (no live equivalent without changing the machine's clock)`);
    this.record({ type: 'fault.skipped', fault: 'skew', node: name, ms });
  }

  drift(name: string, rate: number): void {
    this.note(`drift ${name} ${rate}: skipped (no live equivalent)`);
    this.record({ type: 'fault.skipped', fault: 'drift', node: name, rate });
  }

  private node(name: string): LiveNode {
    const n = this.brokers.get(name);
    if (!n) throw new Error(`no broker ${name}`);
    return n;
  }

  // ---- time ------------------------------------------------------------------

  private async settle(): Promise<void> {
    await this.setup;
    if (this.setupError) throw this.setupError;
  }

  /** Waits `ms` of virtual time (scaled; capped at maxQuietMs of wall time, the clock jumping the rest). */
  async sleep(ms: number): Promise<void> {
    const target = this.now + ms;
    await this.settle();
    let wall = (target - this.now) * this.timeScale;
    if (wall > this.opts.maxQuietMs) {
      this.skipped += (wall - this.opts.maxQuietMs) / this.timeScale;
      wall = this.opts.maxQuietMs;
    }
    if (wall > 0) await new Promise((r) => setTimeout(r, wall));
    if ((this.wantViews || this.status.active) && performance.now() - this.lastRefresh > 500)
      await this.refresh();
  }

  /** Polls `pred` (over fresh node and balancer snapshots) until it holds or `timeoutMs` of virtual time passes. */
  async until(pred: () => boolean, opts: { timeoutMs: number; label?: string }): Promise<boolean> {
    await this.settle();
    const end = performance.now() + opts.timeoutMs * this.timeScale;
    for (;;) {
      await this.refresh();
      if (pred()) return true;
      if (performance.now() > end) return false;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  step(): boolean {
    throw new LiveUnsupported('w.step(): there are no discrete events in a live run');
  }

  async run<T>(script: (w: LiveWorld) => Promise<T>): Promise<T> {
    return script(this);
  }

  /** Stops clients, the balancer, the proxy and every node (SIGKILL; a stopped process gets SIGCONT first). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.lbPoll) clearInterval(this.lbPoll);
    for (const n of this.brokers.values()) n.events?.close();
    await Promise.all([...this.clients.values(), ...this.extras].map((c) => c.close().catch(() => {})));
    await Promise.all([...this.balancers.values()].map((b) => b.proc.stop()));
    for (const n of this.brokers.values()) {
      const c = n.child;
      if (!c || c.exitCode !== null || c.signalCode !== null) continue;
      c.kill('SIGKILL');
    }
    await Promise.all(
      [...this.brokers.values()].map((n) =>
        Promise.race([n.exited, new Promise((r) => setTimeout(r, 3000))]),
      ),
    );
    await this.proxy.close();
    if (!this.opts.keepDir && !this.opts.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Kills every child synchronously (process exit handler). */
  killAll(): void {
    for (const n of this.brokers.values()) if (n.child && n.child.exitCode === null) n.child.kill('SIGKILL');
    for (const b of this.balancers.values()) b.proc.kill();
  }
}
