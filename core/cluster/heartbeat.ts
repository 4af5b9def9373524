// Failure detection and redials: every heartbeat interval each link either pings (carrying our
// acknowledgement) or, silent past the timeout, is cut; a member without a link is dialled again
// (the lower name dials) and, unreachable past autocleanMs, removed.

import type { Clock, PeerDialer, Timer } from '../env.ts';
import type { ClusterConfig } from './config.ts';
import type { Member } from './member.ts';
import type { Membership } from './membership.ts';
import { PeerLink, elapsed, type PeerLinkHost } from './peer-link.ts';
import { encodePing } from './peer-protocol.ts';
import { FreezeWatch } from './freeze-watch.ts';

export interface HeartbeatHost {
  /** The node stopped: no more ticks or dials. */
  readonly stopped: boolean;
  /** `m` was unreachable for autocleanMs. */
  autoclean(m: Member): void;
  /** The other parts' periodic work, after the members are checked. */
  housekeeping(now: number): void;
}

export class Heartbeat {
  private timer: Timer | null = null;
  /** Whether the process is catching up after a freeze (the ticks tell). */
  private readonly freeze: FreezeWatch;

  constructor(
    private readonly config: ClusterConfig,
    private readonly clock: Clock,
    private readonly peers: PeerDialer,
    private readonly membership: Membership,
    private readonly links: PeerLinkHost,
    private readonly host: HeartbeatHost,
  ) {
    this.freeze = new FreezeWatch(clock);
  }

  /** Heartbeats, failure detection, redials, autoclean; then housekeeping. Runs until stop(). */
  tick = (): void => {
    if (this.host.stopped) return;
    this.freeze.ticked(this.config.heartbeatIntervalMs);
    // The tick that finds the process frozen runs before what peers sent meanwhile is read (a timer is due
    // as soon as the process runs again; the sockets are read after it). The links silent past the timeout
    // are picked now, as on any tick (the peers took us for lost too), but cut only once that backlog is read
    // (a zero delay: after the sockets already readable), so nothing that waited in them is dropped unread.
    const thawing = this.freeze.thawing;
    let judge: PeerLink[] | undefined;
    const now = this.clock.now();
    const mono = elapsed(this.clock);
    const ms = this.membership;
    for (const m of ms.members.values()) {
      if (m.state === 'left') continue;
      const l = m.link;
      if (l) {
        if (mono - l.lastRx > this.config.heartbeatTimeoutMs && thawing) {
          l.muted = true; // what we send it meanwhile waits with the reliable channel for the next link
          (judge ??= []).push(l);
        } else if (mono - l.lastRx > this.config.heartbeatTimeoutMs) {
          this.links.log(`no heartbeat from ${m.node} for ${Math.round(mono - l.lastRx)} ms`);
          l.close();
        } else {
          // Silent past two beats: a cut the timeout may not see; what it holds back comes later by its own path.
          if (mono - l.lastRx > 2 * this.config.heartbeatIntervalMs) ms.cutSeen();
          l.write(encodePing(now, m.confirmed));
          m.sinceAck = 0;
        }
        continue;
      }
      if (m.state !== 'stopped' && now - m.downSince > this.config.autocleanMs) this.host.autoclean(m);
      // The lower name dials; a node that joined by hand dials its seed whatever the names. A replicant
      // dials every core; a core never dials a replicant.
      if (ms.replicants.has(m.node)) continue;
      if (ms.selfReplicant || ms.node < m.node || !ms.everUp.has(m.node)) this.dial(m);
    }
    this.host.housekeeping(now);
    if (judge) this.clock.setTimer(0, this.cutSilent, judge);
    this.timer = this.clock.setTimer(this.config.heartbeatIntervalMs, this.tick);
  };

  /** After a freeze, once the backlog is read: the links found silent past the timeout are cut. */
  private cutSilent = (silent: PeerLink[]): void => {
    if (this.host.stopped) return;
    const mono = elapsed(this.clock);
    for (const l of silent) {
      if (l.state === 'closed') continue;
      this.links.log(`no heartbeat from ${l.peer} for ${Math.round(mono - l.lastRx)} ms before a freeze`);
      l.close();
    }
  };

  /** The time from which a write read now may have been sent (FreezeWatch.sentSince). */
  sentSince(now: number): number {
    return this.freeze.sentSince(now);
  }

  stop(): void {
    this.timer?.cancel();
  }

  dial(m: Member): void {
    if (m.link || this.host.stopped) return;
    // A connect into a partition hangs until the transport gives up, and one started just before a heal
    // does not notice it: a new attempt starts every reconnect interval meanwhile (each transport
    // attempt ends at its own timeout), so a link comes back within an interval of the heal. One
    // handshake at a time: an attempt that opens supersedes one still in its handshake (a connection
    // a proxy accepted during the cut may never carry a byte). A member removed (autoclean, stopped)
    // is tried at the slower heartbeat-timeout pace.
    const every = m.state === 'stopped' ? this.config.heartbeatTimeoutMs : this.config.reconnectIntervalMs;
    const now = this.clock.now();
    if (m.dialing > 0 && now - m.dialStarted < every) return;
    m.dialing++;
    m.dialStarted = now;
    let link: PeerLink | null = null;
    let pending = true;
    const ended = (): void => {
      if (pending) m.dialing--;
      pending = false;
    };
    this.peers.connect(m.address, {
      open: (sink) => {
        ended();
        if (m.link || this.host.stopped) {
          sink.close();
          return;
        }
        if (m.dialHello?.state === 'hello') m.dialHello.close();
        link = m.dialHello = new PeerLink(this.links, sink, true, m.node);
      },
      data: (b) => link?.receive(b),
      closed: () => {
        ended();
        link?.transportClosed();
      },
    });
  }
}
