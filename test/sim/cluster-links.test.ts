// Cluster linking in the simulator (core/link/, docs/cluster-linking.md): independent clusters exchange
// the messages the other side subscribes to, once, from the node they were published on; a ring of three
// stays loop-free; a cut link buffers (bounded, drops counted) and catches up; a wrong secret is refused.
import { describe, it, expect } from 'vitest';
import { World } from '../../sim/world.ts';
import { linkAddress } from '../../sim/links.ts';
import { checkLinkDelivery, checkLinkLoops } from '../../sim/checkers/links.ts';
import type { Env } from '../../core/env.ts';
import type { Ev } from '../../sim/events.ts';
import type { Tally } from '../../sim/checkers/common.ts';
import { settle } from '../helpers/sim.ts';
import { runScenario, type Scenario } from '../../sim/scenario.ts';
import { OutLink } from '../../core/link/out-link.ts';
import { ClusterLinks } from '../../core/link/links.ts';
import type { Message } from '../../core/message.ts';

/** Replaces a method of a class's prototype while `body` runs. */
async function patched<T extends object>(proto: T, name: string, fn: unknown, body: () => Promise<void>) {
  const p = proto as Record<string, unknown>;
  const orig = p[name];
  p[name] = fn;
  try {
    await body();
  } finally {
    p[name] = orig;
  }
}

type Spec = { name: string; nodes: string[] };

function world(
  specs: Spec[],
  opts: { secret?: (from: string, to: string) => string; linkBuffer?: number } = {},
) {
  const w = new World({ seed: 1, history: { keepEvents: true } });
  const secret = opts.secret ?? (() => 'shared');
  for (const s of specs)
    w.addCluster(s.nodes, {
      name: s.name,
      secret: `${s.name}-internal`,
      links: specs
        .filter((o) => o !== s)
        .map((o) => ({ name: o.name, address: linkAddress(o.nodes), secret: secret(s.name, o.name) })),
      cluster: opts.linkBuffer ? { linkBuffer: opts.linkBuffer } : {},
    });
  return w;
}

const linksUp = (w: World, nodes: string[]) => () =>
  nodes.every((n) =>
    w
      .cluster(n)
      .links!.status()
      .every((l) => l.state === 'up' && l.routes > 0),
  );

describe('cluster links', () => {
  it('three clusters in a ring: every subscriber gets each message once, none crosses twice', async () => {
    const specs = [
      { name: 'X', nodes: ['x1', 'x2'] },
      { name: 'Y', nodes: ['y1', 'y2'] },
      { name: 'Z', nodes: ['z1', 'z2'] },
    ];
    const w = world(specs);
    const nodes = specs.flatMap((s) => s.nodes);
    await w.run(async (w) => {
      const subs = nodes.map((n) =>
        w.client(`s-${n}`, { target: n, subscriptions: [{ filter: 't/#', qos: 1 }] }),
      );
      const pubs = nodes.map((n) => w.client(`p-${n}`, { target: n }));
      await settle(w, linksUp(w, nodes), 20_000, 'links up');
      await w.sleep(1000);
      const from = w.now;
      const ids = pubs.flatMap((p) => [p.publish(`t/${p.id}`, 1), p.publish(`t/${p.id}/b`, 0)]);
      await w.sleep(3000);
      for (const s of subs) expect(s.received.map((r) => r.id).sort()).toEqual([...ids].sort());
      const ev = w.history.events;
      expect(checkLinkLoops(ev)).toEqual([]);
      // Each message crossed into each of the two other clusters exactly once.
      const ins = ev.filter((e) => e.type === 'link.in');
      expect(ins.length).toBe(ids.length * 2);
      const tally: Tally = {};
      const expectations = subs.map((s) => ({ client: s.id, filter: 't/#', from }));
      expect(checkLinkDelivery(ev, expectations, tally)).toEqual([]);
      expect(tally['link-delivered']).toBe(6 * 4); // 6 QoS 1 messages, each to the 4 subscribers of other clusters
    });
  });

  it('only what the other cluster subscribes to crosses; a message from a link is not sent on', async () => {
    const w = world([
      { name: 'A', nodes: ['a1'] },
      { name: 'B', nodes: ['b1'] },
    ]);
    await w.run(async (w) => {
      const sb = w.client('sb', { target: 'b1', subscriptions: [{ filter: 'x/#', qos: 1 }] });
      const pa = w.client('pa', { target: 'a1' });
      await settle(w, linksUp(w, ['a1']), 20_000, 'link up');
      expect(w.cluster('a1').links!.status()[0]).toMatchObject({ routes: 1, state: 'up', peer: 'b1' });
      pa.publish('x/1', 1);
      pa.publish('y/1', 1); // nobody in B subscribes to y/#
      await w.sleep(2000);
      expect(sb.received.map((r) => r.topic)).toEqual(['x/1']);
      expect(w.cluster('a1').links!.status()[0]).toMatchObject({ sent: 1, acked: 1, buffered: 0 });
      // B's route set shrinks when its subscriber leaves.
      sb.disconnect();
      await w.sleep(2000);
      expect(w.cluster('a1').links!.status()[0]!.routes).toBe(0);
    });
  });

  it('a cut link keeps a bounded buffer, drops beyond it (counted) and catches up at the heal', async () => {
    const w = world(
      [
        { name: 'A', nodes: ['a1', 'a2'] },
        { name: 'B', nodes: ['b1', 'b2'] },
      ],
      { linkBuffer: 5 },
    );
    await w.run(async (w) => {
      const sb = w.client('sb', { target: 'b1', subscriptions: [{ filter: 'x/#', qos: 1 }] });
      const sa = w.client('sa', { target: 'a2', subscriptions: [{ filter: 'x/#', qos: 1 }] });
      const pa = w.client('pa', { target: 'a1' });
      await settle(w, linksUp(w, ['a1', 'a2', 'b1', 'b2']), 20_000, 'links up');
      const from = w.now;
      w.partition(['a1', 'a2'], ['b1', 'b2']);
      await w.sleep(8000); // the link is down (no frame for 5 s)
      expect(w.cluster('a1').links!.status()[0]!.state).not.toBe('up');
      const ids = Array.from({ length: 12 }, (_, i) => pa.publish(`x/${i}`, 1));
      await w.sleep(2000);
      expect(sa.received.map((r) => r.id)).toEqual(ids); // local delivery goes on
      expect(w.cluster('a1').links!.status()[0]).toMatchObject({ buffered: 5, dropped: 7 });
      w.heal();
      await settle(w, () => sb.received.length === 5, 20_000, 'catch-up');
      expect(sb.received.map((r) => r.id)).toEqual(ids.slice(0, 5));
      const ev = w.history.events;
      expect(ev.filter((e) => e.type === 'link.drop').map((e) => (e as { id: string }).id)).toEqual(
        ids.slice(5),
      );
      const tally: Tally = {};
      expect(checkLinkDelivery(ev, [{ client: 'sb', filter: 'x/#', from }], tally)).toEqual([]);
      expect(tally).toEqual({ 'link-delivered': 5, 'link-buffer-drop': 7 });
      expect(w.broker('a1').stats.dropped['link-buffer']).toBe(7);
    });
  });

  it('refuses a link whose secret is wrong, with a one-line reason in the log', async () => {
    const w = world(
      [
        { name: 'A', nodes: ['a1'] },
        { name: 'B', nodes: ['b1'] },
      ],
      { secret: (from) => (from === 'A' ? 'right' : 'wrong') },
    );
    const logs: string[] = [];
    for (const n of ['a1', 'b1'])
      (w.broker(n).env as Env).log = { info: () => {}, warn: (m) => logs.push(`${n} ${m}`) };
    await w.run(async (w) => {
      await w.sleep(5000);
      expect(w.history.events.filter((e) => e.type === 'cluster.link.up')).toEqual([]);
      expect(logs.some((l) => /^a1 .*link B: B \(b1\) failed the secret check$/.test(l))).toBe(true);
      expect(
        logs.some((l) => /^b1 .*link from A \(a1\) ended by it: B \(b1\) failed the secret check$/.test(l)),
      ).toBe(true);
      expect(logs.every((l) => !l.includes('\n'))).toBe(true);
    });
  });
});

describe('link checkers', () => {
  const base: Ev[] = [
    { type: 'cluster.link.config', node: 'a1', cluster: 'A', links: 'B', t: 0 },
    { type: 'cluster.link.config', node: 'b1', cluster: 'B', links: 'A', t: 0 },
    { type: 'client.connack', c: 'sb', rc: 0, present: false, node: 'b1', t: 1 },
    { type: 'pub.invoke', c: 'pa', id: 'pa:1', topic: 'x/1', qos: 1, retain: false, t: 10 },
    { type: 'pub.ok', c: 'pa', id: 'pa:1', node: 'a1', t: 11 },
  ];
  const expectB = [{ client: 'sb', filter: 'x/#', from: 0 }];

  it('link delivery: a message that never arrived is a violation unless dropped by the buffer or the region was down', () => {
    expect(checkLinkDelivery(base, expectB).map((v) => v.property)).toEqual(['link-delivery']);
    const drop: Ev = { type: 'link.drop', node: 'a1', link: 'B', id: 'pa:1', t: 11 };
    const tally: Tally = {};
    expect(checkLinkDelivery([...base, drop], expectB, tally)).toEqual([]);
    expect(tally).toEqual({ 'link-buffer-drop': 1 });
    const down: Ev = { type: 'fault.crash', node: 'b1', mode: 'power', t: 5 };
    const t2: Tally = {};
    expect(checkLinkDelivery([...base.slice(0, 3), down, ...base.slice(3)], expectB, t2)).toEqual([]);
    expect(t2).toEqual({ 'region-down': 1 });
    // Published before the region went down: not excused.
    const late: Ev = { type: 'fault.crash', node: 'b1', mode: 'power', t: 12 };
    expect(checkLinkDelivery([...base, late], expectB)).toHaveLength(1);
  });

  it('loops: a message forwarded on, back into its origin, or crossing twice is a violation; a resend is counted', () => {
    const cfg: Ev = { type: 'cluster.link.config', node: 'c1', cluster: 'C', links: 'A,B', t: 0 };
    const into = (node: string, from: string, origin: string, resend = false, t = 20): Ev => ({
      type: 'link.in',
      node,
      from,
      origin,
      id: 'pa:1',
      resend,
      t,
    });
    const ev = [...base, cfg];
    expect(checkLinkLoops([...ev, into('b1', 'A', 'A')])).toEqual([]);
    expect(checkLinkLoops([...ev, into('c1', 'B', 'A')]).map((v) => v.property)).toEqual(['link-loop']);
    expect(checkLinkLoops([...ev, into('a1', 'A', 'A')]).map((v) => v.property)).toEqual(['link-loop']);
    expect(checkLinkLoops([...ev, into('b1', 'A', 'A'), into('b1', 'A', 'A', false, 30)])).toHaveLength(1);
    const tally: Tally = {};
    expect(checkLinkLoops([...ev, into('b1', 'A', 'A'), into('b1', 'A', 'A', true, 30)], tally)).toEqual([]);
    expect(tally).toEqual({ 'link-resend': 1 });
  });
});

describe('the link checks are not blind', () => {
  it('linked-clusters: links that forget what they held across a cut are caught (link-delivery)', async () => {
    const s = (await import('../../scenarios/linked-clusters.ts')).default as Scenario;
    const welcome = (OutLink.prototype as unknown as Record<string, Function>).welcome!;
    await patched(
      OutLink.prototype,
      'welcome',
      function (this: { buffer: unknown[] }, acked: number, filters: string[]) {
        this.buffer = [];
        return welcome.call(this, acked, filters);
      },
      async () => {
        const r = await runScenario(s, 1);
        expect(r.violations.some((v) => v.property === 'link-delivery')).toBe(true);
      },
    );
    expect((await runScenario(s, 1)).violations).toEqual([]);
  });

  it('a ring whose links send on what came over a link is caught (link-loop)', async () => {
    const specs = [
      { name: 'X', nodes: ['x1'] },
      { name: 'Y', nodes: ['y1'] },
      { name: 'Z', nodes: ['z1'] },
    ];
    await patched(
      ClusterLinks.prototype,
      'publish',
      function (this: ClusterLinks, msg: Message) {
        for (const o of this.outs) o.publish(msg);
      },
      async () => {
        const w = world(specs);
        await w.run(async (w) => {
          for (const n of ['x1', 'y1', 'z1'])
            w.client(`s-${n}`, { target: n, subscriptions: [{ filter: 't/#', qos: 1 }] });
          const p = w.client('p', { target: 'x1' });
          await settle(w, linksUp(w, ['x1', 'y1', 'z1']), 20_000, 'links up');
          p.publish('t/1', 1);
          // Unchecked, the copies multiply around the ring: stop at the first one back in X.
          const back = () => w.history.events.some((e) => e.type === 'link.in' && e.node === 'x1');
          await w.until(back, { timeoutMs: 2000 });
        });
        expect(checkLinkLoops(w.history.events).map((v) => v.property)).toContain('link-loop');
      },
    );
  });
});
