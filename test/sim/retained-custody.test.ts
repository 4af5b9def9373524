import { describe, it, expect } from 'vitest';
import { retainedLost } from '../../sim/retained-custody.ts';
import type { Ev } from '../../sim/events.ts';

// Two nodes linked from the start; r0 sets a retained message on n1 at 10 ms; n2 crashes at 100 and starts
// again at 200; n1 crashes at 300.
function history(relinkBeforeN1Crash: boolean): Ev[] {
  const ev = [
    { t: 0, type: 'node.start', node: 'n1' },
    { t: 0, type: 'node.start', node: 'n2' },
    { t: 1, type: 'cluster.peer.up', node: 'n1', peer: 'n2', healed: 0 },
    { t: 1, type: 'cluster.peer.up', node: 'n2', peer: 'n1', healed: 0 },
    { t: 2, type: 'client.connack', c: 'r0', rc: 0, present: false, node: 'n1' },
    { t: 10, type: 'pub.invoke', c: 'r0', id: 'r0:1', topic: 'r/0', qos: 1, retain: true },
    { t: 12, type: 'pub.ok', c: 'r0', id: 'r0:1', node: 'n1' },
    { t: 100, type: 'fault.crash', node: 'n2', mode: 'process' },
    { t: 101, type: 'cluster.peer.down', node: 'n1', peer: 'n2' },
    { t: 200, type: 'node.start', node: 'n2' },
    ...(relinkBeforeN1Crash
      ? [
          { t: 250, type: 'cluster.peer.up', node: 'n2', peer: 'n1', healed: 0 },
          { t: 251, type: 'cluster.peer.up', node: 'n1', peer: 'n2', healed: 0 },
        ]
      : []),
    { t: 300, type: 'fault.crash', node: 'n1', mode: 'process' },
    { t: 400, type: 'node.start', node: 'n1' },
    { t: 500, type: 'cluster.peer.up', node: 'n1', peer: 'n2', healed: 0 },
  ];
  return ev as unknown as Ev[];
}

describe('retainedLost: a retained write every node that may hold it lost one after the other', () => {
  it('is lost when the restarted node never linked to the last holder before that one crashed', () => {
    expect([...retainedLost(history(false))]).toEqual([['r0:1', 300]]);
  });
  it('is kept when the restarted node linked to a holder before it crashed (the link-up resync gave it the store)', () => {
    expect(retainedLost(history(true)).size).toBe(0);
  });
  it('is kept when a node crashes before the write was acknowledged and the client resends to the other', () => {
    const ev = history(true).filter((e) => e.t < 100);
    const crashFirst = [
      ...ev.filter((e) => e.t < 10),
      { t: 10, type: 'pub.invoke', c: 'r0', id: 'r0:1', topic: 'r/0', qos: 1, retain: true },
      { t: 11, type: 'fault.crash', node: 'n1', mode: 'process' },
      { t: 12, type: 'client.closed', c: 'r0', reason: 'reset', node: 'n1' },
      { t: 20, type: 'client.connack', c: 'r0', rc: 0, present: false, node: 'n2' },
      { t: 21, type: 'pub.ok', c: 'r0', id: 'r0:1', node: 'n2' },
    ] as unknown as Ev[];
    expect(retainedLost(crashFirst).size).toBe(0);
  });
});
