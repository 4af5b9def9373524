// One live connection per client id [MQTT-3.1.4-3]: when a second
// connection with the same client id is accepted, the server closes the
// first. From the history: two client processes sharing an id whose
// accepted connections (CONNACK 0 to the client's close) overlap for longer
// than `settleMs` (default 1 s: a takeover closes the old one within a few
// round trips). Seen from the clients: a connection half-open after its
// node lost power counts as live until the client notices.

import { timelineOf, type Ev, type SafetyOptions, type Violation } from './common.ts';

export function checkSingleConnection(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  const settle = opts.settleMs ?? 1000;
  const tl = timelineOf(events);
  const out: Violation[] = [];
  for (const [c, conns] of tl.conns) {
    for (let i = 0; i < conns.length; i++) {
      const a = conns[i];
      const aEnd = Math.min(a.endAt, tl.end);
      for (let j = i + 1; j < conns.length && conns[j].connackAt < aEnd; j++) {
        const b = conns[j];
        if (b.key === a.key) continue;
        const overlap = Math.min(aEnd, b.endAt, tl.end) - b.connackAt;
        if (overlap > settle) {
          const till = Math.min(a.endAt, b.endAt) === Infinity ? 'the end of the run' : `${Math.min(a.endAt, b.endAt).toFixed(1)} ms`;
          out.push({ property: 'single-connection', detail: `${c} had two live connections, on ${a.node} (${a.key}) and ${b.node} (${b.key}), from ${b.connackAt.toFixed(1)} ms to ${till}`, excerpt: [a.connack, b.connack] });
        }
      }
    }
  }
  return out;
}
