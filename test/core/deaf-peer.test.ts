// A peer deaf to us (a one-way cut: its pings arrive, its acknowledgement stalls) takes our sessions over
// without our latest outbound QoS 2 steps: when we lose it, the packets those steps hold stay held until it
// hears them, restarts or is removed (core/cluster/deaf-peer.ts). A peer that fell silent (a crash, a cut
// both ways) lets them go at once, as before (scenarios/regressions/explored-oneway-pause-qos2-dup.ts).

import { describe, it, expect } from 'vitest';
import { AckTracker } from '../../core/cluster/ack-tracker.ts';
import { defaultClusterConfig } from '../../core/cluster/config.ts';
import { Failover, type FailoverLinks } from '../../core/cluster/failover.ts';
import { newMember, type Member } from '../../core/cluster/member.ts';
import type { Membership } from '../../core/cluster/membership.ts';
import { encodePing } from '../../core/cluster/peer-protocol.ts';
import { ReliableChannel } from '../../core/cluster/reliable-channel.ts';
import { whenKept, type GuardHost } from '../../core/qos2-guard.ts';
import type { SessionJournal } from '../../core/journal.ts';
import { ManualClock } from '../helpers/manual-env.ts';

function cluster() {
  const clock = new ManualClock();
  const config = defaultClusterConfig('n2:4370');
  const acks = new AckTracker({ ackMode: 'replicated' });
  const channel = new ReliableChannel(config, clock, acks, { dropped: () => {}, peerAck: () => {} });
  const peer: Member = { ...newMember('n1', 'n1:4370', 0), state: 'running' };
  const membership = {
    node: 'n2',
    members: new Map([['n1', peer]]),
    backupOf: () => 'n2',
    get: (n: string) => (n === 'n1' ? peer : undefined),
  } as unknown as Membership;
  const links: FailoverLinks = {
    membership,
    stats: { netsplitsDetected: 0 } as FailoverLinks['stats'],
    acks,
    replicas: {
      orphans: () => {},
      ownerDown: () => {},
      pastLife: () => false,
      peerGone: () => {},
    } as unknown as FailoverLinks['replicas'],
    now: () => clock.now(),
    sendReliable: () => {},
    dropUnacked: (m) => channel.dropUnacked(m),
    groupsNotGiven: () => [],
    purge: () => 0,
    countDropped: () => {},
    emit: () => {},
  };
  const failover = new Failover(links);
  // An outbound QoS 2 step: its journal write is one reliable frame to the peer (an ROut; any frame will do).
  const guard: GuardHost = {
    journal: {} as SessionJournal,
    tracked: (fn, all) => acks.tracked(fn, all),
    commit: () => false,
    whenDurable: () => {},
  };
  const step = (): (() => boolean) => {
    let open = false;
    whenKept(guard, () => channel.send(peer, encodePing(0, 0)), true)?.(() => (open = true));
    return () => open;
  };
  /** A ping from the peer confirming our frames up to `ack`. */
  const ping = (ack: number): void => channel.acked(peer, ack);
  return { clock, channel, peer, failover, step, ping };
}

describe('a peer deaf to us', () => {
  it('is deaf once its pings leave a frame of ours unconfirmed past two heartbeats, no more once it confirms', () => {
    const { clock, peer, step, ping } = cluster();
    step();
    clock.advance(1000);
    ping(0);
    expect(peer.deaf).toBe(false);
    clock.advance(1500);
    ping(0);
    expect(peer.deaf).toBe(true);
    ping(1);
    expect(peer.deaf).toBe(false);
    expect(peer.unacked).toHaveLength(0);
  });

  it('lost while deaf: an outbound QoS 2 step it never confirmed stays held until it confirms the frame again', () => {
    const { clock, peer, failover, step, ping } = cluster();
    const open = step();
    clock.advance(2500);
    ping(0);
    failover.lost(peer);
    expect(open()).toBe(false);
    // The link back: the frame resent, confirmed.
    ping(1);
    expect(open()).toBe(true);
  });

  it('lost while deaf, then restarted (or removed): the step goes', () => {
    const { clock, peer, channel, failover, step, ping } = cluster();
    const open = step();
    clock.advance(2500);
    ping(0);
    failover.lost(peer);
    expect(open()).toBe(false);
    channel.dropUnacked(peer);
    expect(open()).toBe(true);
  });

  it('lost while it still heard us (a crash, a cut both ways): the step goes at once, as before', () => {
    const { clock, peer, failover, step, ping } = cluster();
    ping(0);
    const open = step();
    clock.advance(5000); // silent: no ping since the frame went
    failover.lost(peer);
    expect(open()).toBe(true);
  });

  it("a publisher's acknowledgement waiting on a deaf peer is answered at its loss (only QoS 2 steps wait)", () => {
    const { clock, peer, failover, channel, ping } = cluster();
    const acks = (failover as unknown as { c: FailoverLinks }).c.acks as AckTracker;
    const { tracker } = acks.tracked(() => channel.send(peer, encodePing(0, 0)));
    let answered = false;
    tracker!.done = () => (answered = true);
    clock.advance(2500);
    ping(0);
    expect(peer.deaf).toBe(true);
    failover.lost(peer);
    expect(answered).toBe(true);
  });
});
