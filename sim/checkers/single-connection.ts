// One live connection per client id [MQTT-3.1.4-3]: when a second
// connection with the same client id is accepted, the server closes the
// first. From the history: two client processes sharing an id whose
// accepted connections (CONNACK 0 to the client's close) overlap for longer
// than the settle (settleOf: 1 s in the simulator, a takeover closes the old
// one within a few round trips; live processes record the bound their
// heartbeats guarantee, as the runtime's latency is not modelled). A connection ends at its node's crash at the latest: the
// client may hold it half-open (power loss, no RST) until its keep alive
// runs out, but no server holds it any more, so nothing can close it and
// nothing comes over it (a connect elsewhere meanwhile is a second session
// holder only on the client's side).
//
// Named trade-off `split-connect` (docs/guarantees.md, availability during
// a split): the second connection was accepted while a partition or clog
// separated the two connections' nodes, so neither could hear of the other's
// claim; counted, not failed, if the overlap ends within `settleMs` of the
// end of that separation. The nodes' own view counts as well: a node that
// has its peer down (`cluster.peer.down` until `cluster.peer.up`, e.g. a
// node just resumed from a pause, its links dead until it dials again)
// cannot hear the peer's claim either, nor can a paused node.

import {
  count,
  faultsOf,
  separates,
  settleOf,
  timelineOf,
  type Conn,
  type Ev,
  type FaultWindow,
  type SafetyOptions,
  type Violation,
} from './common.ts';

/** Two accepted connections of one client id, open at once. */
export interface Overlap {
  c: string;
  a: Conn;
  b: Conn;
  from: number;
  to: number;
  /** Covered by the split-connect trade-off. */
  split: boolean;
}

export function checkSingleConnection(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  const settle = settleOf(events, opts);
  const out: Violation[] = [];
  for (const o of overlapsOf(events, settle)) {
    if (o.to - o.from <= settle) continue;
    if (o.split) {
      count(opts.tally, 'split-connect');
      continue;
    }
    const { c, a, b } = o;
    const till =
      Math.min(a.endAt, b.endAt) === Infinity
        ? 'the end of the run'
        : `${Math.min(a.endAt, b.endAt).toFixed(1)} ms`;
    out.push({
      property: 'single-connection',
      detail: `${c} had two live connections, on ${a.node} (${a.key}) and ${b.node} (${b.key}), from ${b.connackAt.toFixed(1)} ms to ${till}`,
      excerpt: [a.connack, b.connack],
    });
  }
  return out;
}

/** Every overlap of two processes' accepted connections of one client id. */
export function overlapsOf(events: Ev[], settle: number): Overlap[] {
  const tl = timelineOf(events);
  const faults = faultsOf(events);
  const unheard = peerDownWindows(events);
  const out: Overlap[] = [];
  // Served until its node crashed, if it did before the client closed it.
  const servedUntil = (x: Conn): number => {
    let end = x.endAt;
    for (const f of faults)
      if (f.kind === 'crash' && f.a[0] === x.node && f.from >= x.connackAt && f.from < end) end = f.from;
    return end;
  };
  for (const [c, conns] of tl.conns) {
    for (let i = 0; i < conns.length; i++) {
      const a = conns[i];
      const aEnd = Math.min(servedUntil(a), tl.end);
      for (let j = i + 1; j < conns.length && conns[j].connackAt < aEnd; j++) {
        const b = conns[j];
        if (b.key === a.key) continue;
        const to = Math.min(aEnd, servedUntil(b), tl.end);
        const cutUntil =
          a.node && b.node && a.node !== b.node
            ? apartUntil(faults, unheard, a.node, b.node, b.connackAt)
            : -Infinity;
        out.push({ c, a, b, from: b.connackAt, to, split: to <= cutUntil + settle });
      }
    }
  }
  return out;
}

/**
 * When nodes x and y could hear each other again, if a partition or clog separated them at time t
 * (-Infinity if none did): the end of that fault, and of any later one that kept them apart from then on.
 */
function separatedUntil(faults: FaultWindow[], x: string, y: string, t: number): number {
  let until = -Infinity;
  let at = t;
  for (;;) {
    let next = until;
    for (const f of faults) if (f.from <= at && f.to > at && separates(f, x, y)) next = Math.max(next, f.to);
    if (next <= until) return until;
    until = next;
    at = next;
  }
}

/** Per `node peer`: the times the node had that peer down (peer.down to the next peer.up). */
function peerDownWindows(events: Ev[]): Map<string, { from: number; to: number }[]> {
  const out = new Map<string, { from: number; to: number }[]>();
  for (const e of events) {
    if (e.type !== 'cluster.peer.down' && e.type !== 'cluster.peer.up') continue;
    const k = `${e.node} ${e.peer}`;
    const l = out.get(k) ?? [];
    const open = l.length && l[l.length - 1].to === Infinity ? l[l.length - 1] : null;
    if (e.type === 'cluster.peer.down' && !open) l.push({ from: e.t, to: Infinity });
    else if (e.type === 'cluster.peer.up' && open) open.to = e.t;
    out.set(k, l);
  }
  return out;
}

/** When x and y could hear each other again, if a fault or their own view kept them apart at t (each from the end of the last). */
function apartUntil(
  faults: FaultWindow[],
  unheard: Map<string, { from: number; to: number }[]>,
  x: string,
  y: string,
  t: number,
): number {
  let until = -Infinity;
  let at = t;
  for (;;) {
    let next = Math.max(until, separatedUntil(faults, x, y, at), unheardUntil(unheard, x, y, at));
    // A paused node hears nothing until it resumes.
    for (const f of faults)
      if (f.kind === 'pause' && f.from <= at && f.to > at && (f.a[0] === x || f.a[0] === y))
        next = Math.max(next, f.to);
    if (next <= until) return until;
    until = next;
    at = next;
  }
}

/** When x and y both had each other up again, if either had the other down at time t (-Infinity if not). */
function unheardUntil(
  w: Map<string, { from: number; to: number }[]>,
  x: string,
  y: string,
  t: number,
): number {
  let until = -Infinity;
  for (const k of [`${x} ${y}`, `${y} ${x}`])
    for (const d of w.get(k) ?? []) if (d.from <= t && t < d.to) until = Math.max(until, d.to);
  return until;
}
