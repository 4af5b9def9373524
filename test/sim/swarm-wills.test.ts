import { describe, it, expect } from 'vitest';
import { willVerdicts, type Workload } from '../../sim/swarm.ts';
import type { Ev } from '../../sim/events.ts';

// w0 (v5, persistent, will delay 0) on n2 sends a clean DISCONNECT at 1000 and comes back on n3 at 9000 with
// its session; n1 publishes a will for it at 9500 (taking `from` for dead) and the watcher gets it at 9501,
// within the second after the return the first connection's end is judged for.
function history(from: string): Ev[] {
  return [
    { t: 5, type: 'client.connack', c: 'w0', rc: 0, present: false, node: 'n2' },
    { t: 1000, type: 'client.disconnect', c: 'w0', rc: 0 },
    { t: 9000, type: 'client.connack', c: 'w0', rc: 0, present: true, node: 'n3' },
    { t: 9500, type: 'cluster.will', node: 'n1', clientId: 'w0', from },
    { t: 9500, type: 'will', node: 'n1', c: 'w0', topic: 'w/w0' },
    {
      t: 9501,
      type: 'deliver',
      c: 'ww',
      id: 'w0-will',
      topic: 'w/w0',
      qos: 1,
      dup: false,
      retain: false,
      node: 'n1',
    },
  ] as unknown as Ev[];
}
const wl = {
  wills: [
    { node: 0, version: 5, clean: false, delay: 0, expiry: 86400, at: 0, end: 'disconnect', backAfter: 8000 },
  ],
} as unknown as Workload;
const ends = [{ i: 0, at: 1000, calm: true }];

describe("swarm will verdicts: a will after a clean DISCONNECT, around the client's return", () => {
  it("a peer's will for the return connection's node (a split-will of the live connection) is not the first connection's", () => {
    expect(willVerdicts(history('n3'), wl, ends)).toEqual([]);
  });
  it("a peer's will for the node of the connection that ended cleanly still fails", () => {
    expect(willVerdicts(history('n2'), wl, ends).map((v) => v.property)).toEqual(['will']);
  });
});
