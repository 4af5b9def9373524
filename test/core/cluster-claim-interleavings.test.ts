// Issue 13, bugs 2 and 7, exhaustively: one client id connects to two nodes
// of a 2- or 3-node cluster, and every order in which the two CONNECTs and the
// peer frames they cause (claims, replicas, handoffs, route updates) can
// reach each node is tried. Frames between two nodes keep their order (TCP);
// deliveries at different nodes commute (a node's state depends only on what
// it received, in which order), so a schedule is identified by each node's
// own sequence of inputs and each distinct one is run once.
// After every schedule the cluster settles with time running; then exactly one
// connection of the id is live (on the brokers and as the clients see it) and,
// for a persistent session that had messages queued before the race, every one
// of them reached the client.
import { createHmac } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import seedrandom from 'seedrandom';
import { Broker } from '../../core/broker.ts';
import { Cluster, defaultClusterConfig } from '../../core/cluster/cluster.ts';
import type { ByteSink, Env, PeerDialHandler } from '../../core/env.ts';
import { ManualClock } from '../helpers/manual-env.ts';
import { TestClient, type Version } from '../helpers/core-client.ts';

interface Link {
  /** Bytes written per step, one unit per step that wrote any. */
  units: Buffer[];
  cur: Buffer[];
  sent: number;
  deliver: (b: Buffer) => void;
}

type Step = { kind: 'connect'; who: 0 | 1 } | { kind: 'deliver'; link: string };

interface Race {
  nodes: string[];
  /** Where the two connections of the id go. */
  targets: [string, string];
  clean: boolean;
  version: Version;
  /** Per-node clock offsets (ms): real nodes' clocks differ. */
  offsets: Record<string, number>;
  /** A persistent session of the id with this many acknowledged messages queued, on this node, before the race. */
  home?: { node: string; queued: number };
}

const ID = 'dev';

class Lab {
  clock = new ManualClock();
  brokers = new Map<string, Broker>();
  clusters = new Map<string, Cluster>();
  links = new Map<string, Link>();
  /** Each node's inputs so far: what identifies a schedule. */
  inputs = new Map<string, string[]>();
  clients: TestClient[] = [];
  private pendingDials: (() => void)[] = [];
  sent: string[] = [];

  constructor(readonly race: Race) {
    for (const n of race.nodes) {
      const rng = seedrandom(`lab/${n}`);
      const off = race.offsets[n] ?? 0;
      const env: Env = {
        clock: {
          now: () => this.clock.now() + off,
          setTimer: (ms, fn, arg) => this.clock.setTimer(ms, fn, arg),
        },
        random: { next: () => rng() },
        crypto: { hmacSha256: (k, d) => createHmac('sha256', k).update(d).digest('hex') },
        peers: {
          connect: (address, h) => this.pendingDials.push(() => this.dial(n, address.split(':')[0], h)),
        },
      };
      this.brokers.set(n, new Broker(env, { node: n, sysInterval: 0 }));
      this.inputs.set(n, []);
    }
    const seeds = race.nodes.map((n) => ({ node: n, address: `${n}:cluster` }));
    for (const [n, b] of this.brokers)
      this.clusters.set(n, new Cluster(b, { ...defaultClusterConfig(`${n}:cluster`), secret: 's', seeds }));
    this.run(20);
    for (const c of this.clusters.values())
      if (c.runningPeers().length !== race.nodes.length - 1)
        throw new Error(
          `cluster did not form: ${JSON.stringify(c.status())} links ${[...this.links.keys()]}`,
        );
    if (race.home) this.prepareHome(race.home.node, race.home.queued);
  }

  private sink(key: string): ByteSink {
    return { write: (b) => void this.link(key).cur.push(Buffer.from(b)), close: () => {} };
  }

  private link(key: string): Link {
    let l = this.links.get(key);
    if (!l) this.links.set(key, (l = { units: [], cur: [], sent: 0, deliver: () => {} }));
    return l;
  }

  private conns = 0;

  /** A peer connection: two links named `from>to#n` (both nodes dial at first; one connection per pair stays). */
  private dial(from: string, to: string, h: PeerDialHandler): void {
    const n = ++this.conns;
    const acc = this.clusters.get(to)!.acceptPeer(this.sink(`${to}>${from}#${n}`));
    this.link(`${from}>${to}#${n}`).deliver = (b) => acc.receive(b);
    this.link(`${to}>${from}#${n}`).deliver = (b) => h.data(b);
    h.open(this.sink(`${from}>${to}#${n}`));
  }

  /** Ends a step: what each node wrote to a peer during it becomes one unit on that link. */
  private flush(): void {
    for (const l of this.links.values()) {
      if (l.cur.length) l.units.push(Buffer.concat(l.cur));
      l.cur = [];
    }
  }

  /** Time runs for `ms`: every frame is delivered at once, timers fire, clients acknowledge. */
  run(ms: number): void {
    for (let t = 0; t < ms; t++) {
      for (let busy = true; busy;) {
        const dials = this.pendingDials.splice(0);
        for (const d of dials) d();
        this.flush();
        busy = dials.length > 0;
        for (const l of this.links.values()) {
          while (l.units.length) {
            l.deliver(l.units.shift()!);
            this.flush();
            busy = true;
          }
        }
        for (const c of this.clients) if (!c.closed) c.poll();
        this.flush();
      }
      this.clock.advance(1);
      this.flush();
    }
  }

  /** The id's persistent session on `node`, subscribed, offline, with `queued` acknowledged QoS 1 messages. */
  private prepareHome(node: string, queued: number): void {
    const b = this.brokers.get(node)!;
    const h = new TestClient(b, 5);
    h.connect(ID, { clean: false, properties: { sessionExpiryInterval: 3600 } });
    h.subscribe('dev/in/#', 1);
    this.run(20);
    h.send({ cmd: 'disconnect' });
    const p = new TestClient(b, 5);
    p.connect('pub', { clean: true });
    this.clients.push(p);
    for (let i = 0; i < queued; i++) {
      const pl = `m${i}`;
      p.publish('dev/in/x', pl, 1);
      this.sent.push(pl);
    }
    this.run(20);
    const acks = p.received.filter((x) => x.cmd === 'puback').length;
    if (acks !== queued) throw new Error(`only ${acks} of ${queued} publishes acknowledged`);
  }

  enabled(started: [boolean, boolean]): Step[] {
    const out: Step[] = [];
    if (!started[0]) out.push({ kind: 'connect', who: 0 });
    if (!started[1]) out.push({ kind: 'connect', who: 1 });
    for (const [k, l] of this.links) if (l.units.length) out.push({ kind: 'deliver', link: k });
    return out;
  }

  step(s: Step): void {
    if (s.kind === 'connect') {
      const node = this.race.targets[s.who];
      const c = new TestClient(this.brokers.get(node)!, this.race.version);
      const props = this.race.version === 5 && !this.race.clean ? { sessionExpiryInterval: 3600 } : undefined;
      c.connect(ID, { clean: this.race.clean, properties: props });
      this.clients.push(c);
      this.inputs.get(node)!.push(`c${s.who}`);
    } else {
      const l = this.links.get(s.link)!;
      const [from, to] = s.link.split('#')[0].split('>');
      l.deliver(l.units.shift()!);
      this.inputs.get(to)!.push(`${from}${l.sent++}`);
    }
    this.flush();
  }

  fingerprint(): string {
    return [...this.inputs].map(([n, xs]) => `${n}:${xs.join(',')}`).join('|');
  }
}

interface Outcome {
  schedules: number;
  states: number;
  failures: string[];
}

/** Depth-first over every distinct schedule; each state is reached by replaying its steps on a fresh cluster. */
function enumerate(race: Race, limit = 20_000): Outcome {
  const seen = new Set<string>();
  const out: Outcome = { schedules: 0, states: 0, failures: [] };
  const replay = (path: Step[]): { lab: Lab; started: [boolean, boolean] } => {
    const lab = new Lab(race);
    const started: [boolean, boolean] = [false, false];
    for (const s of path) {
      if (s.kind === 'connect') started[s.who] = true;
      lab.step(s);
    }
    return { lab, started };
  };
  const visit = (path: Step[], reuse?: { lab: Lab; started: [boolean, boolean] }): void => {
    if (out.states >= limit) throw new Error(`more than ${limit} states`);
    const { lab, started } = reuse ?? replay(path);
    const fp = lab.fingerprint();
    if (seen.has(fp)) return;
    seen.add(fp);
    out.states++;
    const next = lab.enabled(started);
    if (next.length === 0) {
      out.schedules++;
      const why = judge(lab);
      if (why && out.failures.length < 5)
        out.failures.push(
          `${why} after ${path.map((s) => (s.kind === 'connect' ? `connect${s.who}` : s.link)).join(' ')}`,
        );
      return;
    }
    // The last child continues on this cluster; the others replay their path on a fresh one.
    next.forEach((s, i) => {
      if (i < next.length - 1) return visit([...path, s]);
      if (s.kind === 'connect') started[s.who] = true;
      lab.step(s);
      visit([...path, s], { lab, started });
    });
  };
  visit([]);
  return out;
}

/** What is wrong once the cluster settled, or null. */
function judge(lab: Lab): string | null {
  lab.run(1000);
  const live = [...lab.brokers].filter(([, b]) => !!b.sessions.get(ID)?.conn).map(([n]) => n);
  const racers = lab.clients.slice(lab.race.home ? 1 : 0);
  const open = racers.filter((c) => !c.closed).length;
  if (live.length !== 1 || open !== 1)
    return `live on [${live.join(',')}], ${open} client connection(s) open`;
  const got = new Set<string>();
  for (const c of racers) for (const p of c.received) if (p.cmd === 'publish') got.add(String(p.payload));
  const missing = lab.sent.filter((m) => !got.has(m));
  if (missing.length) return `acknowledged ${missing.join(',')} never delivered`;
  return null;
}

function check(race: Race): Outcome {
  const o = enumerate(race);
  expect(o.failures).toEqual([]);
  expect(o.schedules).toBeGreaterThan(1);
  return o;
}

const versions: Version[] = [4, 5];
const skews: [string, Record<string, number>][] = [
  ['equal clocks', {}],
  ['first node ahead', { n1: 0.5 }],
  ['second node ahead', { n2: 0.5 }],
];

describe('a fresh client id connecting to two nodes, every delivery order', () => {
  for (const nodes of [
    ['n1', 'n2'],
    ['n1', 'n2', 'n3'],
  ]) {
    for (const clean of [false, true]) {
      for (const version of versions) {
        for (const [label, offsets] of skews) {
          it(
            `${nodes.length} nodes, ${clean ? 'clean' : 'persistent'}, v${version === 4 ? '3.1.1' : 5}, ${label}`,
            { timeout: 120_000 },
            () => {
              check({ nodes, targets: ['n1', 'n2'], clean, version, offsets });
            },
          );
        }
      }
    }
  }
});

describe('a persistent session with queued messages on n3, its id connecting to n1 and n2, every delivery order', () => {
  for (const [label, offsets] of [skews[0], skews[2]]) {
    it(
      `v5, ${label}: one live connection, every acknowledged message delivered`,
      { timeout: 120_000 },
      () => {
        const o = check({
          nodes: ['n1', 'n2', 'n3'],
          targets: ['n1', 'n2'],
          clean: false,
          version: 5,
          offsets,
          home: { node: 'n3', queued: 3 },
        });
        expect(o.states).toBeGreaterThan(o.schedules);
      },
    );
  }
});
