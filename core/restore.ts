// A node's restart with its data dir: its persistent sessions and retained messages rebuilt from the
// disk store (clustered, they then rejoin: core/cluster/durable.ts). Sessions keep counting
// their expiry from their last disconnect; those that expired while the node was down are removed,
// as are expired messages.

import { NEVER_EXPIRE } from './config.ts';
import { RecentSet } from './recent-set.ts';
import { isExpired, type Message } from './message.ts';
import type { Session } from './session.ts';
import type { LoadedState, SessionStore } from './session-store.ts';
import type { SubSpec } from './subscription.ts';

export interface RestoreCounts {
  sessions: number;
  messages: number;
  retained: number;
  expired: number;
}

/** What a restore needs of the broker it fills (core/broker.ts). */
export interface RestoreTarget {
  newSession(clientId: string): Session;
  adoptSession(s: Session, subs: SubSpec[]): void;
  /** Starts the expiry of an offline session, `delayMs` from now (0: never). */
  startExpiry(s: Session, delayMs: number): void;
  storeRetained(msg: Message): void;
}

export function restoreLoaded(
  store: SessionStore,
  loaded: LoadedState,
  now: number,
  r: RestoreCounts,
  b: RestoreTarget,
): void {
  for (const m of loaded.retained) {
    if (isExpired(m, now)) {
      store.forgetRetained(m.topic);
      r.expired++;
      continue;
    }
    b.storeRetained(m);
    r.retained++;
  }
  for (const st of loaded.sessions) {
    const rec = st.record;
    const since = rec.disconnectedAt || now; // 0: it was connected when the node stopped
    const left = rec.expiry === NEVER_EXPIRE ? Infinity : rec.expiry * 1000 - (now - since);
    if (left <= 0) {
      for (const o of st.owed) store.forget(st.clientId, o.pk);
      store.ended(st.clientId);
      r.expired++;
      continue;
    }
    const s = b.newSession(st.clientId);
    s.expiryInterval = rec.expiry;
    s.connectedAt = rec.connectedAt;
    s.disconnectedAt = since;
    s.protocolVersion = rec.protocolVersion;
    for (const p of rec.in2) s.addInboundQos2(p);
    if (rec.in2held) store.restoreHeld(st.clientId, rec.in2held);
    b.adoptSession(s, rec.subs);
    // Records keep their keys (pk set): delivering them writes nothing new.
    for (const o of st.owed) {
      if (o.completed) {
        // A QoS 2 message the client completed: a copy routed again (its publisher's resend) is dropped.
        if (o.msg.mid !== undefined) (s.seen ??= new RecentSet(8192)).add(o.msg.mid);
        store.noteCompleted(st.clientId, o.pk);
        continue;
      }
      const d = { msg: o.msg, qos: o.qos, retain: o.retain, subIds: o.subIds, pk: o.pk };
      // In flight: resent under its packet id on resume (after PUBREC, its PUBREL), whatever its expiry.
      if (o.pid !== undefined && (o.released || !isExpired(o.msg, now))) {
        s.restoreInflight(o.pid, { ...d, state: o.released ? 'pubrel' : 'publish' });
        r.messages++;
        continue;
      }
      if (isExpired(o.msg, now)) {
        store.forget(st.clientId, o.pk);
        r.expired++;
        continue;
      }
      s.deliver(d);
      r.messages++;
    }
    b.startExpiry(s, left === Infinity ? 0 : left);
    r.sessions++;
  }
}
