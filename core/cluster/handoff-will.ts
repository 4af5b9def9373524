// The will a handoff carries (registry.ts): what the sender's copy of a session says of its client's will, and
// what the receiving copy makes of it. A will is published once [MQTT-3.1.2-8]: the copy that gives way hands
// its pending will on to a copy that holds none, due when it was due at the sender.

import type { WillState } from '../delivery.ts';
import type { Session } from '../session.ts';
import type { LocalNode } from './local-node.ts';
import { fromWire, toWire, type HandoffBody } from './peer-protocol.ts';

/** The will fields of the handoff of `s` (offline or live) from this node. */
export function willOut(s: Session, now: number): Partial<HandoffBody> {
  if (!s.will) return { noWill: true };
  if (s.conn) return {};
  const w = s.will;
  // Lost here: the will is due by this connection's end, not by a peer's guess at it (a failover in a cut).
  // Taken over here by a failover (lostWith): the same will, still lost with that node. Two nodes that
  // restored one session (each took its node for lost, on either side of a cut) merge by claims; the copy
  // that stays may have found no will held for it (its holders cleared it for ours): it comes along
  // (explored-split-pause-crash-will).
  const body: Partial<HandoffBody> = {
    willIn: Math.max(0, s.disconnectedAt + Math.min(w.delay, s.expiryInterval) * 1000 - now),
    // The will itself too: the receiver's copy may have none (its failover found none held for us).
    will: toWire(w.msg, now),
    willDelay: w.delay,
    willExpiry: w.expirySec,
  };
  if (w.lostWith !== undefined)
    Object.assign(body, { willLost: w.lostWith, willOrigin: w.origin, willAt: s.connectedAt });
  return body;
}

/**
 * The will fields of a handoff from `from` merged into `s` here. `pastLife`: wills we took over from a node that
 * restarted or left since (its handoff says nothing of them).
 */
export function willIn(
  local: LocalNode,
  s: Session,
  from: string,
  h: HandoffBody,
  pastLife: WeakSet<WillState>,
): void {
  const now = local.env.clock.now();
  if (h.willLost !== undefined) {
    // A will the sender took over by a failover, for the connection our copy is of, that our copy lacks: ours now.
    // Not when it took it over from us: that connection's will is ours to decide, and we did (published it, or
    // the client came back: explored-pause-handback-will-twice).
    if (h.willLost === local.config.node) return;
    if (!h.will || s.will || s.conn || h.willIn === undefined || s.connectedAt !== h.willAt) return;
    s.will = {
      msg: fromWire(h.will, now),
      delay: h.willDelay ?? 0,
      expirySec: h.willExpiry,
      lostWith: h.willLost,
      origin: h.willOrigin,
    };
    const will = s.will;
    s.willTimer?.cancel();
    s.willTimer = local.env.clock.setTimer(h.willIn, () => s.will === will && local.publishWill(s));
    return;
  }
  // A will lost on `from` that our copy lacks (no holder of it was left when we failed `from` over) comes along.
  if (h.willIn !== undefined && h.will && !s.will && !s.conn)
    s.will = {
      msg: fromWire(h.will, now),
      delay: h.willDelay ?? 0,
      expirySec: h.willExpiry,
      lostWith: from,
    };
  // The will we took over with this session from `from` (taking it for dead) went, or goes no more, there.
  if (h.noWill && s.will?.lostWith === from && !pastLife.has(s.will)) local.discardWill(s);
  else if (h.willIn !== undefined && s.will?.lostWith === from && !s.conn) {
    const will = s.will;
    s.willTimer?.cancel();
    s.willTimer = local.env.clock.setTimer(h.willIn, () => s.will === will && local.publishWill(s));
  }
}
