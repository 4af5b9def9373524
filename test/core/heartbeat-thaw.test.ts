// The heartbeat tick that finds the process frozen (a pause, a VM stall) cuts no link as silent: what peers
// sent meanwhile waits unread behind that tick, and the node would take a live peer for lost and drop it
// (scenarios/regressions/explored-paused-peer-will-unheard.ts). One tick only: a process late at every tick
// (overloaded, not frozen) still cuts a silent link.
import { describe, it, expect } from 'vitest';
import { Heartbeat } from '../../core/cluster/heartbeat.ts';
import { defaultClusterConfig } from '../../core/cluster/config.ts';
import { newMember, type Member } from '../../core/cluster/member.ts';
import type { Membership } from '../../core/cluster/membership.ts';
import type { PeerLinkHost } from '../../core/cluster/peer-link.ts';
import type { Clock, PeerDialer } from '../../core/env.ts';

function lab() {
  const t = { now: 0 };
  const timers: (() => void)[] = [];
  const clock: Clock = {
    now: () => t.now,
    monotonic: () => t.now,
    setTimer: (_ms, fn) => {
      timers.push(() => fn(undefined as never));
      return { cancel: () => {} };
    },
  };
  const config = defaultClusterConfig('n1:4370'); // beat 1 s, timeout 5 s
  let closed = 0;
  const peer: Member = { ...newMember('n2', 'n2:4370', 0), state: 'running' };
  const link = {
    lastRx: 0,
    close: () => {
      closed++;
      peer.link = null;
    },
    write: () => {},
  };
  peer.link = link as unknown as Member['link'];
  const membership = {
    node: 'n1',
    members: new Map([['n2', peer]]),
    replicants: new Set<string>(),
    everUp: new Set(['n2']),
    cutSeen: () => {},
  } as unknown as Membership;
  const hb = new Heartbeat(
    config,
    clock,
    { connect: () => {} } as unknown as PeerDialer,
    membership,
    { log: () => {} } as unknown as PeerLinkHost,
    { stopped: false, autoclean: () => {}, housekeeping: () => {} },
  );
  /** Runs the tick at `at` (the timer it arms is not run: the test drives the ticks). */
  const tickAt = (at: number) => {
    t.now = at;
    hb.tick();
  };
  return { link, tickAt, closed: () => closed };
}

describe('heartbeat after a freeze', () => {
  it('on time, a link silent past the timeout is cut', () => {
    const l = lab();
    for (let at = 0; at <= 5000; at += 1000) l.tickAt(at);
    expect(l.closed()).toBe(0);
    l.tickAt(6000);
    expect(l.closed()).toBe(1);
  });

  it('the tick that finds the process frozen 10 s spares the link; read meanwhile, it stays', () => {
    const l = lab();
    l.tickAt(0);
    l.tickAt(1000);
    l.tickAt(11_000); // due at 2000: frozen
    expect(l.closed()).toBe(0);
    l.link.lastRx = 11_000; // the backlog is read after that tick: the peer's pings
    l.tickAt(12_000);
    expect(l.closed()).toBe(0);
  });

  it('frozen, and the peer still silent at the next tick: cut then', () => {
    const l = lab();
    l.tickAt(0);
    l.tickAt(1000);
    l.tickAt(11_000);
    l.tickAt(12_000);
    expect(l.closed()).toBe(1);
  });

  it('late at every tick (overloaded): never two ticks in a row are spared', () => {
    const l = lab();
    l.tickAt(0);
    l.tickAt(2500); // each tick 1.5 s overdue
    l.tickAt(5000);
    l.tickAt(7500); // silent 7.5 s: spared (the previous tick was not)
    expect(l.closed()).toBe(0);
    l.tickAt(10_000);
    expect(l.closed()).toBe(1);
  });
});
