// Swarm testing: fast-check draws the workload as well as the faults, so
// each generated schedule exercises a different mix of features: 2-5
// nodes, clients behind a balancer or connecting directly, clean and
// persistent sessions, v3.1.1 and v5, QoS 0/1/2 subscriptions and
// publishes, session expiry, shared subscriptions, subscriptions made
// during the faults, retained messages superseded, wills with and without
// a delay, client-id collisions (a fresh id or one with a session, two
// connects to two nodes 0-5 ms apart), ack mode replicated or (opt-in)
// local. The run is judged by checkSafety on the history plus what this
// workload implies (which subscribers are owed every message, who must or
// must not see a will, which retained message must be read back).

import fc from 'fast-check';
import type { ClientOptions } from './client.ts';
import { checkOrder, checkSafety, type Expectation, type Violation } from './checkers.ts';
import { convergenceProblems } from './convergence.ts';
import { connAt, faultsOf, keyOf, timelineOf, type FaultWindow } from './checkers/common.ts';
import { FaultPlayer, foldFault, type Fault } from './faults.ts';
import type { ScenarioClient, ScenarioWorld } from './scenario-world.ts';
import { idOf, is, type At, type Ev, type PubOkEvent } from './events.ts';
import type { QoS } from '../core/message.ts';
import type { ClusterConfig } from '../core/cluster/cluster.ts';
import { matches } from '../core/topic.ts';

/** Node choices are indexes folded onto the node count at play time, so the workload shrinks independently of it. */
export interface SubSpec {
  node: number;
  version: 4 | 5;
  clean: boolean;
  /** v5 Session Expiry Interval of a persistent session, seconds. */
  expiry: number;
  qos: QoS;
  /** Shared subscription group, or none. */
  group: 'g1' | 'g2' | null;
}
export interface PubSpec {
  node: number;
  version: 4 | 5;
  qos: QoS;
}
/** One client id connecting on two nodes `gapMs` apart; `existing`: the id already has a live connection and session. */
export interface Collision {
  at: number;
  existing: boolean;
  nodes: [number, number];
  gapMs: number;
  version: 4 | 5;
  clean: boolean;
}
/** A subscription (to `u/#`) made during the faults by subscriber `sub`. */
export interface LateSub {
  at: number;
  sub: number;
}
/** A retained message set on `r/<topic>` (superseding the previous one). */
export interface RetainOp {
  at: number;
  topic: number;
}
/** A client with a will; at `at` it dies (kill) or disconnects cleanly, and comes back `backAfter` ms later (or never). */
export interface WillSpec {
  node: number;
  version: 4 | 5;
  clean: boolean;
  /** v5 Will Delay Interval, seconds (0: none). */
  delay: number;
  /** v5 Session Expiry Interval, seconds. */
  expiry: number;
  at: number;
  end: 'kill' | 'disconnect';
  backAfter: number | null;
}
export interface Workload {
  nodes: number;
  balancer: boolean;
  ackMode: 'replicated' | 'local';
  subs: SubSpec[];
  pubs: PubSpec[];
  collisions: Collision[];
  lateSubs: LateSub[];
  retained: RetainOp[];
  wills: WillSpec[];
}

const at = fc.integer({ min: 0, max: 60_000 });
const node = fc.nat({ max: 4 });
const qos = fc.constantFrom<QoS>(1, 2, 0);
const version = fc.constantFrom<4 | 5>(5, 4);

export function workloadArb(opts: { ackModes?: ('replicated' | 'local')[] } = {}): fc.Arbitrary<Workload> {
  return fc.record({
    nodes: fc.integer({ min: 2, max: 5 }),
    balancer: fc.boolean(),
    ackMode: fc.constantFrom(...(opts.ackModes ?? ['replicated' as const])),
    subs: fc.array(
      fc.record({
        node,
        version,
        clean: fc.boolean(),
        expiry: fc.constantFrom(86_400, 20, 0),
        qos,
        group: fc.constantFrom(null, null, 'g1' as const, 'g2' as const),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    pubs: fc.array(fc.record({ node, version, qos }), { minLength: 1, maxLength: 3 }),
    collisions: fc.array(
      fc.record({
        at,
        existing: fc.boolean(),
        nodes: fc.tuple(node, node),
        gapMs: fc.integer({ min: 0, max: 5 }),
        version,
        clean: fc.boolean(),
      }),
      { maxLength: 2 },
    ),
    lateSubs: fc.array(fc.record({ at, sub: fc.nat({ max: 3 }) }), { maxLength: 2 }),
    retained: fc.array(fc.record({ at, topic: fc.nat({ max: 1 }) }), { maxLength: 4 }),
    wills: fc.array(
      fc.record({
        node,
        version,
        clean: fc.boolean(),
        delay: fc.constantFrom(0, 3, 10),
        expiry: fc.constantFrom(86_400, 5, 0),
        at,
        end: fc.constantFrom('kill' as const, 'disconnect' as const),
        backAfter: fc.constantFrom(null, 1000, 8000),
      }),
      { maxLength: 2 },
    ),
  });
}

/** What the explorer needs of a client: the scenario world's. */
export type SwarmClient = ScenarioClient;

export interface SwarmOptions {
  cluster?: Partial<ClusterConfig>;
  /**
   * Whether a partition also cuts the clients of the nodes on each side
   * (default true). Live runs cannot cut client links (they are not
   * proxied), so a differential run sets false on both sides.
   */
  cutClients?: boolean;
}

export interface SwarmResult {
  violations: Violation[];
  convergence: string[];
  events: number;
  parked: number;
  /** Losses inside the documented availability window (acknowledged while cut off, then the node crashed). */
  splitLoss: number;
}

const ALWAYS = 86_400;

/** A subscriber owed every acknowledged message: its session outlives the run and it asked for QoS 1 or 2. */
function owed(s: { clean: boolean; version: 4 | 5; expiry: number; qos: QoS }): boolean {
  return !s.clean && (s.version === 4 || s.expiry >= ALWAYS) && s.qos > 0;
}

/**
 * Plays a generated workload with a fault schedule inside a running world
 * (the simulator's or a live one); returns what broke.
 */
export async function playSwarm(
  w: ScenarioWorld,
  wl: Workload,
  faults: Fault[],
  opts: SwarmOptions = {},
): Promise<SwarmResult> {
  const names = Array.from({ length: wl.nodes }, (_, i) => `n${i + 1}`);
  const at = (i: number) => names[i % names.length];
  w.addCluster(names, {
    broker: { limits: { maxQueuedMessages: 100_000 } as never },
    cluster: { ackMode: wl.ackMode, ...opts.cluster },
  });
  if (wl.balancer)
    w.addLoadBalancer('lb', {
      backends: names,
      mode: 'round-robin',
      checkIntervalMs: 1000,
      rise: 2,
      fall: 2,
    });
  const target = (i: number) => (wl.balancer ? 'lb' : [at(i), ...names.filter((n) => n !== at(i))]);
  const home = new Map<string, string>();
  const reconnect = { minMs: 500, maxMs: 4000 };
  const mk = (id: string, i: number, o: Omit<ClientOptions, 'target'>) => {
    home.set(id, at(i));
    return w.client(id, { target: target(i), keepalive: 10, reconnect, ...o });
  };
  const persistent = (s: { version: 4 | 5; clean: boolean; expiry: number }) =>
    s.version === 5 && !s.clean ? { sessionExpiry: s.expiry } : {};
  const filterOf = (s: SubSpec) => (s.group ? `$share/${s.group}/t/#` : 't/#');
  const subs = wl.subs.map((s, i) =>
    mk(`s${i}`, s.node, {
      version: s.version,
      clean: s.clean,
      ...persistent(s),
      subscriptions: [{ filter: filterOf(s), qos: s.qos }],
    }),
  );
  const pubs = wl.pubs.map((p, i) => mk(`p${i}`, p.node, { version: p.version }));
  const retainer = wl.retained.length ? mk('r0', 0, { version: 5 }) : null;
  const watcher = wl.wills.length
    ? mk('ww', 0, {
        version: 5,
        clean: false,
        sessionExpiry: ALWAYS,
        subscriptions: [{ filter: 'w/#', qos: 1 }],
      })
    : null;
  const willers = wl.wills.map((s, i) =>
    mk(`w${i}`, s.node, {
      version: s.version,
      clean: s.clean,
      ...persistent(s),
      reconnect: false,
      will: {
        topic: `w/w${i}`,
        payload: `w${i}-will`,
        qos: 1,
        ...(s.version === 5 && s.delay ? { delay: s.delay } : {}),
      },
    }),
  );
  // A second client with an id already in use (a collision): the world's client() keeps one per id.
  const extra = (id: string, o: ClientOptions) => w.extraClient(id, o);
  // Collision ids: instance 0 holds the id (existing) or is absent (fresh); instances 1 and 2 race.
  const racers = wl.collisions.map((c, k) => {
    const id = `c${k}`;
    home.set(id, at(c.nodes[0]));
    const o = {
      version: c.version,
      clean: c.clean,
      ...persistent({ ...c, expiry: ALWAYS }),
      keepalive: 10,
      reconnect: false as const,
      subscriptions: [{ filter: 't/#', qos: 1 as QoS }],
    };
    const inst = (j: number, node: number) =>
      extra(id, { ...o, target: wl.balancer ? 'lb' : at(node), host: `${id}-${j}`, autoConnect: false });
    const all = [inst(0, c.nodes[0]), inst(1, c.nodes[0]), inst(2, c.nodes[1])];
    if (c.existing) all[0].connect();
    return all;
  });
  const setupClients = () => [
    ...subs,
    ...pubs,
    ...willers,
    ...(retainer ? [retainer] : []),
    ...(watcher ? [watcher] : []),
    ...racers.filter((_, k) => wl.collisions[k].existing).map((r) => r[0]),
  ];
  const converged = () => convergenceProblems(w).length === 0;
  await w.until(() => converged() && setupClients().every((c) => c.connected), { timeoutMs: 30_000 });
  const from = w.now + 1000;
  await w.sleep(1000);

  // Hosts cut with a node: the node and the clients that connect to it directly.
  const cutClients = !wl.balancer && opts.cutClients !== false;
  const side = (ns: string[]) => [
    ...ns,
    ...(cutClients ? [...home].filter(([, n]) => ns.includes(n)).map(([c]) => c) : []),
  ];
  const folded = faults.map((f) => foldFault(f, wl.nodes)).filter((f): f is Fault => f !== null);
  const player = new FaultPlayer(w, folded, side, names);
  const ops: { at: number; run: () => void | Promise<void> }[] = [
    ...wl.collisions.map((c, k) => ({ at: c.at, run: () => race(k) })),
    ...wl.lateSubs.map((l) => ({ at: l.at, run: () => lateSub(l) })),
    ...wl.retained.map((r) => ({
      at: r.at,
      run: () => void retainer!.publish(`r/${r.topic}`, 1, { retain: true }),
    })),
    ...wl.wills.map((s, i) => ({ at: s.at, run: () => endWiller(s, i) })),
  ].sort((a, b) => a.at - b.at);
  /** `split`: made while links were cut (partition) or held (clog); owed what others publish once they flow. */
  const lateFrom: { client: string; invokedAt: number; split: 'fault.heal' | 'fault.unclog' | null }[] = [];
  const lateSub = (l: LateSub) => {
    const c = subs[l.sub % subs.length];
    if (!c.connected) return; // a subscribe while offline is only sent with a new session
    c.subscribe('u/#', 1);
    const split = player.partitioned ? 'fault.heal' : player.clogged ? 'fault.unclog' : null;
    lateFrom.push({ client: c.id, invokedAt: w.now, split });
  };
  const willEnds: { i: number; at: number; back: number | null; calm: boolean }[] = [];
  const endWiller = (s: WillSpec, i: number) => {
    const c = willers[i];
    if (!c.connected) return; // gone already (its node crashed): the will is not judged
    if (s.end === 'kill') c.kill();
    else c.disconnect();
    willEnds.push({
      i,
      at: w.now,
      back: s.backAfter === null ? null : w.now + s.backAfter,
      calm: player.calm,
    });
  };
  const race = async (k: number) => {
    const [, b, c] = racers[k];
    b.connect();
    if (wl.collisions[k].gapMs) await w.sleep(wl.collisions[k].gapMs);
    c.connect();
  };

  for (let t = 0; t <= 70_000; t += 500) {
    player.tick(t);
    while (ops.length && ops[0].at <= t) await ops.shift()!.run();
    for (const e of willEnds)
      if (e.back !== null && e.back <= w.now) (willers[e.i].connect(), (e.back = null));
    if (t % 1000 === 0) for (const p of pubs) p.publish(`t/${p.id}`, wl.pubs[pubs.indexOf(p)].qos);
    if (t % 2000 === 0 && wl.lateSubs.length)
      for (const p of pubs) p.publish(`u/${p.id}`, wl.pubs[pubs.indexOf(p)].qos);
    await w.sleep(500);
  }
  for (const e of willEnds) if (e.back !== null) (willers[e.i].connect(), (e.back = null));
  player.healAll(names);
  const healAt = w.now;
  // A persistent collision id with nobody connected at the end gets one instance back, to drain its session.
  for (const r of racers) if (!r.some((c) => c.connected)) r[1].connect();
  const steady = [...subs, ...pubs, ...(retainer ? [retainer] : []), ...(watcher ? [watcher] : [])];
  await w.until(
    () => converged() && steady.every((c) => c.connected) && racers.every((r) => r.some((c) => c.connected)),
    { timeoutMs: 300_000 },
  );
  await w.sleep(60_000);

  // Retained messages read back on every node after convergence.
  const readers = wl.retained.length
    ? names.map((n) =>
        w.client(`rr-${n}`, {
          target: n,
          version: 5,
          keepalive: 10,
          subscriptions: [{ filter: 'r/#', qos: 1 }],
        }),
      )
    : [];
  if (readers.length) {
    const subscribed = () =>
      readers.every((c) => w.history.events.some((e) => e.type === 'sub.ok' && e.c === c.id));
    await w.until(() => readers.every((c) => c.connected) && subscribed(), { timeoutMs: 30_000 });
    await w.sleep(5000);
  }

  const ev = w.history.events;
  // After a whole-cluster outage a subscriber is owed what is published once it subscribed again.
  const wiped = player.wipedAt;
  // Owed from its first SUBACK (a live SUBACK can come after `from` on a loaded machine).
  const subOk = (client: string, after: number) =>
    ev.find((e) => e.type === 'sub.ok' && e.c === client && e.t > after)?.t ?? Infinity;
  const since = (client: string) =>
    Math.max(from, subOk(client, Math.max(wiped ?? -Infinity, lostAlone(ev, client))));
  const expect: Expectation[] = [];
  wl.subs.forEach((s, i) => {
    if (owed(s) && !s.group) expect.push({ client: subs[i].id, filter: 't/#', from: since(subs[i].id) });
  });
  for (const l of lateFrom) {
    const s = wl.subs[Number(l.client.slice(1))];
    const ok = ev.find((e) => e.type === 'sub.ok' && e.c === l.client && e.t >= l.invokedAt);
    // README, Guarantees: a subscription made during a split misses what the other side publishes before the heal.
    // A clogged link is a split no one detects: the route goes when it flows again.
    // Acknowledged by a node that heard no peer and crashed before it did again: lost with it (ackedAlone).
    if (ok && ackedAlone(ev, l.client, ok.t, l.invokedAt)) continue;
    // Every copy of its session lost since (lostAlone): the subscription went with them, and is not made again.
    if (ok && lostAlone(ev, l.client) > ok.t) continue;
    const heal = l.split ? ev.find((e) => e.type === l.split && e.t > l.invokedAt) : ok;
    if (ok && heal && owed({ ...s, qos: 1 }) && (wiped === null || ok.t > wiped))
      expect.push({
        client: l.client,
        filter: 'u/#',
        from: Math.max(ok.t, heal.t, routeBack(ev, l.client, ok.t, heal.t)),
      });
  }
  wl.collisions.forEach((c, k) => {
    // An id that held its session through the run: the existing instance subscribed at the start.
    if (c.existing && owed({ ...c, expiry: ALWAYS, qos: 1 }))
      expect.push({ client: `c${k}`, filter: 't/#', from: since(`c${k}`) });
  });
  // No order promise: to a share group's member, or across two live connections of one clean collision id.
  const unordered = new Set([
    ...wl.subs.map((s, i) => (s.group ? subs[i].id : '')),
    ...wl.collisions.map((c, k) => (c.clean ? `c${k}` : '')),
  ]);
  const parked: Ev[] = [];
  const atRisk = ackedCutOffThenCrashed(ev);
  // A retained write inside that window is the same: lost with its node, an older value is the last one held.
  const excused = (v: Violation) =>
    ((v.property === 'no-acked-loss' || v.property === 'shared-no-acked-loss') &&
      atRisk.has(idOf(v.excerpt[0]) ?? '')) ||
    (v.property === 'retained-reads' && atRisk.has(idOf(v.excerpt[1]) ?? ''));
  const safety = [
    ...checkSafety(ev, expect).filter((v) => v.property !== 'order'),
    ...sharedLoss(ev, wl, (ids) => Math.min(...ids.map(since))),
  ];
  // README, Guarantees: QoS 2 is exactly once while nodes stay up; a crash between the two deliveries is the stated limit.
  const crashes = ev.filter((e) => e.type === 'fault.crash').map((e) => e.t);
  const crashedBetween = (v: Violation) =>
    v.property === 'qos2-exactly-once' && crashes.some((t) => t >= v.excerpt[0].t && t <= v.excerpt[1].t);
  const violations = [
    ...safety.filter(
      (v) =>
        !excused(v) &&
        !crashedBetween(v) &&
        !player.wipes.some((at) => willLostInWipe(ev, v, at)) &&
        !willAlone(ev, v) &&
        !willCopiesLost(ev, v),
    ),
    // Order: parked messages after a heal are the documented exception.
    ...checkOrder(ev, { parkedUntil: healAt, parked }).filter(
      (v) => !unordered.has(v.excerpt[1]?.type === 'deliver' ? v.excerpt[1].c : ''),
    ),
    ...singleConnection(racers),
    ...willVerdicts(
      ev,
      wl,
      willEnds.filter((e) => wiped === null || wiped < e.at - 15_000),
    ),
    ...retainedReadBack(
      ev,
      readers.map((r) => r.id),
      wiped ?? -Infinity,
      new Set([...atRisk, ...retainedCopiesLost(ev)]),
    ),
  ];
  // Read afresh (a live world observes nodes through their admin API): the readers added routes.
  const convergence = (await w.until(converged, { timeoutMs: 30_000 })) ? [] : convergenceProblems(w);
  return {
    violations,
    convergence,
    events: w.sim?.eventsProcessed ?? w.history.count,
    parked: parked.length,
    splitLoss: safety.filter(excused).length,
  };
}

/**
 * The documented availability window (README, Guarantees): peers a node
 * has declared down do not hold its acknowledgements back, so a message it
 * acknowledged then lives on that node only until the peers are back; if
 * the node crashes first, the message is gone. Message ids acknowledged
 * (pub.ok, with the acknowledging node) while that node had a peer down,
 * the node crashing before it saw every peer again.
 */
function ackedCutOffThenCrashed(ev: Ev[]): Set<string> {
  const down = new Map<string, Set<string>>();
  const risky = new Map<string, string[]>();
  const out = new Set<string>();
  // A node's last crash while it had a peer down: an acknowledgement it sent just before arrives after it.
  const crashedCutOff = new Map<string, number>();
  const tl = timelineOf(ev);
  const sentBefore = (e: At<PubOkEvent>): boolean => {
    const at = e.node ? crashedCutOff.get(e.node) : undefined;
    const conn = at === undefined ? undefined : connAt(tl, e.c, keyOf(e), e.t);
    return !!conn && conn.node === e.node && conn.connackAt < at!;
  };
  for (const e of ev) {
    if (e.type === 'pub.ok' && sentBefore(e)) {
      out.add(e.id);
      continue;
    }
    if (e.type === 'cluster.peer.down' || e.type === 'cluster.peer.up') {
      const d = down.get(e.node) ?? new Set<string>();
      if (e.type === 'cluster.peer.down') d.add(String(e.peer));
      else d.delete(String(e.peer));
      down.set(e.node, d);
      if (!d.size) risky.delete(e.node);
    } else if (e.type === 'pub.ok' && e.node && down.get(e.node)?.size) {
      const l = risky.get(e.node) ?? [];
      l.push(e.id);
      risky.set(e.node, l);
    } else if (e.type === 'fault.crash' || e.type === 'node.start') {
      if (e.type === 'fault.crash' && down.get(e.node)?.size) crashedCutOff.set(e.node, e.t);
      for (const id of risky.get(e.node) ?? []) if (e.type === 'fault.crash') out.add(id);
      risky.delete(e.node);
      down.delete(e.node);
    }
  }
  return out;
}

/**
 * A missing will the whole-cluster outage at `wiped` took with it (docs/guarantees.md): cluster nodes
 * keep no disk, so with every node down no one holds the session or its will. Only for a connection
 * the outage ended (or that ended before it) whose will was not yet due and noticed when it came
 * (a connection whose node crashed ended then, though the client noticed later).
 */
function willLostInWipe(ev: Ev[], v: Violation, wiped: number): boolean {
  if (v.property !== 'will-iff' || !v.detail.includes(': no will for ')) return false;
  const tl = timelineOf(ev);
  const conn = [...tl.conns.values()].flat().find((x) => x.connack === v.excerpt[0]);
  const cfg = conn && tl.clients.get(conn.key);
  if (!conn || !cfg?.will) return false;
  // A power crash leaves the client's end open until it notices: the server lost the connection at the crash.
  const crash = ev.find(
    (e) => e.type === 'fault.crash' && e.node === conn.node && e.t >= conn.connackAt && e.t <= conn.endAt,
  );
  const lostAt = crash?.t ?? conn.endAt;
  if (lostAt > wiped) return false;
  let downAfter = 0;
  for (const n of tl.nodes.values()) downAfter = Math.max(downAfter, n.downAfterMs ?? 0);
  const dueMs = Math.min(cfg.will.delay, cfg.clean && cfg.version < 5 ? 0 : cfg.expiry) * 1000;
  return lostAt + dueMs + Math.max(2 * cfg.keepalive * 1000, downAfter) > wiped;
}

/**
 * A missing will set on a node that could send to no peer from the CONNACK until it crashed (cut off, every
 * peer paused or down, or each down in its own view: woken from a pause, its links not back yet): nothing could replicate it, so it was lost with the node, as a subscription
 * acknowledged alone is (ackedAlone; docs/guarantees.md, Wills).
 */
export function willAlone(ev: Ev[], v: Violation): boolean {
  if (v.property !== 'will-iff' || !v.detail.includes(': no will for ')) return false;
  const tl = timelineOf(ev);
  const conn = [...tl.conns.values()].flat().find((x) => x.connack === v.excerpt[0]);
  const node = conn?.node;
  if (!conn || !node) return false;
  const crash = ev.find(
    (e) => e.type === 'fault.crash' && e.node === node && e.t >= conn.connackAt && e.t <= conn.endAt,
  );
  if (!crash) return false;
  const faults = faultsOf(ev);
  const blocks = (f: FaultWindow, p: string) =>
    f.kind === 'pause' || f.kind === 'crash'
      ? f.a[0] === p
      : (f.kind === 'partition' || f.kind === 'clog') &&
        ((f.a.includes(node) && f.b.includes(p)) || (!f.oneWay && f.a.includes(p) && f.b.includes(node)));
  // Each peer out of reach throughout: by faults, or down in the node's own view (its link not back after a
  // pause or a heal: the will's frame waits in the reliable channel and dies with the node).
  return [...tl.nodes.keys()]
    .filter((p) => p !== node)
    .every((p) =>
      covers(
        [
          ...faults.filter((f) => blocks(f, p)).map((f): [number, number] => [f.from, f.to]),
          ...downInViewOf(ev, node, p),
        ],
        conn.connackAt,
        crash.t,
      ),
    );
}

/**
 * A missing will lost with every copy of its session, one after the other (lostAlone's bound; docs/guarantees.md,
 * Wills): the connection's node crashed under it, and each peer that held the will's replica (linked to that node
 * at some point from the CONNACK) had crashed since its last link to it, a cut keeping the restarted peer from
 * getting it again. No node held the will any more (`explored-kill-will-missing`).
 */
export function willCopiesLost(ev: Ev[], v: Violation): boolean {
  if (v.property !== 'will-iff' || !v.detail.includes(': no will for ')) return false;
  const conn = [...timelineOf(ev).conns.values()].flat().find((x) => x.connack === v.excerpt[0]);
  if (!conn?.node) return false;
  const node = conn.node;
  const crash = ev.find(
    (e) => e.type === 'fault.crash' && e.node === node && e.t >= conn.connackAt && e.t <= conn.endAt,
  );
  return !!crash && replicasLost(ev, node, conn.connackAt, crash.t);
}

/** The spans in which `node` held `peer` down (from its start or a peer.down until the next peer.up). */
function downInViewOf(ev: Ev[], node: string, peer: string): [number, number][] {
  const out: [number, number][] = [];
  let since: number | null = null;
  for (const e of ev) {
    if (e.type === 'node.start' && e.node === node) since ??= e.t;
    else if (e.type === 'cluster.peer.down' && e.node === node && String(e.peer) === peer) since ??= e.t;
    else if (e.type === 'cluster.peer.up' && e.node === node && String(e.peer) === peer && since !== null) {
      out.push([since, e.t]);
      since = null;
    }
  }
  if (since !== null) out.push([since, Infinity]);
  return out;
}

/** Whether the union of `spans` covers [from, to]. */
function covers(spans: [number, number][], from: number, to: number): boolean {
  let reached = from;
  for (const [a, b] of [...spans].sort((x, y) => x[0] - y[0])) {
    if (a > reached) break;
    reached = Math.max(reached, b);
    if (reached >= to) return true;
  }
  return reached >= to;
}

/** Acknowledged QoS 1/2 messages each owed share group (all members owed) must reach one member. */
function sharedLoss(ev: Ev[], wl: Workload, since: (members: string[]) => number): Violation[] {
  const out: Violation[] = [];
  for (const g of ['g1', 'g2'] as const) {
    const members = wl.subs.map((s, i) => ({ s, id: `s${i}` })).filter((m) => m.s.group === g);
    if (!members.length || !members.every((m) => owed(m.s))) continue;
    const ids = new Set(members.map((m) => m.id));
    const from = since([...ids]);
    const got = new Set(
      ev
        .filter(is('deliver'))
        .filter((e) => ids.has(e.c) && !e.retain)
        .map((e) => e.id),
    );
    const inv = new Map(ev.filter(is('pub.invoke')).map((e) => [e.id, e]));
    for (const ok of ev) {
      if (ok.type !== 'pub.ok') continue;
      const i = inv.get(ok.id);
      if (!i || i.qos === 0 || i.t < from || !matches('t/#', i.topic) || got.has(i.id)) continue;
      out.push({
        property: 'shared-no-acked-loss',
        detail: `${i.id} acknowledged at ${ok.t.toFixed(1)} ms reached no member of ${g} (${[...ids].join(',')})`,
        excerpt: [i, ok],
      });
    }
  }
  return out;
}

/**
 * When the client's session was last lost with every copy of it: its node crashed, and each peer that held a
 * replica (linked to that node since the session was made there) had crashed since it last linked to it (a
 * cut kept it from getting the replica again); the client came back without it (session present 0). Without
 * data dirs that is a whole-cluster outage for this session (docs/guarantees.md): nothing from before is owed.
 * -Infinity if never.
 */
function lostAlone(ev: Ev[], client: string): number {
  let at = -Infinity;
  const acks = ev.filter(is('client.connack')).filter((x) => x.c === client && x.rc === 0);
  acks.forEach((k, i) => {
    const next = acks[i + 1];
    if (!next || next.present || !k.node) return;
    const crash = ev.find((e) => e.type === 'fault.crash' && e.node === k.node && e.t > k.t && e.t < next.t);
    if (!crash) return;
    if (replicasLost(ev, k.node, k.t, crash.t)) at = crash.t;
    else at = Math.max(at, copiesLost(ev, k.node, k.t, crash.t, next.t));
  });
  return at;
}

/**
 * The other order of the same loss: `node` crashed at `crash` while peers held replicas; each of them failed the
 * session over and then crashed too before `until`, its copy having reached no peer that outlived it (a cut kept
 * the restarted `node` from getting it). When the last copy went; -Infinity if one survived.
 */
function copiesLost(ev: Ev[], node: string, from: number, crash: number, until: number): number {
  let last = -Infinity;
  for (const [p, linked] of replicaHolders(ev, node, from, crash)) {
    if (crashedIn(ev, p, linked, crash)) continue;
    const f = ev.find(
      (e) => e.type === 'cluster.failover' && e.node === p && e.from === node && e.t >= crash,
    );
    const c = f && ev.find((e) => e.type === 'fault.crash' && e.node === p && e.t > f.t && e.t < until);
    if (!f || !c || !replicasLost(ev, p, f.t, c.t)) return -Infinity;
    last = Math.max(last, c.t);
  }
  return last;
}

/** The node of `client`'s last accepted CONNACK at or before `t` (where what it did then was acknowledged). */
function ackNode(ev: Ev[], client: string, t: number): string | null | undefined {
  return ev
    .filter(is('client.connack'))
    .filter((x) => x.c === client && x.t <= t && x.rc === 0)
    .pop()?.node;
}

/**
 * A subscription made during a cut whose node crashed before the cut ended: the announcement the cut held
 * died with the node, and the route comes back only when a backup restores the session (its failover).
 */
function routeBack(ev: Ev[], client: string, okAt: number, healAt: number): number {
  const node = ackNode(ev, client, okAt);
  const crash = ev.find((e) => e.type === 'fault.crash' && e.node === node && e.t >= okAt && e.t <= healAt);
  if (!crash) return -Infinity;
  const back = ev.find((e) => e.type === 'cluster.failover' && e.from === node && e.t >= crash.t);
  return back?.t ?? -Infinity;
}

/**
 * Whether `client`'s SUBACK at `t` came from a node that could send to no peer then and crashed before it linked
 * to one again: nothing could replicate the new subscription (a SUBACK does not wait for peers), so it was lost
 * with the node, as a publish acknowledged alone in ack mode 'replicated' is (docs/guarantees.md). No peer: each
 * one the node took for lost (a pause or a cut), or a cut from it (partition or clog) held from the SUBSCRIBE
 * (`invokedAt`) until the crash though the node had not noticed it yet (the will's bound alike: willAlone).
 */
function ackedAlone(ev: Ev[], client: string, t: number, invokedAt = t): boolean {
  const node = ackNode(ev, client, t);
  if (!node) return false;
  const up = new Set<string>();
  for (const e of ev) {
    if (e.t > t) break;
    if (e.type === 'node.start' && e.node === node) up.clear();
    else if (e.type === 'cluster.peer.up' && e.node === node) up.add(String(e.peer));
    else if (e.type === 'cluster.peer.down' && e.node === node) up.delete(String(e.peer));
  }
  const crash = ev.find((e) => e.type === 'fault.crash' && e.node === node && e.t > t);
  if (!crash || ev.some((e) => e.type === 'cluster.peer.up' && e.node === node && e.t > t && e.t < crash.t))
    return false;
  const faults = faultsOf(ev);
  const cut = (f: FaultWindow, p: string) =>
    (f.kind === 'partition' || f.kind === 'clog') &&
    ((f.a.includes(node) && f.b.includes(p)) || (!f.oneWay && f.a.includes(p) && f.b.includes(node)));
  return [...up].every((p) => faults.some((f) => f.from <= invokedAt && f.to >= crash.t && cut(f, p)));
}

/**
 * Whether no peer of `node` still held a replica at `to` of a session made there at `from`: each peer linked
 * to `node` (from its view) at some point in [from, to] crashed after its last link-up before `to`.
 */
function replicasLost(ev: Ev[], node: string, from: number, to: number): boolean {
  return [...replicaHolders(ev, node, from, to)].every(([p, t]) => crashedIn(ev, p, t, to));
}

/**
 * Retained writes every copy of which was lost one after the other, as a session's can be (lostAlone; docs/
 * guarantees.md): the acknowledging node crashed later, and so did each peer linked to it from the acknowledgement
 * on, with no link coming up at that peer between its copy and its crash (a resync there would have passed the
 * write on; swarm nodes keep no disk). An older value is then the last one held.
 */
export function retainedCopiesLost(ev: Ev[]): string[] {
  const retained = new Set(
    ev
      .filter(is('pub.invoke'))
      .filter((e) => e.retain)
      .map((e) => e.id),
  );
  const crashAfter = (node: string, t: number) =>
    ev.find((x) => x.type === 'fault.crash' && x.node === node && x.t >= t);
  const linkedIn = (node: string, from: number, to: number) =>
    ev.some(
      (x) =>
        x.type === 'cluster.peer.up' &&
        (x.node === node || String(x.peer) === node) &&
        x.t > from &&
        x.t < to,
    );
  const out: string[] = [];
  for (const e of ev.filter(is('pub.ok'))) {
    if (!retained.has(e.id) || !e.node) continue;
    const crash = crashAfter(e.node, e.t);
    if (!crash) continue;
    const held = [...replicaHolders(ev, e.node, e.t, crash.t)];
    const lost = held.every(([p, up]) => {
      const c = crashAfter(p, up);
      return !!c && !linkedIn(p, Math.max(e.t, up), c.t);
    });
    if (lost) out.push(e.id);
  }
  return out;
}

/** Whether `node` crashed in [from, to] (a replica it got at `from` died with it). */
function crashedIn(ev: Ev[], node: string, from: number, to: number): boolean {
  return ev.some((e) => e.type === 'fault.crash' && e.node === node && e.t >= from && e.t <= to);
}

/** The peers linked to `node` (from its view) at some point in [from, to], each with its last link-up before `to`. */
function replicaHolders(ev: Ev[], node: string, from: number, to: number): Map<string, number> {
  const up = new Map<string, number>(); // peer -> its last link-up, while up
  const held = new Map<string, number>(); // peers that held a replica -> their last link-up
  for (const e of ev) {
    if (e.t > to) break;
    if (e.type === 'node.start' && e.node === node) up.clear();
    else if (e.type === 'cluster.peer.up' && e.node === node) up.set(String(e.peer), e.t);
    else if (e.type === 'cluster.peer.down' && e.node === node) up.delete(String(e.peer));
    if (e.t >= from) for (const [p, t] of up) held.set(p, t);
  }
  for (const [p, t] of up) held.set(p, t);
  return held;
}

/** After settling, at most one instance of a client id is connected. */
function singleConnection(racers: SwarmClient[][]): Violation[] {
  return racers
    .filter((r) => r.filter((c) => c.connected).length > 1)
    .map((r) => ({
      property: 'single-connection',
      detail: `${r[0].id}: ${r.filter((c) => c.connected).length} instances connected after settling`,
      excerpt: [],
    }));
}

/**
 * Wills as the spec says: none after a clean DISCONNECT; one after a kill
 * unless a persistent v5 session came back within the delay (judged with a
 * second's margin; v3.1.1 and no delay: at once, whatever comes next).
 */
export function willVerdicts(
  ev: Ev[],
  wl: Workload,
  ends: { i: number; at: number; calm: boolean }[],
): Violation[] {
  const out: Violation[] = [];
  for (const e of ends) {
    const s = wl.wills[e.i];
    const id = `w${e.i}`;
    const back = ev.filter(is('client.connack')).find((x) => x.c === id && x.t > e.at && x.rc === 0);
    // Judged up to its return: a later fault may end the new connection and publish the will then. A peer cut
    // off from the return's node that took it for dead publishes the new connection's will (a split-will,
    // counted by checkWills): from then on a will is not told apart from this connection's.
    const own = back
      ? ev.find(
          (x) => x.type === 'cluster.will' && x.clientId === id && x.from === back.node && x.t >= back.t,
        )
      : undefined;
    const until = Math.min(back ? back.t + 1000 : Infinity, own?.t ?? Infinity);
    // A connection whose node crashed under it (power: the client noticed only later) ended at the crash.
    const conn = ev
      .filter(is('client.connack'))
      .filter((x) => x.c === id && x.t <= e.at && x.rc === 0)
      .pop();
    const crash = ev.find(
      (x) => x.type === 'fault.crash' && x.node === conn?.node && x.t >= conn.t && x.t <= e.at,
    );
    const ended = crash?.t ?? e.at;
    // A peer cut off from the connection's node took it for dead and published the will already while it was
    // live (split-will, counted by checkWills): that is this connection's will.
    const early = ev.some(
      (x) =>
        x.type === 'cluster.will' &&
        x.clientId === id &&
        x.from === conn?.node &&
        x.t >= conn.t &&
        x.t <= ended, // published in the same instant the connection ended: still while it was live
    );
    const all = ev.filter(
      (x) =>
        x.type === 'deliver' && x.c === 'ww' && x.topic === `w/${id}` && x.t >= (early ? conn!.t : ended),
    );
    const seen = all.filter((x) => x.t < until);
    // Under a fault the DISCONNECT or the return may never reach the node, which then rightly publishes the will.
    if (s.end === 'disconnect') {
      // A split-will published before the DISCONNECT may arrive after it (its forward held by the same cut);
      // a DISCONNECT into a connection whose node had crashed is no clean end (checkWills): the will is due.
      if (seen.length && e.calm && !early && !crash)
        out.push({
          property: 'will',
          detail: `${id}'s will published after its clean DISCONNECT at ${e.at.toFixed(1)} ms`,
          excerpt: seen.slice(0, 1),
        });
      continue;
    }
    const delayed = s.version === 5 && s.delay > 0;
    const window = Math.min(s.delay, s.expiry) * 1000;
    if (delayed && back && !s.clean && back.present && back.t < e.at + window - 1000) {
      // A split-will published while the connection was live is not this loss's (checkWills counts it).
      if (seen.length && e.calm && !early)
        out.push({
          property: 'will',
          detail: `${id}'s will published though it resumed its session ${(back.t - e.at).toFixed(0)} ms after the kill (delay ${s.delay} s)`,
          excerpt: [back, seen[0]],
        });
    } else if (!delayed || !back) {
      // Its node crashed under it after every peer holding the will's replica had (willCopiesLost): lost with them.
      if (!all.length && !(crash && conn?.node && replicasLost(ev, conn.node, conn.t, crash.t)))
        out.push({
          property: 'will',
          detail: `${id} killed at ${e.at.toFixed(1)} ms: its will never reached the watcher`,
          excerpt: [],
        });
    }
  }
  return out;
}

/** Every node returns the last acknowledged retained message per topic (or a newer one). */
function retainedReadBack(ev: Ev[], readers: string[], wiped: number, atRisk: Set<string>): Violation[] {
  if (!readers.length) return [];
  const out: Violation[] = [];
  const seq = (id: string) => Number(id.slice(id.indexOf(':') + 1));
  const lastAcked = new Map<string, number>();
  const inv = new Map(
    ev
      .filter(is('pub.invoke'))
      .filter((e) => e.retain)
      .map((e) => [e.id, e]),
  );
  for (const e of ev) {
    const i = e.type === 'pub.ok' && e.t > wiped && !atRisk.has(e.id) ? inv.get(e.id) : undefined;
    if (i) lastAcked.set(i.topic, Math.max(lastAcked.get(i.topic) ?? 0, seq(i.id)));
  }
  for (const r of readers) {
    const got = new Map(
      ev
        .filter(is('deliver'))
        .filter((e) => e.c === r && e.retain)
        .map((e) => [e.topic, seq(e.id)]),
    );
    for (const [topic, s] of lastAcked) {
      const g = got.get(topic);
      if (g === undefined || g < s)
        out.push({
          property: 'retained-read',
          detail: `${r} read ${g === undefined ? 'nothing' : `r0:${g}`} on ${topic}; last acknowledged r0:${s}`,
          excerpt: [],
        });
    }
  }
  return out;
}
