// The UI model folds history events into what the views show: phases cut
// at faults, per-phase counts, duplicates, live checks with their excerpt,
// the node glyphs of each timeline line, and the scenario's verdict at the end.

import { describe, it, expect } from 'vitest';
import { ModelBuilder, fmtT } from '../../ui/model.ts';
import type { WorldSample } from '../../sim/observe.ts';
import type { DeliverEvent } from '../../sim/events.ts';
import type { QoS } from 'mqtt-packet';

const node = (name: string, state: 'running' | 'stopped', msgIn = 0) => ({
  name,
  state,
  uptimeMs: 1000,
  connections: 1,
  sessions: 1,
  routes: 1,
  queued: 2,
  inflight: 0,
  msgIn,
  msgOut: 0,
  peers: {},
});

/** A delivery from n1, not retained. */
const deliver = (c: string, id: string, topic: string, qos: QoS, dup = false): DeliverEvent => ({
  type: 'deliver',
  c,
  id,
  topic,
  qos,
  dup,
  retain: false,
  node: 'n1',
});

describe('ModelBuilder', () => {
  it('cuts phases at faults and counts publishes, deliveries, in flight, duplicates and latency per phase', () => {
    const m = new ModelBuilder('t', 'sim');
    m.event(0, { type: 'node.start', node: 'n1' });
    m.event(0, { type: 'node.start', node: 'n2' });
    m.event(10, { type: 'pub.invoke', c: 'p', id: 'p:1', topic: 'a/b', qos: 1, retain: false });
    m.event(12, { type: 'sub.invoke', c: 's', filters: 'a/#' });
    m.event(15, deliver('s', 'p:1', 'a/b', 1));
    m.event(20, { type: 'pub.invoke', c: 'p', id: 'p:2', topic: 'a/b', qos: 1, retain: false });
    m.event(30, { type: 'fault.crash', node: 'n2', mode: 'power' });
    m.event(31, { type: 'fault.partition', a: 'n1', b: 'n3', oneWay: false });
    // p:2 was published before the crash: its late deliveries count in the first phase.
    m.event(2000, deliver('s', 'p:2', 'a/b', 1));
    m.event(2100, deliver('s', 'p:2', 'a/b', 1, true));
    m.event(2200, { type: 'pub.ok', c: 'p', id: 'p:1' });
    const s = m.snapshot();
    expect(s.phases.map((p) => p.name)).toEqual(['start', 'n2 power loss', 'split']);
    expect(s.phases[0]).toMatchObject({
      published: 2,
      delivered: 3,
      duplicated: 1,
      inFlight: 1,
      maxDelayMs: 2080,
    });
    expect(s.phases[1].published).toBe(0);
    expect(s.timeline.map((e) => `${fmtT(e.t)} ${e.glyphs} ${e.text}`)).toEqual([
      '0.000s ● n1 started',
      '0.000s ●● n2 started',
      '0.030s ●✕ n2 loses power (peers half-open)',
      '0.031s ●✕ partition n1 | n3',
    ]);
    expect(s.latency).toEqual([5, 2100 - 20]);
    expect(s.properties.every((p) => p.status !== 'failing')).toBe(true);
  });

  it('names a split by its shape from the next sample, and takes queue sizes and rates from samples', () => {
    const m = new ModelBuilder('t', 'sim');
    const base: WorldSample = {
      t: 0,
      nodes: [node('n1', 'running'), node('n2', 'running'), node('n3', 'running')],
      links: [],
      balancers: [],
    };
    m.sample(base);
    m.event(1000, { type: 'fault.partition', a: 'n1,n2', b: 'n3', oneWay: false });
    m.sample({
      ...base,
      t: 1000,
      nodes: [node('n1', 'running', 50), node('n2', 'running'), node('n3', 'running')],
      links: [
        { a: 'n1', b: 'n2', state: 'up' },
        { a: 'n1', b: 'n3', state: 'cut' },
        { a: 'n2', b: 'n3', state: 'cut' },
      ],
    });
    const s = m.snapshot();
    expect(s.phases[1].name).toBe('split 2+1');
    expect(s.phases[1].queued).toBe(6);
    expect(s.rates.n1.inPerSec).toBe(50);
  });

  it('flags a QoS 2 duplicate, a reordering and a delivery without subscription at once, with the events that show it', () => {
    const m = new ModelBuilder('t', 'sim');
    m.event(0, { type: 'sub.invoke', c: 's', filters: 'a/#' });
    m.event(0.5, { type: 'sub.ok', c: 's', granted: '2' }); // acknowledged: what follows is owed, in order
    for (const i of [1, 2])
      m.event(i, { type: 'pub.invoke', c: 'p', id: `p:${i}`, topic: 'a/b', qos: 2, retain: false });
    m.event(5, deliver('s', 'p:2', 'a/b', 2));
    m.event(6, deliver('s', 'p:1', 'a/b', 2));
    m.event(7, deliver('s', 'p:1', 'a/b', 2));
    m.event(8, deliver('s', 'p:9', 'x/y', 0));
    const ps = Object.fromEntries(m.snapshot().properties.map((p) => [p.name, p]));
    expect(ps.order).toMatchObject({ status: 'failing', detail: 's got p:1 after p:2 on a/b' });
    expect(ps['qos2-exactly-once']).toMatchObject({ status: 'failing', detail: 'p:1 delivered twice to s' });
    expect(ps['qos2-exactly-once'].excerpt.join('\n')).toContain('0.007s deliver c=s id=p:1');
    expect(ps['only-subscribed']).toMatchObject({ status: 'failing', count: 1 });
    expect(ps['no-acked-loss'].status).toBe('pending');
  });

  it('a recorded violation fails its property with the message’s history; finish settles the rest and takes the scenario’s table', () => {
    const m = new ModelBuilder('t', 'sim');
    m.event(1, { type: 'pub.invoke', c: 'p', id: 'p:7', topic: 'a', qos: 1, retain: false });
    m.event(2, { type: 'pub.ok', c: 'p', id: 'p:7' });
    m.event(90, {
      type: 'violation',
      property: 'no-acked-loss',
      detail: 'p:7 (QoS 1 on a) acknowledged at 2.0 ms never reached s',
    });
    m.finish({
      phases: [{ phase: 'steady', published: 1, delivered: 0, lost: 1, duplicated: 0, maxDelayMs: 0 }],
      violations: [{ property: 'no-acked-loss', detail: '...' }],
      summary: ['verdict    FAIL: 1 violation(s)'],
    });
    const s = m.snapshot();
    const loss = s.properties.find((p) => p.name === 'no-acked-loss')!;
    expect(loss.status).toBe('failing');
    expect(loss.excerpt[0]).toBe('0.001s pub.invoke p p:7 QoS 1 a');
    expect(loss.excerpt[1]).toBe('0.002s pub.ok p p:7 (acknowledged)');
    expect(s.properties.find((p) => p.name === 'liveness')!.status).toBe('passing');
    expect(s.phasesFinal).toBe(true);
    expect(s.phases).toEqual([
      {
        name: 'steady',
        from: 0,
        published: 1,
        delivered: 0,
        inFlight: null,
        queued: null,
        lost: 1,
        duplicated: 0,
        maxDelayMs: 0,
      },
    ]);
    expect(s.timeline[s.timeline.length - 1]).toMatchObject({ kind: 'violation' });
    expect(s.status.done).toBe(true);
  });
});
