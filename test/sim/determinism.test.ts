// Determinism: a seed fixes the whole run (same history, line for line);
// another seed gives another run; ambient time and randomness inside a run
// trip the wire instead of silently making runs differ.

import { describe, it, expect } from 'vitest';
import { World } from '../../sim/world.ts';
import { checkDeterminism, runScenario, defineScenario } from '../../sim/scenario.ts';
import { DeterminismViolation, armTripwires } from '../../sim/tripwire.ts';
import { firstDivergence } from '../../sim/history.ts';
import subscriberNetsplit from '../../scenarios/subscriber-netsplit.ts';
import { makeWorld, events } from '../helpers/sim.ts';

/** A small busy world: random latencies, QoS 0/1/2 traffic, a partition, reconnect jitter. */
async function busyRun(seed: number | string): Promise<{ hash: string; lines: string[]; count: number }> {
  const w = new World({
    seed,
    latency: { kind: 'exponential', min: 0.5, mean: 3 },
    history: { keepLines: true },
  });
  await w.run(async () => {
    w.addBroker('n1');
    const sub = w.client('sub', {
      target: 'n1',
      clean: false,
      keepalive: 5,
      subscriptions: [{ filter: 'd/#', qos: 2 }],
    });
    const pubs = [0, 1, 2].map((q) =>
      w.client(`p${q}`, { target: 'n1', version: q === 2 ? 5 : 4, keepalive: 5 }),
    );
    await w.until(() => sub.connected && pubs.every((p) => p.connected), { timeoutMs: 5000 });
    await w.sleep(50);
    for (let i = 0; i < 20; i++) {
      pubs.forEach((p, q) => p.publish(`d/${q}`, q as 0 | 1 | 2));
      await w.sleep(250);
    }
    w.isolate('sub');
    await w.sleep(12_000);
    w.heal();
    await w.until(() => sub.connected && sub.connects >= 2, { timeoutMs: 60_000 });
    for (let i = 0; i < 5; i++) {
      pubs.forEach((p, q) => p.publish(`d/${q}`, q as 0 | 1 | 2));
      await w.sleep(100);
    }
    await w.sleep(2000);
  });
  return { hash: w.history.hash, lines: w.history.lines, count: w.history.count };
}

describe('same seed, same run', () => {
  it('two runs of one seed have the same history hash and identical lines', async () => {
    const a = await busyRun(7);
    const b = await busyRun(7);
    expect(a.count).toBeGreaterThan(100);
    expect(a.lines.length).toBe(a.count);
    expect(firstDivergence(a.lines, b.lines)).toBe(-1);
    expect(b.lines).toEqual(a.lines);
    expect(b.hash).toBe(a.hash);
    // The run exercised what it meant to: a keep-alive timeout during the partition and a reconnect.
    expect(a.lines.some((l) => l.includes('"client.keepalive-timeout"'))).toBe(true);
    expect(a.lines.some((l) => l.includes('"present":true'))).toBe(true);
  });

  it('different seeds give different histories', async () => {
    const runs = [1, 2, 3].map((s) => busyRun(s));
    const done = await Promise.all(runs);
    const hashes = new Set(done.map((r) => r.hash));
    expect(hashes.size).toBe(3);
    expect(firstDivergence(done[0].lines, done[1].lines)).toBeGreaterThanOrEqual(0);
  });

  it('worlds share no state: runs interleaved with other worlds equal runs made alone', async () => {
    // Promise.all interleaves the three scripts at every await.
    const together = await Promise.all([1, 2, 1].map((s) => busyRun(s)));
    const alone = await busyRun(1);
    expect(together[0].hash).toBe(alone.hash);
    expect(together[2].lines).toEqual(alone.lines);
    expect(together[1].hash).not.toBe(alone.hash);
  });

  it('the seed is the only input: a string seed and its number agree, and the hash covers every line', async () => {
    const a = await busyRun(5);
    const b = await busyRun('5');
    expect(b.hash).toBe(a.hash);
    // Changing a single recorded line changes the hash.
    const w1 = makeWorld();
    const w2 = makeWorld();
    w1.record({ type: 'violation', property: 'x', detail: '1' });
    w2.record({ type: 'violation', property: 'x', detail: '2' });
    expect(w1.history.hash).not.toBe(w2.history.hash);
  });

  it('checkDeterminism passes on scenarios/subscriber-netsplit.ts', async () => {
    const r = await checkDeterminism(subscriberNetsplit, 3);
    expect(r.index).toBe(-1);
    expect(r.identical).toBe(true);
    expect(r.hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('runScenario reports the run and the scenario passes its own checks', async () => {
    const r = await runScenario(subscriberNetsplit, 4);
    expect(r.violations).toEqual([]);
    expect(r.simulatedMs).toBeGreaterThan(600_000);
    expect(Number(r.report.published)).toBeGreaterThan(1000);
    expect(r.historyLines).toBeGreaterThan(1000);
  });

  it('checkDeterminism finds the first diverging line of a scenario that is not deterministic', async () => {
    let runs = 0;
    const flaky = defineScenario({
      name: 'flaky',
      description: 'records a different value on its second run',
      async run(w) {
        w.record({ type: 'violation', property: 'a', detail: '' });
        w.record({ type: 'violation', property: 'b', detail: `run ${runs++}` });
        w.record({ type: 'violation', property: 'c', detail: '' });
      },
    });
    const r = await checkDeterminism(flaky, 1);
    expect(r.identical).toBe(false);
    expect(r.index).toBe(1);
    expect(r.a).toContain('"detail":"run 0"');
    expect(r.b).toContain('"detail":"run 1"');
  });
});

describe('tripwires', () => {
  const g = globalThis as any;
  const snapshot = () => ({
    now: Date.now,
    random: Math.random,
    setTimeout: g.setTimeout,
    setInterval: g.setInterval,
    setImmediate: g.setImmediate,
    Date: g.Date,
    randomUUID: g.crypto.randomUUID,
  });

  function expectRestored(before: ReturnType<typeof snapshot>): void {
    const after = snapshot();
    expect(after.Date).toBe(before.Date);
    expect(after.random).toBe(before.random);
    expect(after.setTimeout).toBe(before.setTimeout);
    expect(after.setInterval).toBe(before.setInterval);
    expect(after.setImmediate).toBe(before.setImmediate);
    expect(Date.now).toBe(before.now);
    // And they work.
    expect(typeof Date.now()).toBe('number');
    expect(new Date().getTime()).toBeGreaterThan(0);
    expect(Math.random()).toBeLessThan(1);
    expect(g.crypto.randomUUID()).toMatch(/^[0-9a-f-]{36}$/);
  }

  const ambient: [string, () => unknown][] = [
    ['Math.random', () => Math.random()],
    ['Date.now', () => Date.now()],
    ['new Date()', () => new Date()],
    ['setTimeout', () => setTimeout(() => {}, 1)],
    ['setInterval', () => setInterval(() => {}, 1)],
    ['setImmediate', () => setImmediate(() => {})],
    ['crypto.randomUUID', () => crypto.randomUUID()],
  ];

  for (const [what, call] of ambient) {
    it(`${what} inside world.run throws DeterminismViolation; the real globals are back afterwards`, async () => {
      const before = snapshot();
      const w = makeWorld();
      w.addBroker('n1');
      const err = await w
        .run(async () => {
          await w.sleep(10);
          call();
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(DeterminismViolation);
      expect((err as Error).message).toContain(what);
      expectRestored(before);
    });
  }

  it('a Math.random() call in a client onMessage callback is caught while the world runs', async () => {
    const before = snapshot();
    const w = makeWorld();
    w.addBroker('n1');
    const sub = w.client('sub', { target: 'n1', subscriptions: [{ filter: 't', qos: 1 }] });
    const pub = w.client('pub', { target: 'n1' });
    let calls = 0;
    sub.onMessage = () => {
      calls++;
      Math.random();
    };
    const run = w.run(async () => {
      await w.until(() => sub.connected && pub.connected, { timeoutMs: 1000 });
      await w.sleep(50);
      pub.publish('t', 1);
      await w.sleep(1000);
      return 'finished';
    });
    await expect(run).rejects.toBeInstanceOf(DeterminismViolation);
    await expect(run).rejects.toThrow(/Math\.random/);
    expect(calls).toBe(1);
    expect(sub.received.map((m) => m.id)).toEqual(['pub:1']);
    expectRestored(before);
  });

  it('Date.now() in a callback is caught by sleep/until even outside world.run', async () => {
    const before = snapshot();
    const w = makeWorld();
    w.addBroker('n1');
    const sub = w.client('sub', { target: 'n1', subscriptions: [{ filter: 't', qos: 0 }] });
    const pub = w.client('pub', { target: 'n1' });
    sub.onMessage = () => void Date.now();
    expect(await w.until(() => sub.connected && pub.connected, { timeoutMs: 1000 })).toBe(true);
    await w.sleep(50);
    pub.publish('t', 0);
    await expect(w.sleep(1000)).rejects.toBeInstanceOf(DeterminismViolation);
    expectRestored(before);
    // A scheduled host timer that reaches for new Date() is caught by until() too.
    w.host('n1').setTimer(10, () => void new Date());
    await expect(w.until(() => false, { timeoutMs: 100 })).rejects.toBeInstanceOf(DeterminismViolation);
    expectRestored(before);
  });

  it('new Date(x) stays usable for formatting inside a run; Date statics keep working', async () => {
    const w = makeWorld();
    const iso = await w.run(async () => {
      await w.sleep(1);
      const d = new Date(0);
      expect(d instanceof Date).toBe(true);
      expect(Date.UTC(2020, 0, 1)).toBe(1577836800000);
      return d.toISOString();
    });
    expect(iso).toBe('1970-01-01T00:00:00.000Z');
  });

  it('nested arming restores only at the outermost disarm', () => {
    const before = snapshot();
    const d1 = armTripwires();
    const d2 = armTripwires();
    expect(() => Math.random()).toThrow(DeterminismViolation);
    d2();
    expect(() => Math.random()).toThrow(DeterminismViolation);
    d1();
    expectRestored(before);
  });

  it('a run that finishes normally leaves the globals restored too', async () => {
    const before = snapshot();
    const w = makeWorld();
    w.addBroker('n1');
    const c = w.client('c', { target: 'n1' });
    const ok = await w.run(async () => w.until(() => c.connected, { timeoutMs: 1000 }));
    expect(ok).toBe(true);
    expectRestored(before);
    expect(events(w, 'client.connack')).toHaveLength(1);
  });
});
