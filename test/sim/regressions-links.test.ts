// Issue 13 regressions for the cluster's links and retained replication: each scenario failed on the code
// before its fix (bug 4: subscribe during a split; bug 5: cleared retained messages coming back, with
// correct clocks and with skewed ones). Then the retained versions' rules on their own, without a network.
import { describe, it, expect } from 'vitest';
import { runScenario, type Scenario } from '../../sim/scenario.ts';
import { World } from '../../sim/world.ts';
import { Broker } from '../../core/broker.ts';
import type { Message } from '../../core/message.ts';
import { FrameReader, F, type Frame, type RetainVersion } from '../../core/cluster/peer-protocol.ts';
import {
  RetainedReplicator,
  TOMBSTONE_MS,
  compareVersions,
} from '../../core/cluster/retained-replication.ts';

const files = ['subscribe-during-split', 'retained-clear-partition', 'retained-clear-skew'];

describe.each(files)('regression %s', (file) => {
  it.each([1, 2, 3, 4, 5])('passes with seed %i', async (seed) => {
    const s = (await import(`../../scenarios/regressions/${file}.ts`)).default as Scenario;
    const r = await runScenario(s, seed);
    expect(r.violations).toEqual([]);
    expect(r.events).toBeGreaterThan(0);
  });
});

describe('what a node keeps for a peer whose routes it does not know', () => {
  it('is bounded by forwardBuffer: the oldest are given up first, each one counted', async () => {
    const w = new World({ seed: 'stale-bound', history: { keepEvents: true } });
    w.addCluster(['n1', 'n2'], { cluster: { forwardBuffer: 5 } });
    const pub = w.client('pub', { target: 'n1', version: 5 });
    await w.run(async (w) => {
      await w.until(() => pub.connected && w.cluster('n1').isRunning('n2'), { timeoutMs: 10_000 });
      w.partition(['n1', 'pub'], ['n2', 'sub']);
      await w.until(() => !w.cluster('n1').isRunning('n2'), { timeoutMs: 10_000 });
      const sub = w.client('sub', {
        target: 'n2',
        version: 5,
        clean: false,
        sessionExpiry: 600,
        subscriptions: [{ filter: 't/#', qos: 1 }],
      });
      await w.until(() => w.history.events.some((e) => e.type === 'sub.ok' && e.c === 'sub'), {
        timeoutMs: 10_000,
      });
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push(pub.publish('t/x', 1));
      await w.until(() => ids.every((id) => pub.acked.has(id)), { timeoutMs: 10_000 });
      w.heal();
      await w.sleep(5000);
      expect(sub.received.map((r) => r.id)).toEqual(ids.slice(15));
      expect(w.broker('n1').stats.dropped['peer-unreachable']).toBe(15);
    });
  });
});

/** A node's retained store and its replicator, on a clock the test sets. */
function node(name: string, clock: { t: number }) {
  const broker = new Broker(
    { clock: { now: () => clock.t, setTimer: () => ({ cancel() {} }) }, random: { next: () => 0.5 } },
    { node: name, sysInterval: 0 },
  );
  const r = new RetainedReplicator(name, broker);
  const write = (topic: string, value: string | null): RetainVersion => {
    const msg: Message = {
      topic,
      payload: Buffer.from(value ?? ''),
      qos: 1,
      retain: true,
      from: 'c',
      receivedAt: clock.t,
    };
    broker.storeRetained(msg);
    return r.local(msg);
  };
  const read = (topic: string) => broker.retained.get(topic)?.payload.toString() ?? null;
  return { broker, r, write, read };
}

/** Feeds one node's resync (or a reply frame) into another, as the link would. */
function deliver(frames: Iterable<Buffer>, to: RetainedReplicator, now: number): Buffer[] {
  const out: Frame[] = [];
  const reader = new FrameReader();
  for (const b of frames) reader.push(b, now, out);
  const replies: Buffer[] = [];
  for (const f of out) {
    if (f.type !== F.Retain) throw new Error('not a Retain frame');
    const reply = to.merge(f.msg, f.v, f.deleted, f.notForwarded);
    if (reply) replies.push(reply);
  }
  return replies;
}

describe('retained versions and tombstones', () => {
  it('a clear written after a set wins although the clearing node’s clock is 20 minutes behind', () => {
    const fast = { t: 1_200_000 };
    const slow = { t: 0 };
    const a = node('a', fast);
    const b = node('b', slow);
    a.write('cfg', 'v1');
    deliver(a.r.resync(fast.t), b.r, slow.t);
    expect(b.read('cfg')).toBe('v1');
    const v = b.write('cfg', null);
    expect(v.l).toBe(1_200_000); // the version it replaced, not the slow clock
    deliver(b.r.resync(slow.t), a.r, fast.t);
    expect([a.read('cfg'), b.read('cfg')]).toEqual([null, null]);
    // The old value coming back from a node that missed the clear loses to the tombstone.
    const c = node('c', { t: 1_200_000 });
    c.write('cfg', 'v1');
    deliver(c.r.resync(1_200_000), a.r, fast.t);
    expect(a.read('cfg')).toBe(null);
  });

  it('concurrent writes pick the same winner everywhere: time, then counter, then node name', () => {
    expect(compareVersions({ l: 5, c: 0, n: 'a' }, { l: 4, c: 9, n: 'z' })).toBe(1);
    expect(compareVersions({ l: 5, c: 1, n: 'a' }, { l: 5, c: 0, n: 'z' })).toBe(1);
    expect(compareVersions({ l: 5, c: 0, n: 'b' }, { l: 5, c: 0, n: 'a' })).toBe(1);
    expect(compareVersions({ l: 5, c: 0, n: 'a' }, { l: 5, c: 0, n: 'a' })).toBe(0);
  });

  it(`tombstones are dropped ${TOMBSTONE_MS / 3_600_000} h after the clear; an older value then offered is refused and dropped by its holder too`, () => {
    const ca = { t: 1000 };
    const cb = { t: 1000 };
    const a = node('a', ca);
    const b = node('b', cb);
    a.write('x', 'old');
    a.write('y', 'kept');
    deliver(a.r.resync(ca.t), b.r, cb.t); // b has both
    a.write('x', null);
    expect(a.r.size).toBe(2);
    ca.t += TOMBSTONE_MS + 60_000;
    a.r.gc(ca.t);
    expect(a.r.size).toBe(1); // the tombstone of x is gone, y's version stays
    // b was away all along and still holds x=old: a refuses it and answers with a tombstone.
    const replies = deliver(b.r.resync(cb.t), a.r, ca.t);
    expect(replies.length).toBe(1);
    expect(a.read('x')).toBe(null);
    deliver(replies, b.r, cb.t);
    expect([b.read('x'), b.read('y')]).toEqual([null, 'kept']);
    // A value newer than the horizon for a topic a never had is taken.
    cb.t = ca.t;
    b.write('z', 'new');
    expect(deliver(b.r.resync(cb.t), a.r, ca.t)).toEqual([]);
    expect(a.read('z')).toBe('new');
  });
});
