// Strict assertions shared by the registry regressions: they read the history
// only and excuse nothing the broker recorded (a logged drop is still a loss).

import type { At, Ev, PubInvokeEvent } from '../../sim/events.ts';
import { matches } from '../../core/topic.ts';

/**
 * Ids of QoS 1/2 messages on `filter`, published from `from` on and acknowledged
 * to their publisher, that never reached `client` (on any connection of that id).
 */
export function ackedNeverDelivered(events: Ev[], client: string, filter: string, from: number): string[] {
  const invoked = new Map<string, At<PubInvokeEvent>>();
  const delivered = new Set<string>();
  const acked: string[] = [];
  for (const e of events) {
    if (e.type === 'pub.invoke') invoked.set(e.id, e);
    else if (e.type === 'pub.ok') acked.push(e.id);
    else if (e.type === 'deliver' && e.c === client) delivered.add(e.id);
  }
  return acked.filter((id) => {
    const inv = invoked.get(id)!;
    return inv.qos > 0 && inv.t >= from && matches(filter, inv.topic) && !delivered.has(id);
  });
}

/** Broker-recorded drops for `client`, by reason (reported, never excused). */
export function dropsOf(events: Ev[], client: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) if (e.type === 'drop' && e.c === client) out[e.reason] = (out[e.reason] ?? 0) + 1;
  return out;
}
