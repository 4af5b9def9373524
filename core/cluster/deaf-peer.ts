// A peer that still talks to us but hears nothing we send (a one-way cut: our frames are lost, its pings
// arrive with an acknowledgement that no longer moves) is alive: it takes us for lost and takes our sessions
// over from its replicas, which lack what we sent it since, such as the packet ids of the QoS 2 messages we
// gave our clients. So an outbound QoS 2 step it never confirmed is not let go when we lose it in turn: the
// packet waits until that peer hears it (the link back, the frame resent), restarts or is removed
// (autocleanMs); meanwhile its copy of the session has the message, once. The session sends nothing after
// it meanwhile (held packets go in order and fill its inflight window): the price of exactly once here.
// A peer that fell silent (a crash, a cut both ways, a pause) is not deaf: what it did not confirm goes at
// once, as before (docs/durability.md, "QoS 2 across a restart or a failover";
// scenarios/regressions/explored-oneway-pause-qos2-dup.ts).

import type { Member, Unacked } from './member.ts';

/** After `m` acknowledged: it is deaf to us while a frame of ours stays unconfirmed past two heartbeats. */
export function noteAck(m: Member, now: number, heartbeatMs: number): void {
  m.deaf = m.unacked.length > 0 && now - m.unacked[0].sentAt > 2 * heartbeatMs;
}

/** Whether a frame `m` never confirmed still holds what waits on it when `m` is lost: a QoS 2 step's, `m` deaf. */
export function waitsForPeer(m: Member, u: Unacked): boolean {
  return m.deaf === true && u.tracker?.untilHeard === true;
}
