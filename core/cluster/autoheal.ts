// Autoheal: when a link to a peer comes up (first contact, the end of a cut, or a peer that restarted)
// one link per pair is kept, the peer's state is brought back to running, and each part sends the
// peer its full state: its resync, in the order the parts registered (runs replay alike only in it).
// The peer drops what it already has.

import type { ClusterEvent, ClusterStats } from './events.ts';
import type { Member } from './member.ts';
import type { Membership } from './membership.ts';
import type { PeerLink } from './peer-link.ts';

/** What one part sends a peer whose link came up. */
export type Resync = (m: Member, l: PeerLink) => void;

export interface AutohealLinks {
  readonly membership: Membership;
  readonly stats: ClusterStats;
  /** The peer is back: the replicas held of its sessions are replicas again. */
  ownerBack(node: string): void;
  /** It restarted faster than we noticed it was gone: its previous life goes through failover first. */
  restarted(m: Member): void;
  /** Forgets what the peer never confirmed (its sequence state is new). */
  dropUnacked(m: Member): void;
  /** The peer came back as a new incarnation, empty: its routes went with its old life. */
  cameBackEmpty(node: string): void;
  emit(e: ClusterEvent): void;
}

export class Autoheal {
  private resyncs: Resync[] = [];

  constructor(private readonly c: AutohealLinks) {}

  /** Adds a part's resync, after those added before. */
  add(r: Resync): void {
    this.resyncs.push(r);
  }

  /** A link finished its handshake. */
  up(l: PeerLink): void {
    const ms = this.c.membership;
    const m = ms.add(l.peer, l.peerAddress);
    if (m.link && m.link.state === 'authed') {
      // One link per pair: the one dialed by the lower node name wins; a node dials again only when it takes its
      // link for dead, and a new life has no other: the newer one from the same dialer or another incarnation.
      const dialer = (x: PeerLink) => (x.outbound ? ms.node : l.peer);
      const keepNew = dialer(l) <= dialer(m.link) || l.peerInc !== m.link.peerInc;
      if (!keepNew) {
        l.close();
        return;
      }
      const old = m.link;
      m.link = null;
      m.lastHeard = Math.max(m.lastHeard, old.lastRx);
      old.close();
    }
    l.state = 'authed';
    m.link = l;
    // Its full route table comes with its resync: until then what it may need is kept (Member.stale).
    m.stale ??= [];
    this.c.ownerBack(m.node);
    if (m.peerInc !== l.peerInc) {
      // The peer restarted: its state is new, so is our sequence state with it (the
      // resync below rebuilds what it needs). On first contact, what we queued for it stays.
      if (m.peerInc) {
        // Its new life came up now: no backup of an owner last heard before (it holds no replica of theirs).
        m.upSince = l.lastRx;
        if (m.state === 'running') this.c.restarted(m);
        this.c.dropUnacked(m);
        this.c.cameBackEmpty(m.node);
      }
      m.inSeq = m.confirmed = 0;
      m.epoch = undefined; // its epochs start again (its restored subscriptions have none)
      m.peerInc = l.peerInc;
      m.upSince = l.lastRx;
    }
    const wasDown = m.state === 'unreachable' || m.state === 'stopped';
    const healed = wasDown && m.downSince > 0 && ms.everUp.has(m.node);
    if (wasDown) ms.cutSeen();
    m.state = 'running';
    ms.everUp.add(m.node);
    if (healed) this.c.stats.netsplitsHealed++;
    this.c.emit({ type: 'peer.up', peer: m.node, healed: healed ? 1 : 0 });
    for (const r of this.resyncs) r(m, l);
  }
}
