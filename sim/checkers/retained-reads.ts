// Retained reads after convergence are never stale: a retained message a
// client gets on SUBSCRIBE must not be one that a later write to the same
// topic (a new retained message, or a clear: an empty retained payload)
// superseded before the SUBSCRIBE was invoked. "Later" is real time: the
// superseding write was invoked after the read message's PUBACK and
// acknowledged before the SUBSCRIBE. Writes concurrent with each other or
// with the SUBSCRIBE may go either way. Only SUBSCRIBEs from `convergedAt`
// on are judged (default: 30 s after the last fault ended); during a split
// each side serves what it has (availability).

import type { At, PubInvokeEvent, PubOkEvent } from '../events.ts';
import { faultsOf, indexOf, lastFaultEnd, type Ev, type SafetyOptions, type Violation } from './common.ts';
import { lastSubscribe } from './no-loss.ts';

export const RETAINED_SETTLE_MS = 30_000;

interface Write {
  inv: At<PubInvokeEvent>;
  ok?: At<PubOkEvent>;
}

export function checkRetainedReads(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  const { invoked, ackOf } = indexOf(events);
  const faults = faultsOf(events);
  const end = lastFaultEnd(faults);
  const from = opts.convergedAt ?? (end > 0 ? end + RETAINED_SETTLE_MS : 0);
  const writes = new Map<string, Write[]>();
  for (const inv of invoked.values()) {
    if (!inv.retain) continue;
    const l = writes.get(inv.topic) ?? [];
    l.push({ inv, ok: ackOf.get(inv.id) });
    writes.set(inv.topic, l);
  }
  const out: Violation[] = [];
  for (const e of events) {
    if (e.type !== 'deliver' || !e.retain) continue;
    const sub = lastSubscribe(events, e.c, e.topic, e.t);
    if (!sub || sub.t < from) continue;
    const read = invoked.get(e.id);
    const readOk = ackOf.get(e.id);
    if (!read || !readOk) continue;
    for (const w of writes.get(e.topic) ?? []) {
      if (w === undefined || w.inv === read || !w.ok) continue;
      if (w.inv.t > readOk.t && w.ok.t < sub.t) {
        const what = w.inv.clear ? `cleared by ${w.inv.id}` : `superseded by ${w.inv.id}`;
        out.push({
          property: 'retained-reads',
          detail: `${e.c} subscribed at ${sub.t.toFixed(1)} ms and got retained ${e.id} on ${e.topic} from ${e.node}, ${what} (acknowledged at ${w.ok.t.toFixed(1)} ms)`,
          excerpt: [read, w.inv, w.ok, sub, e],
        });
        break;
      }
    }
  }
  return out;
}
