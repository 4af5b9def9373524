// The swarm does not demand a will set on a node that could send to no peer from the CONNACK until it crashed
// (willAlone, docs/guarantees.md, Wills): nothing could replicate it. A peer the node took for lost (it just woke
// from a pause) and did not link to again before the crash is out of reach, as one held off by a fault is
// (scenarios/regressions/explored-pause-crash-nowill.ts, SEED=3707); a link back before the crash carried the
// will, and a gap in the faults leaves it owed. (test/sim/swarm-excuses.test.ts has main's cases.)

import { describe, it, expect } from 'vitest';
import { willAlone } from '../../sim/swarm.ts';
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
