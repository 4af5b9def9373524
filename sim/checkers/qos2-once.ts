// QoS 2 is exactly once: no message delivered twice to one client at QoS 2, also across a crash
// of the node that made the first delivery (docs/durability.md, "QoS 2 across a restart or a
// failover"). A run may accept that case as `qos2-crash` (not by default; before issue 15 a killed
// process took the PUBREC state it had not replicated yet with it): counted then, a violation
// naming it otherwise.
//
// A publisher that lost its session (a CONNACK with session present 0 between its PUBLISH and the
// acknowledgement, as after its node crashed) resends the message as a new one: exactly once needs the
// publisher's session too [MQTT-4.3.3], so that second copy is counted as `qos2-publisher-new-session`.
// So does the subscriber's: a copy its old session got (PUBREC not received) that reaches it again after a
// CONNACK with session present 0 (its old session's messages carried into the new one, which has no packet
// ids to drop it by) is counted as `qos2-subscriber-new-session`.
//
// Incremental: fed one event at a time (the UI's live verdict), it judges each delivery against
// the first QoS 2 copy the client got and the crashes seen so far, as the batch check does.

import type { At, CrashEvent, DeliverEvent } from '../events.ts';
import { DEFAULT_ACCEPTED, count, type Ev, type SafetyOptions, type Violation } from './common.ts';

export class Qos2OnceChecker {
  readonly violations: Violation[] = [];
  private readonly crashes: At<CrashEvent>[] = [];
  /** Per message id and client: its first QoS 2 delivery (not retained). */
  private readonly first = new Map<string, Map<string, At<DeliverEvent>>>();
  private readonly accepted: boolean;
  /** Publishes not acknowledged yet (id -> invoke time), and ids a publisher sent again on a new session. */
  private readonly pending = new Map<string, { c: string; t: number }>();
  private readonly resent = new Set<string>();
  /** Per client: its last CONNACK with session present 0. */
  private readonly freshAt = new Map<string, number>();

  constructor(private readonly opts: SafetyOptions = {}) {
    this.accepted = (opts.accept ?? DEFAULT_ACCEPTED).includes('qos2-crash');
  }

  /** One event of the history, in order; returns the violation it shows, if any. */
  feed(e: Ev): Violation | undefined {
    if (e.type === 'fault.crash') this.crashes.push(e);
    else if (e.type === 'pub.invoke' && e.qos === 2) this.pending.set(e.id, { c: e.c, t: e.t });
    else if (e.type === 'pub.ok') this.pending.delete(e.id);
    else if (e.type === 'client.connack' && e.rc === 0 && !e.present) {
      for (const [id, p] of this.pending) if (p.c === e.c) this.resent.add(id);
      this.freshAt.set(e.c, e.t);
    }
    if (e.type !== 'deliver' || e.qos !== 2 || e.retain) return undefined;
    let byClient = this.first.get(e.id);
    if (!byClient) this.first.set(e.id, (byClient = new Map()));
    const prev = byClient.get(e.c);
    if (!prev) {
      byClient.set(e.c, e);
      return undefined;
    }
    if (this.resent.has(e.id)) {
      count(this.opts.tally, 'qos2-publisher-new-session');
      return undefined;
    }
    if (prev.t < (this.freshAt.get(e.c) ?? -Infinity)) {
      count(this.opts.tally, 'qos2-subscriber-new-session');
      return undefined;
    }
    const crash = prev.node
      ? this.crashes.find((f) => f.node === prev.node && f.t >= prev.t && f.t <= e.t)
      : undefined;
    if (crash && this.accepted) {
      count(this.opts.tally, 'qos2-crash');
      return undefined;
    }
    const why = crash
      ? `; qos2-crash (${crash.node} crashed at ${crash.t.toFixed(1)} ms), not accepted by this run`
      : '';
    const v: Violation = {
      property: 'qos2-exactly-once',
      detail: `${e.id} delivered twice to ${e.c}${why}`,
      excerpt: [prev, e],
    };
    this.violations.push(v);
    return v;
  }
}

export function checkNoQos2Duplicates(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  const checker = new Qos2OnceChecker(opts);
  for (const e of events) checker.feed(e);
  return checker.violations;
}
