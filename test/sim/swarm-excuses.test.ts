// The swarm's excuses for what no node could keep (no data dirs): a retained write every copy of which was lost
// in turn, a will set on a node that could reach no peer until it crashed. Each shown excused and still judged.
import { describe, expect, it } from 'vitest';
import type { Ev } from '../../sim/events.ts';
import { retainedCopiesLost, willAlone } from '../../sim/swarm.ts';

const base = (): Ev[] =>
  [
    { t: 0, type: 'node.start', node: 'n1' },
    { t: 0, type: 'node.start', node: 'n2' },
    { t: 1, type: 'cluster.peer.up', node: 'n1', peer: 'n2', healed: 0 },
    { t: 1, type: 'cluster.peer.up', node: 'n2', peer: 'n1', healed: 0 },
    { t: 1000, type: 'pub.invoke', c: 'r0', id: 'r0:1', topic: 'r/0', qos: 1, retain: true },
    { t: 1009, type: 'pub.ok', c: 'r0', id: 'r0:1', node: 'n1' },
  ] as unknown as Ev[];
const at = (ev: Ev[], ...more: object[]): Ev[] =>
  [...ev, ...(more as unknown as Ev[])].sort((a, b) => a.t - b.t);

describe('swarm: retained write lost with every copy', () => {
  it('the peer that held it crashed, then the writer before they linked again: excused', () => {
    const ev = at(
      base(),
      { t: 1502, type: 'fault.crash', node: 'n2', mode: 'process' },
      { t: 2502, type: 'node.start', node: 'n2' },
      { t: 3002, type: 'fault.crash', node: 'n1', mode: 'process' },
    );
    expect(retainedCopiesLost(ev)).toEqual(['r0:1']);
  });

  it('the peer outlived the writer, or linked to it again before its crash: judged', () => {
    const onlyWriter = at(base(), { t: 3002, type: 'fault.crash', node: 'n1', mode: 'process' });
    expect(retainedCopiesLost(onlyWriter)).toEqual([]);
    const relinked = at(
      base(),
      { t: 1502, type: 'fault.crash', node: 'n2', mode: 'process' },
      { t: 2502, type: 'node.start', node: 'n2' },
      { t: 2600, type: 'cluster.peer.up', node: 'n1', peer: 'n2', healed: 0 },
      { t: 3002, type: 'fault.crash', node: 'n1', mode: 'process' },
    );
    expect(retainedCopiesLost(relinked)).toEqual([]);
    const noCrash = at(base(), { t: 1502, type: 'fault.crash', node: 'n2', mode: 'process' });
    expect(retainedCopiesLost(noCrash)).toEqual([]);
  });

  it('a plain (not retained) publish is never counted here', () => {
    const ev = at(
      base().map((e) => (e.type === 'pub.invoke' ? ({ ...e, retain: false } as Ev) : e)),
      { t: 1502, type: 'fault.crash', node: 'n2', mode: 'process' },
      { t: 3002, type: 'fault.crash', node: 'n1', mode: 'process' },
    );
    expect(retainedCopiesLost(ev)).toEqual([]);
  });
});

describe('swarm: a will set on a node that could reach no peer until it crashed', () => {
  const connack = { t: 1000, type: 'client.connack', c: 'w0', rc: 0, present: false, node: 'n1' };
  const run = (...more: Record<string, unknown>[]): Ev[] =>
    [
      { t: 0, type: 'node.config', node: 'n1', maxQueued: 1000, ackMode: 'replicated' },
      { t: 0, type: 'node.config', node: 'n2', maxQueued: 1000, ackMode: 'replicated' },
      { t: 0, type: 'node.start', node: 'n1' },
      { t: 0, type: 'node.start', node: 'n2' },
      { t: 1, type: 'cluster.peer.up', node: 'n1', peer: 'n2', healed: 0 },
      { t: 999, type: 'client.connect', c: 'w0', target: 'n1' },
      connack,
      { t: 2000, type: 'fault.crash', node: 'n1', mode: 'process' },
      ...more,
    ].sort((a, b) => (a.t as number) - (b.t as number)) as unknown as Ev[];
  const missing = {
    property: 'will-iff',
    detail: 'w0: no will for the connection lost at 2000 ms',
    excerpt: [connack as unknown as Ev],
  };

  it('its peer down in its own view from before the CONNACK to the crash: not owed', () => {
    expect(willAlone(run({ t: 900, type: 'cluster.peer.down', node: 'n1', peer: 'n2' }), missing)).toBe(true);
  });

  it('a partition, then the peer down in its view until the crash: not owed', () => {
    const ev = run(
      { t: 500, type: 'fault.partition', a: 'n1', b: 'n2', oneWay: false },
      { t: 1500, type: 'cluster.peer.down', node: 'n1', peer: 'n2' },
      { t: 1800, type: 'fault.heal' },
    );
    expect(willAlone(ev, missing)).toBe(true);
  });

  it('the peer reachable at some moment (up in its view, no fault): judged', () => {
    expect(willAlone(run(), missing)).toBe(false);
    const relinked = run(
      { t: 900, type: 'cluster.peer.down', node: 'n1', peer: 'n2' },
      { t: 1500, type: 'cluster.peer.up', node: 'n1', peer: 'n2', healed: 0 },
    );
    expect(willAlone(relinked, missing)).toBe(false);
  });
});
