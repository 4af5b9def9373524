// The heartbeat tick that finds the process frozen (a pause, a VM stall) runs before what peers sent meanwhile
// is read. It picks the links silent past the timeout as any tick does (by what was read before the freeze: the
// peers took this node for lost meanwhile), writes to them no more, and cuts them once the backlog is read (a
// zero-delay timer), so nothing that waited in them is dropped unread
// (scenarios/regressions/explored-paused-both-will-unheard.ts).
import { describe, it, expect } from 'vitest';
import { Heartbeat } from '../../core/cluster/heartbeat.ts';
import { defaultClusterConfig } from '../../core/cluster/config.ts';
import { newMember, type Member } from '../../core/cluster/member.ts';
import type { Membership } from '../../core/cluster/membership.ts';
import type { PeerLinkHost } from '../../core/cluster/peer-link.ts';
import type { Clock, PeerDialer } from '../../core/env.ts';

function lab() {
  const t = { now: 0 };
  /** Zero-delay timers armed by the ticks (the periodic one is driven by the test). */
  const soon: (() => void)[] = [];
  const clock: Clock = {
    now: () => t.now,
    monotonic: () => t.now,
    setTimer: (ms, fn, arg) => {
      if (ms === 0) soon.push(() => fn(arg as never));
      return { cancel: () => {} };
    },
  };
  const config = defaultClusterConfig('n1:4370'); // beat 1 s, timeout 5 s
  let closed = 0;
  const peer: Member = { ...newMember('n2', 'n2:4370', 0), state: 'running' };
  const link = {
    peer: 'n2',
    state: 'authed' as string,
    lastRx: 0,
    muted: false,
    pings: 0,
    close() {
      closed++;
      this.state = 'closed';
      peer.link = null;
    },
    write() {
      if (!this.muted) this.pings++;
    },
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
  const tickAt = (at: number) => {
    t.now = at;
    hb.tick();
  };
  /** What the process does right after the tick: the readable sockets (`read`), then the zero-delay timers. */
  const after = (read: () => void = () => {}) => {
    read();
    for (const f of soon.splice(0)) f();
  };
  return { link, tickAt, after, closed: () => closed };
}

describe('heartbeat after a freeze', () => {
  it('on time, a link silent past the timeout is cut at the tick', () => {
    const l = lab();
    for (let at = 0; at <= 5000; at += 1000) l.tickAt(at);
    expect(l.closed()).toBe(0);
    l.tickAt(6000);
    expect(l.closed()).toBe(1);
  });

  it('the tick that finds the process frozen past the timeout picks the link, and cuts it once the backlog is read', () => {
    const l = lab();
    l.tickAt(0);
    l.tickAt(1000);
    const pings = l.link.pings;
    l.tickAt(11_000); // due at 2000: frozen 9 s
    expect(l.closed()).toBe(0);
    expect(l.link.muted).toBe(true);
    expect(l.link.pings).toBe(pings); // nothing written to a link about to be cut
    let readBeforeCut = false;
    l.after(() => {
      l.link.lastRx = 11_000; // the backlog: the peer's frames from before it took us for lost
      readBeforeCut = l.closed() === 0;
    });
    expect(readBeforeCut).toBe(true);
    expect(l.closed()).toBe(1);
  });

  it('a freeze shorter than the timeout cuts nothing and pings on', () => {
    const l = lab();
    l.tickAt(0);
    l.link.lastRx = 1000;
    l.tickAt(1000);
    const pings = l.link.pings;
    l.tickAt(4000); // due at 2000: frozen 2 s, silent 3 s
    l.after();
    expect(l.closed()).toBe(0);
    expect(l.link.muted).toBe(false);
    expect(l.link.pings).toBe(pings + 1);
  });
});
