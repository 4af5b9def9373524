// The swarm's excuse for a retained write every copy of which was lost one after the other (no data dirs):
// excused only when the acknowledging node and every peer that could hold the write crashed in turn.
import { describe, expect, it } from 'vitest';
import type { Ev } from '../../sim/events.ts';
import { retainedCopiesLost } from '../../sim/swarm.ts';

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
