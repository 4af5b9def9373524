// A will is published if and only if the spec says so [MQTT-3.1.2-8..10,
// MQTT-3.1.3-9, MQTT-3.14.4-3], judged per accepted connection of a client
// with a will, from the broker's `will` events (the simulator records them;
// a live history does not, and the checker then only counts the wills it
// could not see). A will belongs to the client's last connection before it on
// the node it was for (the lost node a peer published it for), else to the
// client's last connection before it.
//   - none after a clean DISCONNECT (reason code 0), unless it was sent after the connection's node crashed
//     (also when it restarted since: the server lost the connection without a DISCONNECT, the will is due);
//   - at most one per connection;
//   - none when the client came back with its session within the will delay
//     (less the time the server may have noticed the loss before the client:
//     2 keep alives);
//   - not before the earlier of will delay and session expiry has passed since
//     the client killed the connection or sent DISCONNECT 0x04;
//   - one when the session ended (the next CONNACK says session present 0)
//     after a connection lost without a clean DISCONNECT: at the session's end
//     at the latest, so at the earlier of will delay and session expiry;
//   - one when the client never came back and the run went on past the earlier
//     of delay and expiry plus the time to notice the loss (2 keep alives,
//     or a node's down detection) plus 5 s.
// The server and the clients share the simulator's clock, so times compare.
// Named trade-off `split-will` (docs/guarantees.md): a node that loses
// contact with a peer for its down detection takes it for dead and publishes
// the wills of its clients (EMQX #1667), though a client may still be
// connected there. A will published by another node than the connection's
// while a partition, clog or pause kept the two apart (or within `settleMs`
// after) is counted, not judged, as long as no will is missing; so is a
// second will published by a node cut off from the node that published the
// first (both sides of a split failed the dead node's sessions over).

import type { At, WillEvent } from '../events.ts';
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

export function checkWills(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  const tl = timelineOf(events);
  const observed = [...tl.nodes.values()].some((n) => n.hooks);
  const wills = new Map<string, At<WillEvent>[]>();
  // The node whose connection a will was for: the lost node a peer published it for (cluster.will), else its own.
  const lostOn = new Map<At<WillEvent>, string>();
  const relayed = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'cluster.will') relayed.set(`${e.node} ${e.clientId}`, String(e.from));
    if (e.type !== 'will') continue;
    lostOn.set(e, relayed.get(`${e.node} ${e.c}`) ?? e.node ?? '');
    relayed.delete(`${e.node} ${e.c}`);
    const l = wills.get(e.c) ?? [];
    l.push(e);
    wills.set(e.c, l);
  }
  let downAfter = 0;
  for (const n of tl.nodes.values()) downAfter = Math.max(downAfter, n.downAfterMs ?? 0);
  const faults = faultsOf(events);
  const settle = settleOf(events, opts);
  const out: Violation[] = [];
  for (const cfg of tl.clients.values()) {
    const will = cfg.will;
    if (!will) continue;
    if (!observed) {
      count(opts.tally, 'wills-unobserved');
      continue;
    }
    const conns = (tl.conns.get(cfg.c) ?? []).filter((x) => tl.clients.get(x.key) === cfg);
    // A will belongs to the client's last connection on that node before it (a connection lost with its
    // node may have its will published after the client reconnected elsewhere), else to its last one.
    const connOf = (w: At<WillEvent>) => {
      let any: Conn | undefined;
      let onNode: Conn | undefined;
      for (const x of conns) {
        if (x.connackAt >= w.t) break;
        any = x;
        if (x.node === lostOn.get(w)) onNode = x;
      }
      return onNode ?? any;
    };
    const mine = wills.get(cfg.c) ?? [];
    const delayMs = will.delay * 1000;
    const expiryMs = cfg.clean && cfg.version < 5 ? 0 : cfg.expiry * 1000;
    const dueMs = Math.min(delayMs, expiryMs);
    // The client notices a dead connection within 2 keep alives; the server may notice that much earlier, or later (node down).
    const slackMs = 2 * cfg.keepalive * 1000;
    const noticeMs = Math.max(slackMs, downAfter);
    for (let i = 0; i < conns.length; i++) {
      const k = conns[i];
      const next = conns[i + 1];
      const ws = mine.filter((w) => connOf(w) === k);
      // Judged: the wills not covered by split-will (the others only count as published).
      // Also a second will from a node cut off from the one that published the first: each side of a split
      // took the dead node's sessions over, neither could know of the other's will.
      const firm = ws.filter(
        (w, i) =>
          !(k.node && w.node !== k.node && cutOff(faults, w.node, k.node, w.t, settle)) &&
          !ws.slice(0, i).some((x) => x.node !== w.node && cutOff(faults, x.node, w.node, w.t, settle)),
      );
      count(opts.tally, 'split-will', ws.length - firm.length);
      const bad = (property: string, detail: string, excerpt: Ev[]) =>
        out.push({ property, detail: `${cfg.c}: ${detail}`, excerpt: [k.connack, ...excerpt] });
      if (firm.length > 1)
        bad(
          'will-once',
          `${firm.length} wills for one connection (at ${firm.map((w) => w.t.toFixed(1)).join(', ')} ms)`,
          firm,
        );
      // A DISCONNECT sent to a crashed node never arrived: the server lost the connection without one [MQTT-3.1.2-8].
      const unheard = k.node !== null && crashedOn(faults, k.node, k.connackAt, k.endAt);
      const clean = k.end === 'disconnect' && k.rc === 0 && !unheard;
      if (clean) {
        if (firm.length)
          bad(
            'will-iff',
            `will published at ${firm[0].t.toFixed(1)} ms after a clean DISCONNECT at ${k.endAt.toFixed(1)} ms`,
            firm,
          );
        continue;
      }
      if (k.end === 'open') continue; // the client still holds it; a server that saw it die may publish
      if (ws.length) {
        const w = firm[0];
        if (!w) continue;
        if (next && next.present && next.connackAt - k.endAt < delayMs - slackMs) {
          bad(
            'will-iff',
            `will published at ${w.t.toFixed(1)} ms though the client was back with its session ${((next.connackAt - k.endAt) / 1000).toFixed(1)} s after losing the connection, within its will delay of ${will.delay} s`,
            [w, next.connack],
          );
        }
        const serverKnew = !unheard && (k.end === 'kill' || k.end === 'disconnect');
        // A next connection told session present 0 ended the session (for the client) sooner: due then too.
        const endedAt = next && !next.present ? next.connackAt - settle : Infinity;
        if (serverKnew && w.t < Math.min(k.endAt + dueMs, endedAt) - 1) {
          bad(
            'will-timing',
            `will published ${((w.t - k.endAt) / 1000).toFixed(1)} s after the connection ended, before the earlier of will delay ${will.delay} s and session expiry ${expiryMs / 1000} s`,
            [w],
          );
        }
        continue;
      }
      if (next && !next.present) {
        bad(
          'will-iff',
          `no will for the connection lost at ${k.endAt.toFixed(1)} ms, though the session had ended by the next CONNACK (session present 0) at ${next.connackAt.toFixed(1)} ms`,
          [next.connack],
        );
      } else if (!next && tl.end > k.endAt + dueMs + noticeMs + 5000) {
        bad(
          'will-iff',
          `no will for the connection lost at ${k.endAt.toFixed(1)} ms; the client never came back and the will was due ${dueMs / 1000} s after the loss was noticed`,
          [],
        );
      } else if (next && next.present && next.connackAt > k.endAt + delayMs + noticeMs + 5000) {
        bad(
          'will-iff',
          `no will for the connection lost at ${k.endAt.toFixed(1)} ms; the client came back only at ${next.connackAt.toFixed(1)} ms, past its will delay of ${will.delay} s`,
          [next.connack],
        );
      }
    }
  }
  return out;
}

/** Whether a partition or clog between nodes x and y, or a pause of either, lasted into [t - settle, t]. */
function cutOff(faults: FaultWindow[], x: string, y: string, t: number, settle: number): boolean {
  return faults.some((f) => {
    if (f.from > t || f.to < t - settle) return false;
    return f.kind === 'pause' ? f.a[0] === x || f.a[0] === y : separates(f, x, y);
  });
}

/**
 * Whether `node` crashed between the CONNACK at `connack` and the client's end of the connection at `end`:
 * the crash ended the connection for the server (a restarted node does not know it), so what the client
 * sent later was lost.
 */
function crashedOn(faults: FaultWindow[], node: string, connack: number, end: number): boolean {
  return faults.some((f) => f.kind === 'crash' && f.a[0] === node && f.from >= connack && f.from <= end);
}
