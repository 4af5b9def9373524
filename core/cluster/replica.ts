// A replica: a peer's persistent session as this node keeps it (neither routed nor delivered), and the
// handoff that gives it to the node where the session lives.

import type { Message, QoS } from '../message.ts';
import { RecentSet } from '../recent-set.ts';
import type { Session } from '../session.ts';
import { matches, parseShare } from '../topic.ts';
import type { LocalNode } from './local-node.ts';
import {
  encodeJson,
  encodeRMsg,
  F,
  toWire,
  type HandoffBody,
  type ROutBody,
  type RStateBody,
  type SubSpec,
} from './peer-protocol.ts';

export interface Replica {
  clientId: string;
  owner: string;
  at: number;
  expiry: number;
  subs: SubSpec[];
  /**
   * Owed messages in order, by message id; `sentAs`: QoS 2 sent with that packet id, PUBREC not yet received;
   * `orphan`: put here as a failed owner's orphan (no share group), not replicated by the owner (`takenOver`).
   */
  msgs: Map<string, { msg: Message; qos: QoS; sentAs?: number; orphan?: boolean }>;
  /** Recently completed message ids: a copy still on its way (an orphan) must not be delivered again. */
  done: Set<string>;
  in2: number[];
  /** Outbound QoS 2 packet ids past PUBREC (PUBREL owed). */
  rel: Set<number>;
  /** The packet id the owner sent QoS 2 under last (Session.pidsAfter). */
  lastSent?: number;
  user?: string;
  /** Made by the owner's previous life (it restarted since): unless it sends state again, it holds none. */
  old?: boolean;
}

/** `owner` restarted: our replicas of its sessions are of its previous life. */
export function previousLife(replicas: Map<string, Replica>, owner: string): void {
  for (const r of replicas.values()) if (r.owner === owner) r.old = true;
}

/**
 * The replica of a session `from` replicates from now on, in place of `prev` (another owner's, or none).
 * If `from` failed `prev`'s session over (the same claim), the orphans `prev` holds stay: its new copy may
 * never have had them (the F.Orphan frame to it, as the old owner's backup, was cut off, and it was lost
 * before confirming it), and the failover of that copy here is then their only way to the session
 * (explored-restart-oneway-orphans-lost, explored-restart-oneway-two-owners-loss). What `from` replicates or
 * completes of them replaces or drops them as any message of the replica.
 */
export function takenOver(from: string, st: RStateBody, prev?: Replica): Replica {
  const msgs: Replica['msgs'] = new Map();
  if (prev && prev.at === st.at)
    for (const [mid, e] of prev.msgs) if (e.orphan && !prev.done.has(mid)) msgs.set(mid, e);
  return {
    clientId: st.clientId,
    owner: from,
    at: st.at,
    expiry: st.expiry,
    subs: st.subs,
    msgs,
    done: new RecentSet(8192),
    in2: st.in2 ?? [],
    rel: new Set(),
    user: st.user,
  };
}

/**
 * What the replicas of `owner`'s sessions in `lost` (still of that claim) are owed of `msg` (their plain
 * subscriptions, their share groups not in `served`); undefined: none is left (each re-owned is dropped).
 */
export function owedByReplicas(
  replicas: ReadonlyMap<string, Replica>,
  owner: string,
  lost: Map<string, number>,
  msg: Message,
  served: ReadonlySet<string>,
): { plain: boolean; groups: string[] } | undefined {
  let any = false;
  let plain = false;
  const groups = new Set<string>();
  for (const [clientId, at] of lost) {
    const r = replicas.get(clientId);
    if (!r || r.owner !== owner || r.at !== at) {
      lost.delete(clientId);
      continue;
    }
    any = true;
    for (const sub of r.subs) {
      const p = parseShare(sub.key);
      if (!p || !matches(p.filter, msg.topic)) continue;
      if (p.group === undefined) plain = true;
      else if (!served.has(sub.key)) groups.add(sub.key);
    }
  }
  return any ? { plain, groups: [...groups] } : undefined;
}

/** The handoff of `r` to the node its session is on: the session there merges it (message ids drop what it has). */
export function replicaHandoff(r: Replica, now: number): HandoffBody {
  const body: HandoffBody = {
    clientId: r.clientId,
    subs: r.subs,
    expiry: r.expiry,
    msgs: [...r.msgs.values()].map((o) => toWire(o.msg, now, o.qos, o.sentAs)),
    seen: [...r.done],
  };
  if (r.rel.size) body.rel = [...r.rel];
  if (r.user !== undefined) body.user = r.user;
  return body;
}

/** The live session a replica becomes here: its queue (sent QoS 2 keeps its packet id), QoS 2 state both ways. */
export function restoreReplica(b: LocalNode, r: Replica): Session {
  const s = b.restoreSession(r.clientId, r.expiry, r.at, r.subs, [...r.msgs.values()]);
  for (const p of r.in2) s.addInboundQos2(p);
  for (const p of r.rel) s.addReleasing(p);
  if (r.lastSent !== undefined) s.pidsAfter(r.lastSent);
  return s;
}

/** An outbound QoS 2 step of the session `r` replicates (frames from qos2Frame). */
export function replicaQos2(r: Replica, o: ROutBody): void {
  const e = o.mid === undefined ? undefined : r.msgs.get(o.mid);
  if (o.step === 'sent') {
    r.lastSent = o.pid;
    if (e) e.sentAs = o.pid;
  } else if (o.step === 'released') {
    // The client has it (its done may still be batched): only the PUBREL is owed, never the message again.
    if (o.mid !== undefined && r.msgs.delete(o.mid)) r.done.add(o.mid);
    r.rel.add(o.pid);
  } else r.rel.delete(o.pid);
}

export function qos2Frame(clientId: string, pid: number, step: ROutBody['step'], mid?: string): Buffer {
  const body: ROutBody = { clientId, pid, step };
  if (mid !== undefined) body.mid = mid;
  return encodeJson(F.ROut, body);
}

/** A full copy of `s` for a peer (after its link comes up): state, owed messages, outbound QoS 2 state. */
export function replicaSnapshot(s: Session, state: RStateBody, now: number, msgs = true): Buffer[] {
  const out = [encodeJson(F.RState, state)];
  if (!msgs) return out; // a thin replica (core/cluster/store-fetch.ts)
  for (const d of s.pending())
    if (d.msg.mid !== undefined) out.push(encodeRMsg(s.clientId, d.qos, d.msg, now));
  for (const d of s.pending())
    if (d.sentAs !== undefined) out.push(qos2Frame(s.clientId, d.sentAs, 'sent', d.msg.mid));
  for (const p of s.releasing()) out.push(qos2Frame(s.clientId, p, 'released'));
  return out;
}
