// The swarm does not demand a will set on a node that could send to no peer from the CONNACK until it crashed
// (willAlone, docs/guarantees.md, Wills): nothing could replicate it. A peer the node took for lost (it just woke
// from a pause) and did not link to again before the crash is out of reach, as one held off by a fault is
// (scenarios/regressions/explored-pause-crash-nowill.ts, SEED=3707); a link back before the crash carried the
// will, and a gap in the faults leaves it owed. (test/sim/swarm-excuses.test.ts has main's cases.)

import { describe, it, expect } from 'vitest';
import { willAlone, willCopiesLost, willVerdicts, type Workload } from '../../sim/swarm.ts';
import type { Ev } from '../../sim/events.ts';
import type { Violation } from '../../sim/checkers/common.ts';

function history(extra: Ev[]): { ev: Ev[]; v: Violation } {
  const connack = { t: 10, type: 'client.connack', c: 'w1', rc: 0, present: true, node: 'n1' } as Ev;
  const ev = [
    { t: 0, type: 'node.config', node: 'n1', maxQueued: 1000, hooks: true, downAfterMs: 5000 },
    { t: 0, type: 'node.config', node: 'n2', maxQueued: 1000, hooks: true, downAfterMs: 5000 },
    { t: 0, type: 'node.start', node: 'n1' },
    { t: 0, type: 'node.start', node: 'n2' },
    {
      t: 0,
      type: 'client.config',
      c: 'w1',
      version: 5,
      clean: false,
      expiry: 3600,
      keepalive: 10,
      will: { topic: 'w/w1', qos: 1, delay: 0, id: 'w1-will' },
    },
    { t: 1, type: 'cluster.peer.up', node: 'n1', peer: 'n2', healed: 0 },
    { t: 1, type: 'cluster.peer.up', node: 'n2', peer: 'n1', healed: 0 },
    ...extra.filter((e) => e.t < 10),
    connack,
    ...extra.filter((e) => e.t >= 10),
    { t: 500, type: 'fault.crash', node: 'n1', mode: 'process' },
    { t: 501, type: 'client.closed', c: 'w1', reason: 'reset', node: 'n1', was: 'connected' },
  ] as Ev[];
  const v: Violation = {
    property: 'will-iff',
    detail: 'w1: no will for the connection lost at 501.0 ms; the client never came back',
    excerpt: [connack],
  };
  return { ev, v };
}

describe('willAlone: a will lost with a node that could send to no peer', () => {
  it('the node took its only peer for lost before the CONNACK and linked to none before the crash: not demanded', () => {
    const { ev, v } = history([{ t: 5, type: 'cluster.peer.down', node: 'n1', peer: 'n2' } as Ev]);
    expect(willAlone(ev, v)).toBe(true);
  });

  it('the same, but its link to the peer came up before the crash (the will went with its resync): demanded', () => {
    const { ev, v } = history([
      { t: 5, type: 'cluster.peer.down', node: 'n1', peer: 'n2' } as Ev,
      { t: 300, type: 'cluster.peer.up', node: 'n1', peer: 'n2', healed: 1 } as Ev,
    ]);
    expect(willAlone(ev, v)).toBe(false);
  });

  it('a link up at the CONNACK and no fault between the nodes: demanded', () => {
    const { ev, v } = history([]);
    expect(willAlone(ev, v)).toBe(false);
  });

  it('a link up at the CONNACK, the peer paused from before it until after the crash: not demanded', () => {
    const { ev, v } = history([{ t: 5, type: 'fault.pause', node: 'n2' } as Ev]);
    expect(willAlone(ev, v)).toBe(true);
  });

  it('a link up at the CONNACK, the peer paused only after it: demanded', () => {
    const { ev, v } = history([{ t: 20, type: 'fault.pause', node: 'n2' } as Ev]);
    expect(willAlone(ev, v)).toBe(false);
  });
});

// A will replicated to its peer, then lost with every copy of the session one after the other (willCopiesLost, the
// bound of lostAlone; scenarios/regressions/explored-kill-will-missing.ts): the peer crashed and restarted empty, a
// cut kept it from the will's node, which crashed under the connection. A peer that linked to the node again, or
// outlived it, held the will: still owed.
describe('willCopiesLost: a will lost with every copy of its session', () => {
  const peerCrash = [
    { t: 200, type: 'fault.crash', node: 'n2', mode: 'process' } as Ev,
    { t: 201, type: 'cluster.peer.down', node: 'n1', peer: 'n2' } as Ev,
    { t: 300, type: 'node.start', node: 'n2' } as Ev,
  ];
  const wl = {
    wills: [
      { node: 0, version: 5, clean: false, delay: 0, expiry: 3600, at: 0, end: 'kill', backAfter: null },
    ],
  } as unknown as Workload;
  const ends = [{ i: 1, at: 500, calm: false }];
  const wl2 = { wills: [wl.wills[0], wl.wills[0]] } as unknown as Workload;

  it('the peer that held it crashed and did not link to the node again before its crash: not demanded', () => {
    const { ev, v } = history(peerCrash);
    expect(willCopiesLost(ev, v)).toBe(true);
    expect(willVerdicts(ev, wl2, ends)).toEqual([]);
  });

  it('the same, but the restarted peer linked to the node again before its crash (it got the will back): demanded', () => {
    const { ev, v } = history([
      ...peerCrash,
      { t: 400, type: 'cluster.peer.up', node: 'n1', peer: 'n2', healed: 1 } as Ev,
    ]);
    expect(willCopiesLost(ev, v)).toBe(false);
    expect(willVerdicts(ev, wl2, ends).map((x) => x.property)).toEqual(['will']);
  });

  it('the peer crashed only after the node (it held the will when the node went): demanded', () => {
    const { ev, v } = history([]);
    const later = [...ev, { t: 600, type: 'fault.crash', node: 'n2', mode: 'process' } as Ev];
    expect(willCopiesLost(later, v)).toBe(false);
    expect(willVerdicts(later, wl2, ends).map((x) => x.property)).toEqual(['will']);
  });
});
