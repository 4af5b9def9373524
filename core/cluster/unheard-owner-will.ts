// A will we failed over from a node we cannot hear, due now because a fresh claim of its client id ended
// the session for the client (Registry.onRegister). That node may be alive: we took it for lost while we
// were paused or cut off, and it may have published the will already (its `gone` clear is among what it
// resends once we hear it again; the fresh claim reaches it too). So the will waits here as long as a silent
// peer is given before it is taken for dead: heard again meanwhile in the same life, that node decides;
// not heard, or back as a new life (it restarted empty and knows nothing of the connection), the will goes
// from here [MQTT-3.1.2-8: once]. (scenarios/regressions/explored-pause-will-twice.ts)

import type { Session } from '../session.ts';
import type { Message } from '../message.ts';
import type { ClusterEvent } from './events.ts';
import type { LocalNode } from './local-node.ts';
import type { Membership } from './membership.ts';

export interface UnheardOwnerLinks {
  readonly membership: Membership;
  now(): number;
  emit(e: ClusterEvent): void;
}

/**
 * Takes the failed-over will of `s` (its session is about to be handed to the fresh claim's node) if the node
 * it was failed over from is not running here; publishes it after `waitMs` unless that node was heard again
 * in the same life by then. Returns whether it took the will (false: the caller decides now).
 */
export function awaitUnheardOwner(
  local: LocalNode,
  c: UnheardOwnerLinks,
  s: Session,
  waitMs: number,
): boolean {
  const will = s.will;
  const owner = will?.lostWith;
  if (!will || owner === undefined || c.membership.isRunning(owner)) return false;
  const life = c.membership.get(owner)?.peerInc;
  const since = c.now();
  local.discardWill(s); // not handed on with the session: held here
  local.env.clock.setTimer(waitMs, () => {
    const m = c.membership.get(owner);
    // Its link came up since (maybe lost again since): the same life had the claim and knows the will's fate.
    if (m && m.peerInc === life && (m.state === 'running' || m.downSince > since)) return;
    const now = local.env.clock.now();
    const msg: Message = { ...will.msg, receivedAt: now };
    if (will.expirySec !== undefined) msg.expiresAt = now + will.expirySec * 1000;
    c.emit({ type: 'will', clientId: s.clientId, from: will.origin ?? owner });
    local.publishWillOf(s.clientId, msg);
  });
  return true;
}
