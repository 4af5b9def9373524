// Outbound QoS 2 is made safe before it matters (docs/durability.md, "QoS 2 across a restart or a
// failover"). The client keeps a QoS 2 packet id from the PUBLISH until the PUBREL and drops a second
// PUBLISH under it; so exactly once survives the loss of the session's node if every copy that can take
// the session over (the replicas on the running peers, the node's own disk) knows
//  - the packet id a message went out with, before the PUBLISH goes: the copy resends under that id, and
//  - that the PUBREC came (the message is done, a PUBREL owed), before the PUBREL goes: after it the
//    client forgets the id, and a copy that still thought the message unsent would send it again.
// So for a persistent session's QoS 2 message the step is written to the journals (replicas, disk) first,
// and the packet waits until every running peer confirmed those frames and the disk synced them.

import type { SessionJournal } from './journal.ts';
import type { AckWait } from './distribution.ts';
import type { Inflight, Qos2Step, Session } from './session.ts';
import type { Gate } from './held-sends.ts';

/** What the guard needs of the broker (core/broker.ts). */
export interface GuardHost {
  readonly journal: SessionJournal;
  /** `all`: frames to every running peer count, whatever the ack mode (core/cluster/ack-tracker.ts). */
  tracked<T>(fn: () => T, all?: boolean): { result: T; tracker: AckWait | null };
  commit(): boolean;
  whenDurable(fn: () => void): void;
}

/** Tells the journals of an outbound step; for a persistent session's QoS 2 the gate its packet waits for. */
export function guardOutbound(
  h: GuardHost,
  s: Session,
  pid: number,
  step: Qos2Step,
  f?: Inflight,
): Gate | null {
  if (step === 'completed' || f?.qos !== 2 || s.expiryInterval === 0) {
    h.journal.outbound(s, pid, step, f);
    return null;
  }
  return whenKept(h, () => h.journal.outbound(s, pid, step, f), true);
}

/**
 * Runs `write` (journal calls) and returns the gate that opens once the running peers confirmed the frames
 * it sent (`all`: every one, whatever the ack mode, and one lost while deaf to us only once it heard them)
 * and the disk synced what it wrote; null: nothing to wait.
 */
export function whenKept(h: GuardHost, write: () => void, all = false): Gate | null {
  const peers = h.tracked(write, all).tracker;
  if (peers && all) peers.untilHeard = true;
  const disk = h.commit();
  let waits = (peers ? 1 : 0) + (disk ? 1 : 0);
  if (waits === 0) return null;
  let go: (() => void) | null = null;
  const one = (): void => {
    if (--waits === 0) go?.();
  };
  if (peers) peers.done = one;
  if (disk) h.whenDurable(one);
  return (fn) => {
    if (waits === 0) fn();
    else go = fn;
  };
}
