// At least once over any number of link failures, deduplicated by the receiver: forwards, handoffs,
// replication. Each frame to a peer gets the next sequence number and is kept until the peer
// confirms it (a delayed acknowledgement, like TCP's, rides on pings); a link that comes back
// resends what is unconfirmed and the receiver drops what it already has.

import type { Clock } from '../env.ts';
import type { Message } from '../message.ts';
import { settle, type AckTracker } from './ack-tracker.ts';
import type { ClusterConfig } from './config.ts';
import type { Member, Unacked } from './member.ts';
import { noteAck } from './deaf-peer.ts';
import { F, encodeMessage, encodePing, encodeSeq, knownOfSeq } from './peer-protocol.ts';

/** How long a node may sit on received reliable frames before confirming them. */
const ACK_DELAY_MS = 5;
/** Received frames that are confirmed at once, without waiting for the delay. */
const ACK_EVERY = 256;

export interface ChannelHooks {
  /** Frames given up for a peer (its backlog over the bound), by reason. */
  dropped(reason: string, n: number): void;
  /** A peer confirmed frames; `ms` from sending the newest of them (includes the delayed ack). */
  peerAck(peer: string, ms: number): void;
  /**
   * With a data dir: syncs what received frames wrote and calls `then` once it is on disk, so a
   * confirmation (which answers a publisher in ack mode 'replicated') never outruns the local fsync.
   * Absent: confirmations go at once.
   */
  durable?: (then: () => void) => void;
}

/** A message forwarded to a peer unconfirmed: its share groups and the peer's epoch its forward said we knew. */
export interface Unconfirmed {
  msg: Message;
  groups: string[];
  known?: number;
}

export class ReliableChannel {
  constructor(
    private readonly config: ClusterConfig,
    private readonly clock: Clock,
    private readonly acks: AckTracker,
    private readonly hooks: ChannelHooks,
  ) {}

  /** Sends `frame` to `m` reliably; `msg` (and its share `groups`) when it forwards a message. */
  send(m: Member, frame: Buffer, msg?: Message, groups?: string[]): void {
    const seq = ++m.outSeq;
    const f = encodeSeq(seq, frame);
    // A running peer is only slow to confirm (a starved CPU, a burst): its backlog may grow to ten
    // times the buffer before anything is given up. One that is cut off keeps `forwardBuffer`.
    const running = m.state === 'running';
    if (m.unacked.length >= (running ? this.config.forwardBuffer * 10 : this.config.forwardBuffer)) {
      settle(m.unacked.shift()!);
      this.hooks.dropped(running ? 'peer-backlog' : 'peer-unreachable', 1);
    }
    const u: Unacked = { seq, frame: f, msg, sentAt: this.clock.now() };
    if (groups?.length) u.groups = groups;
    // Only a running peer can make the message safe sooner; one cut off keeps it in our buffer either way.
    // (Ack mode 'quorum': one cut off counts too, until it confirms: core/cluster/ack-tracker.ts.)
    if (this.acks.current && this.acks.counts(m.state)) u.tracker = this.acks.hold(m.node);
    m.unacked.push(u);
    m.link?.write(f);
  }

  /**
   * A Seq frame from `m`: true when it is new (its inner frame is then handled), false for a resend.
   * `urgent`: a packet waits for its confirmation (an outbound QoS 2 step, core/qos2-guard.ts): confirmed
   * as soon as its handler ran (and, with a data dir, its write is synced), not after the delay.
   */
  received(m: Member, seq: number, urgent = false): boolean {
    if (seq <= m.inSeq) return false; // already have it (resent after a link loss)
    m.inSeq = seq;
    if (!this.hooks.durable) m.confirmed = seq;
    // Delayed acknowledgement: publishers in ack mode 'replicated' wait for it. With a data dir, an
    // early one covers the frames before this one only: this one's handler has not written yet.
    if (++m.sinceAck >= ACK_EVERY) this.sendAck(m, this.hooks.durable ? seq - 1 : seq);
    else if (urgent) {
      m.ackTimer?.cancel();
      m.ackTimer = this.clock.setTimer(0, () => this.sendAck(m));
    } else m.ackTimer ??= this.clock.setTimer(ACK_DELAY_MS, () => this.sendAck(m));
    return true;
  }

  /** `m` confirmed everything up to `seq`. */
  acked(m: Member, seq: number): void {
    const u = m.unacked;
    let i = 0;
    while (i < u.length && u[i].seq <= seq) settle(u[i++], m.node);
    if (i > 0) {
      this.hooks.peerAck(m.node, this.clock.now() - u[i - 1].sentAt);
      m.unacked = i === u.length ? [] : u.slice(i);
    }
    noteAck(m, this.clock.now(), this.config.heartbeatIntervalMs);
  }

  /** Forgets what `m` never confirmed (it restarted, or left); publishers waiting on it are answered. */
  dropUnacked(m: Member): void {
    for (const u of m.unacked) settle(u);
    m.unacked = [];
  }

  /** Messages forwarded to `m` it has not confirmed yet, oldest first, with the share groups they were for. */
  unconfirmed(m: Member): Unconfirmed[] {
    const out: Unconfirmed[] = [];
    for (const u of m.unacked)
      if (u.msg) out.push({ msg: u.msg, groups: u.groups ?? [], known: knownOfSeq(u.frame) });
    return out;
  }

  private sendAck(m: Member, upTo = m.inSeq): void {
    m.ackTimer?.cancel();
    m.ackTimer = null;
    m.sinceAck = 0;
    const durable = this.hooks.durable;
    if (!durable) return void m.link?.write(encodePing(this.clock.now(), m.inSeq));
    const inc = m.peerInc;
    durable(() => {
      // The peer restarted meanwhile: these sequence numbers were its previous life's.
      if (m.peerInc !== inc) return;
      if (upTo > m.confirmed) m.confirmed = upTo;
      m.link?.write(encodePing(this.clock.now(), m.confirmed));
    });
  }
}

/** An unconfirmed forward, sent again when its peer is back, now for share groups `left` of its groups only. */
export function withGroups(u: Unacked, left: string[], now: number): void {
  if (!u.msg || left.length === (u.groups?.length ?? 0)) return;
  u.groups = left.length ? left : undefined;
  u.frame = encodeSeq(u.seq, encodeMessage(F.Forward, u.msg, now, left, knownOfSeq(u.frame)));
}
