// DUP only on resends [MQTT-3.3.1-1, -2, MQTT-4.4.0-1]: the server sets DUP
// when it sends a PUBLISH again, and a server resends only when a session
// resumes on a new connection. From the client's side a DUP=1 delivery of
// message M on connection k is legitimate when
//   resend-seen:    the client already received M earlier in the same session, or
//   resend-unseen:  k resumed the session (session present 1) and M was published
//                   before k's CONNACK, so it can have been sent on an earlier
//                   connection that died before the bytes arrived;
// otherwise it is a first transmission marked DUP: a violation. So is DUP on
// QoS 0. Both kinds of resend are counted in the tally, not failed.

import {
  connAt,
  count,
  indexOf,
  keyOf,
  timelineOf,
  type Ev,
  type SafetyOptions,
  type Violation,
} from './common.ts';

export function checkDupOnlyOnResend(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  const { invoked, deliveries } = indexOf(events);
  const tl = timelineOf(events);
  const out: Violation[] = [];
  for (const ds of deliveries.values()) {
    for (let i = 0; i < ds.length; i++) {
      const e = ds[i];
      if (!e.dup) continue;
      if (e.qos === 0) {
        out.push({
          property: 'dup-only-on-resend',
          detail: `${e.c} got ${e.id} at QoS 0 with DUP 1`,
          excerpt: [e],
        });
        continue;
      }
      const c = e.c;
      const conn = connAt(tl, c, keyOf(e), e.t);
      if (!conn) continue; // before a CONNACK: connack-first's finding
      // The session the delivery belongs to began at the last CONNACK of this id with session present 0.
      let sessionFrom = 0;
      for (const x of tl.conns.get(c) ?? []) if (!x.present && x.connackAt <= e.t) sessionFrom = x.connackAt;
      if (ds.slice(0, i).some((d) => d.c === c && d.t >= sessionFrom)) {
        count(opts.tally, 'dup-resend-seen');
        continue;
      }
      const inv = invoked.get(e.id);
      if (!inv) {
        count(opts.tally, 'dup-unjudged');
        continue;
      }
      if (conn.present && inv.t < conn.connackAt) {
        count(opts.tally, 'dup-resend-unseen');
        continue;
      }
      const why = conn.present
        ? `published at ${inv.t.toFixed(1)} ms, after this connection's CONNACK`
        : 'on a new session (session present 0)';
      out.push({
        property: 'dup-only-on-resend',
        detail: `${c} got ${e.id} with DUP 1 from ${e.node} though it was never sent before: ${why}`,
        excerpt: [conn.connack, e],
      });
    }
  }
  return out;
}
