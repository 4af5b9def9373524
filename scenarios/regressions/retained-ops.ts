// Retained set/clear as a client does them, and retained reads after convergence, for the retained
// regressions. The simulated client (sim/client.ts) puts a message id in every payload, so it cannot
// send the empty payload that clears a retained message: RetainedWriter is a raw MQTT 5 client that can.
// Not a scenario (scenarios are the files directly in scenarios/ and scenarios/regressions/ that export one).
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { World } from '../../sim/world.ts';
import { simOnly, type ScenarioWorld } from '../../sim/scenario-world.ts';
import type { SimSocket, StreamEndpoint } from '../../sim/network.ts';
import type { Rng } from '../../sim/rng.ts';
import type { ScenarioContext } from '../../sim/scenario.ts';
import { convergenceProblems } from '../../sim/convergence.ts';

/** Sets and clears retained messages at QoS 1 on one node; records each operation ('retain.op') and its PUBACK ('retain.ack'). */
export class RetainedWriter implements StreamEndpoint {
  connected = false;
  readonly acked = new Set<string>();
  private sock: SimSocket | null = null;
  private parser = mqttPacket.parser({ protocolVersion: 5 });
  private pid = 0;
  private seq = 0;
  private waiting = new Map<number, string>();

  constructor(
    private w: World,
    readonly id: string,
    readonly node: string,
  ) {
    this.parser.on('packet', (p: Packet) => this.onPacket(p));
    w.dial(w.host(id, true), node, this, id);
  }

  onOpen(sock: SimSocket): void {
    this.sock = sock;
    sock.write(
      mqttPacket.generate(
        {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 5,
          clientId: this.id,
          clean: true,
          keepalive: 0,
        },
        { protocolVersion: 5 },
      ),
    );
  }

  onData(bytes: Buffer): void {
    this.parser.parse(bytes);
  }

  onClose(reason: string): void {
    this.connected = false;
    this.sock = null;
    this.w.record({ type: 'writer.closed', c: this.id, reason });
  }

  private onPacket(p: Packet): void {
    if (p.cmd === 'connack') this.connected = (p.reasonCode ?? 0) === 0;
    if (p.cmd !== 'puback') return;
    const id = this.waiting.get(p.messageId!);
    if (id === undefined) return;
    this.waiting.delete(p.messageId!);
    this.w.record({ type: 'retain.ack', c: this.id, id, rc: p.reasonCode ?? 0 });
    if ((p.reasonCode ?? 0) < 0x80) this.acked.add(id);
  }

  /** Sets (`value`) or clears (null) the retained message of `topic`; returns the operation's id, which a set's payload starts with. */
  write(topic: string, value: string | null): string {
    const id = `${this.id}:${++this.seq}`;
    const messageId = (this.pid = (this.pid % 65535) + 1);
    this.waiting.set(messageId, id);
    this.w.record({ type: 'retain.op', c: this.id, id, topic, op: value === null ? 'clear' : 'set' });
    const payload = value === null ? Buffer.alloc(0) : Buffer.from(`${id}|${value}`);
    this.sock?.write(
      mqttPacket.generate(
        { cmd: 'publish', topic, payload, qos: 1, retain: true, dup: false, messageId },
        { protocolVersion: 5 },
      ),
    );
    return id;
  }

  /** write(), then waits for its acknowledgement. */
  async writeAcked(topic: string, value: string | null, timeoutMs = 10_000): Promise<boolean> {
    const id = this.write(topic, value);
    return this.w.until(() => this.acked.has(id), { timeoutMs });
  }
}

/**
 * The expected retained state: per topic, the operation acknowledged last in the history (a set: its
 * id; a clear: nothing). Operations never acknowledged are not counted.
 */
export function expectedRetained(w: ScenarioWorld): Map<string, string> {
  const ops = new Map<string, { topic: string; op: string }>();
  const out = new Map<string, string>();
  for (const e of w.history.events) {
    if (e.type === 'retain.op') ops.set(e.id, { topic: e.topic, op: e.op });
    else if (e.type === 'retain.ack' && e.rc < 0x80) {
      const o = ops.get(e.id)!;
      if (o.op === 'set') out.set(o.topic, e.id);
      else out.delete(o.topic);
    }
  }
  return out;
}

/** A fresh subscriber per node reads the retained messages under `filter`: per node, topic -> id of the set it got. */
export async function readRetained(
  w: ScenarioWorld,
  nodes: string[],
  filter: string,
  tag: string,
): Promise<Map<string, Map<string, string>>> {
  const readers = nodes.map((n) =>
    w.client(`read-${tag}-${n}`, {
      target: n,
      version: 5,
      keepalive: 30,
      subscriptions: [{ filter, qos: 1 }],
    }),
  );
  const subscribed = (id: string) => w.history.events.some((e) => e.type === 'sub.ok' && e.c === id);
  await w.until(() => readers.every((r) => subscribed(r.id)), { timeoutMs: 10_000 });
  await w.sleep(200);
  const out = new Map<string, Map<string, string>>();
  nodes.forEach((n, i) => {
    const got = new Map<string, string>();
    for (const r of readers[i].received) if (r.retain) got.set(r.topic, r.id);
    out.set(n, got);
    readers[i].disconnect();
  });
  return out;
}

/** Waits for convergence, then asserts that every node serves exactly the expected retained state and that the stores agree. */
export async function checkRetainedAfterConvergence(
  w: ScenarioWorld,
  ctx: ScenarioContext,
  nodes: string[],
  filter: string,
): Promise<void> {
  const from = w.now;
  const ok = await w.until(() => convergenceProblems(w).length === 0, { timeoutMs: 60_000 });
  ctx.report('converged', ok ? `${((w.now - from) / 1000).toFixed(1)} s after the heal` : 'NO');
  if (!ok)
    ctx.violation(
      'convergence',
      `retained stores or routes never agreed: ${convergenceProblems(w).join('; ')}`,
    );
  const expected = expectedRetained(w);
  const show = (m: Map<string, string>) =>
    [...m]
      .sort()
      .map(([t, id]) => `${t}=${id}`)
      .join(' ') || '(none)';
  ctx.report('expected', show(expected));
  const reads = await readRetained(w, nodes, filter, 'final');
  for (const [n, got] of reads) {
    const topics = new Set([...expected.keys(), ...got.keys()]);
    for (const t of [...topics].sort()) {
      if (got.get(t) === expected.get(t)) continue;
      const what = got.has(t) ? `${got.get(t)}` : 'nothing';
      const want = expected.has(t)
        ? `${expected.get(t)} (the last acknowledged set)`
        : 'nothing (cleared last)';
      ctx.violation('retained-read', `${n} serves ${what} for ${t}; expected ${want}`);
    }
  }
}

/**
 * A cluster of `nodes` with a RetainedWriter on each (host `wr-<node>`), up and converged. Returns `put`: a set
 * (or clear, value null) on a node, waited for until acknowledged, then a pause of up to `maxGapMs`.
 */
export async function retainedCluster(
  w: ScenarioWorld,
  ctx: ScenarioContext,
  nodes: string[],
  rng: Rng,
  maxGapMs: number,
) {
  w.addCluster(nodes);
  const wr = new Map(
    nodes.map((n) => [n, new RetainedWriter(simOnly(w, 'a raw MQTT writer'), `wr-${n}`, n)]),
  );
  const up = () => convergenceProblems(w).length === 0 && [...wr.values()].every((x) => x.connected);
  if (!(await w.until(up, { timeoutMs: 30_000 })))
    ctx.violation('liveness', 'cluster or writers did not come up');
  await w.sleep(1000);
  return async (node: string, topic: string, value: string | null): Promise<void> => {
    if (!(await wr.get(node)!.writeAcked(topic, value)))
      ctx.violation(
        'liveness',
        `${value === null ? 'clear' : 'set'} of ${topic} on ${node} not acknowledged`,
      );
    await w.sleep(rng.next() * maxGapMs);
  };
}
