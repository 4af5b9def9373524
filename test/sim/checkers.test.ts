// Each checker on small synthetic histories: it catches a crafted violating
// history and passes a correct one; the strict client records a protocol
// violation when a raw simulated server breaks the protocol.

import { describe, it, expect } from 'vitest';
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import {
  checkSafety,
  checkNoLoss,
  checkConnackFirst,
  checkDupOnlyOnResend,
  checkSingleConnection,
  checkOrder,
  checkRetainedReads,
  checkWills,
  checkSharedOnce,
  checkClientProtocol,
  checkNoQos2Duplicates,
  type Ev,
  type Tally,
  DEFAULT_ACCEPTED,
} from '../../sim/checkers.ts';
import { World } from '../../sim/world.ts';
import { idOf } from '../../sim/events.ts';
import type { SimSocket } from '../../sim/network.ts';

type Fields = Record<string, unknown>;
const e = (t: number, type: string, f: Fields = {}): Ev => ({ type, ...f, t }) as Ev;

/** A persistent v5 subscriber `sub` on n1 with expiry `expiry` s, connected at 10. */
function base(expiry = 3600, extra: Fields = {}): Ev[] {
  return [
    e(0, 'node.config', { node: 'n1', maxQueued: 3, ackMode: 'replicated', downAfterMs: 5000, hooks: true }),
    e(0, 'client.config', { c: 'sub', version: 5, clean: false, expiry, keepalive: 30, ...extra }),
    e(1, 'client.connect', { c: 'sub', target: 'n1' }),
    e(10, 'client.connack', { c: 'sub', rc: 0, present: false, node: 'n1' }),
    e(11, 'sub.invoke', { c: 'sub', filters: 'a/#' }),
  ];
}
const pub = (t: number, id: string, f: Fields = {}) => [
  e(t, 'pub.invoke', { c: 'p', id, topic: 'a/1', qos: 1, retain: false, ...f }),
  e(t + 2, 'pub.ok', { c: 'p', id, node: 'n1' }),
];
const deliver = (t: number, id: string, f: Fields = {}) =>
  e(t, 'deliver', { c: 'sub', id, topic: 'a/1', qos: 1, dup: false, retain: false, node: 'n1', ...f });
const want = [{ client: 'sub', filter: 'a/#', from: 0 }];
const props = (vs: { property: string }[]) => vs.map((v) => v.property);

describe('no-acked-loss', () => {
  it('fails a lost acknowledged message even when the broker logged the drop', () => {
    const h = [
      ...base(),
      ...pub(20, 'p:1'),
      e(25, 'drop', { node: 'n1', c: 'sub', id: 'p:1', reason: 'no-session' }),
    ];
    const v = checkNoLoss(h, want);
    expect(props(v)).toEqual(['no-acked-loss']);
    expect(v[0].detail).toContain('no-session');
    expect(checkNoLoss([...base(), ...pub(20, 'p:1'), deliver(30, 'p:1')], want)).toEqual([]);
  });

  it('excuses a queue-full drop only at the configured bound, and counts it', () => {
    const full = [
      ...base(),
      ...pub(20, 'p:1'),
      ...pub(21, 'p:2'),
      ...pub(22, 'p:3'),
      ...pub(23, 'p:4'),
      e(24, 'drop', { node: 'n1', c: 'sub', id: 'p:1', reason: 'queue-full' }),
    ];
    const h = [...full, deliver(30, 'p:2'), deliver(31, 'p:3'), deliver(32, 'p:4')];
    const tally: Tally = {};
    expect(checkNoLoss(h, want, { tally })).toEqual([]);
    expect(tally).toEqual({ 'queue-overflow': 1 });
    // Only two pending at the drop (maxQueued 3): not a full queue.
    const early = [
      ...base(),
      ...pub(20, 'p:1'),
      ...pub(21, 'p:2'),
      e(23, 'drop', { node: 'n1', c: 'sub', id: 'p:1', reason: 'queue-full' }),
      deliver(30, 'p:2'),
    ];
    expect(checkNoLoss(early, want)[0].detail).toContain('under maxQueuedMessages 3');
  });

  it('excuses loss to an expired session only after its expiry', () => {
    const gone = (back: number) => [
      ...base(5),
      ...pub(20, 'p:1'),
      e(100, 'client.closed', { c: 'sub', reason: 'reset', was: 'connected' }),
      e(back, 'client.connack', { c: 'sub', rc: 0, present: false, node: 'n1' }),
    ];
    const tally: Tally = {};
    expect(checkNoLoss(gone(6000), want, { tally })).toEqual([]);
    expect(tally['session-expired']).toBe(1);
    expect(checkNoLoss(gone(2000), want)[0].detail).toContain('under its expiry of 5 s');
  });

  it("excuses ackMode 'local' only when the run accepts it, and only with a fault on the acknowledging node", () => {
    const h = [...base(), ...pub(20, 'p:1'), e(22.5, 'fault.crash', { node: 'n1', mode: 'power' })];
    h[0] = e(0, 'node.config', { node: 'n1', maxQueued: 3, ackMode: 'local', hooks: true });
    const tally: Tally = {};
    const accept = [...DEFAULT_ACCEPTED, 'ack-local' as const];
    expect(checkNoLoss(h, want, { tally, accept })).toEqual([]);
    expect(tally['ack-local']).toBe(1);
    expect(checkNoLoss(h, want)[0].detail).toContain('ack-local, not accepted');
    expect(props(checkNoLoss(h.slice(0, -1), want, { accept }))).toEqual(['no-acked-loss']);
  });

  it('excuses what the other side published before the heal to a subscription made during the split, not after', () => {
    const h = [
      ...base().slice(0, 4),
      e(10.5, 'fault.partition', { a: 'n1', b: 'n2', oneWay: false }),
      e(11, 'sub.invoke', { c: 'sub', filters: 'a/#' }),
      e(20, 'pub.invoke', { c: 'p', id: 'p:1', topic: 'a/1', qos: 1, retain: false }),
      e(22, 'pub.ok', { c: 'p', id: 'p:1', node: 'n2' }),
      e(50, 'fault.heal'),
      e(60, 'pub.invoke', { c: 'p', id: 'p:2', topic: 'a/1', qos: 1, retain: false }),
      e(62, 'pub.ok', { c: 'p', id: 'p:2', node: 'n2' }),
    ];
    const tally: Tally = {};
    const v = checkNoLoss(h, want, { tally });
    expect(tally['split-subscribe']).toBe(1);
    expect(v.map((x) => idOf(x.excerpt[0]))).toEqual(['p:2']);
  });
});

describe('connack-first', () => {
  it('fails a delivery between CONNECT and CONNACK, and the strict client’s record of one', () => {
    const early = [
      e(1, 'client.connect', { c: 'sub', target: 'n1' }),
      deliver(2, 'p:1'),
      e(3, 'client.connack', { c: 'sub', rc: 0, present: true, node: 'n1' }),
    ];
    expect(props(checkConnackFirst(early))).toEqual(['connack-first']);
    expect(
      props(
        checkConnackFirst([
          e(1, 'protocol-violation', {
            c: 'sub',
            kind: 'publish-before-connack',
            rule: 'MQTT-3.2.0-1',
            detail: 'x',
            node: 'n1',
          }),
        ]),
      ),
    ).toEqual(['connack-first']);
    expect(checkConnackFirst([early[0], early[2], deliver(4, 'p:1')])).toEqual([]);
  });
});

describe('dup-only-on-resend', () => {
  it('fails DUP on a first transmission, counts resends', () => {
    // New session: nothing can have been sent before.
    expect(
      props(checkDupOnlyOnResend([...base(), ...pub(20, 'p:1'), deliver(30, 'p:1', { dup: true })])),
    ).toEqual(['dup-only-on-resend']);
    // Resumed session, published after this CONNACK: a first transmission.
    const resumed = [
      ...base(),
      e(40, 'client.closed', { c: 'sub', reason: 'reset' }),
      e(50, 'client.connack', { c: 'sub', rc: 0, present: true, node: 'n1' }),
    ];
    expect(
      props(checkDupOnlyOnResend([...resumed, ...pub(60, 'p:1'), deliver(70, 'p:1', { dup: true })])),
    ).toEqual(['dup-only-on-resend']);
    // Published before it: may have died on the old connection; or seen before in the session.
    const tally: Tally = {};
    expect(
      checkDupOnlyOnResend(
        [
          ...base(),
          ...pub(20, 'p:1'),
          ...pub(21, 'p:2'),
          deliver(25, 'p:2'),
          ...resumed.slice(5),
          deliver(55, 'p:1', { dup: true }),
          deliver(56, 'p:2', { dup: true }),
        ],
        { tally },
      ),
    ).toEqual([]);
    expect(tally).toEqual({ 'dup-resend-unseen': 1, 'dup-resend-seen': 1 });
    expect(
      props(
        checkDupOnlyOnResend([
          ...base(),
          e(20, 'pub.invoke', { c: 'p', id: 'p:1', topic: 'a/1', qos: 0 }),
          deliver(30, 'p:1', { qos: 0, dup: true }),
        ]),
      ),
    ).toEqual(['dup-only-on-resend']);
  });
});

describe('single-connection', () => {
  const two = (closeA: number) => [
    e(10, 'client.connack', { c: 'dev', h: 'a', rc: 0, present: false, node: 'n1' }),
    e(20, 'client.connack', { c: 'dev', h: 'b', rc: 0, present: true, node: 'n2' }),
    e(closeA, 'client.closed', { c: 'dev', h: 'a', reason: 'server-disconnect' }),
    e(9000, 'fault.heal'),
  ];
  it('fails two processes with one id both connected past the settle time', () => {
    expect(props(checkSingleConnection(two(5000)))).toEqual(['single-connection']);
    expect(checkSingleConnection(two(25))).toEqual([]);
  });
  it('takes the settle time the nodes recorded (live processes: their heartbeat timeout + interval), else 1 s', () => {
    const node = (settleMs?: number) =>
      e(0, 'node.config', { node: 'n1', maxQueued: 10, hooks: false, downAfterMs: 40_000, settleMs });
    // 1015 ms: a loaded machine's takeover at a time scale of 0.05 (51 ms of wall time).
    expect(props(checkSingleConnection([node(), ...two(1035)]))).toEqual(['single-connection']);
    expect(checkSingleConnection([node(42_000), ...two(1035)])).toEqual([]);
    // Past the bound the heartbeats guarantee: still a violation.
    expect(
      props(checkSingleConnection([node(42_000), ...two(45_000).slice(0, 3), e(46_000, 'fault.heal')])),
    ).toEqual(['single-connection']);
    // A scenario's own settleMs wins.
    expect(props(checkSingleConnection([node(42_000), ...two(1035)], { settleMs: 1000 }))).toEqual([
      'single-connection',
    ]);
  });
  it("ends a connection at its node's crash: a half-open one the client still holds is not a second live connection", () => {
    const crashed = (at: number) => [
      ...two(5000).slice(0, 1),
      e(at, 'fault.crash', { node: 'n1', mode: 'power' }),
      ...two(5000).slice(1),
    ];
    expect(checkSingleConnection(crashed(15))).toEqual([]);
    // The crash came 3 s after the second connect: both were served that long.
    expect(props(checkSingleConnection(crashed(3000)))).toEqual(['single-connection']);
    // A crash of the other connection's node, or before the first connected, ends nothing of it.
    expect(
      props(
        checkSingleConnection([
          e(5, 'fault.crash', { node: 'n1', mode: 'power' }),
          e(8, 'node.start', { node: 'n1' }),
          ...two(5000),
        ]),
      ),
    ).toEqual(['single-connection']);
  });
  it('counts as split-connect two connections accepted while a clog kept their nodes apart, ended within the settle time of its end', () => {
    const clogged = (closeA: number, unclog: number) => [
      e(5, 'fault.clog', { a: 'n1', b: 'n2', oneWay: false }),
      ...two(closeA).slice(0, 2),
      e(unclog, 'fault.unclog'),
      ...two(closeA).slice(2),
    ];
    const tally: Tally = {};
    expect(checkSingleConnection(clogged(5000, 4500), { tally })).toEqual([]);
    expect(tally['split-connect']).toBe(1);
    // Still open 1 s after the nodes could hear each other again: a violation.
    expect(props(checkSingleConnection(clogged(5000, 2000)))).toEqual(['single-connection']);
    // Both on one node: no split excuses it.
    const sameNode = [
      e(5, 'fault.clog', { a: 'n1', b: 'n2', oneWay: false }),
      ...two(5000).map((x) => (x.type === 'client.connack' && x.h === 'b' ? { ...x, node: 'n1' } : x)),
    ];
    expect(props(checkSingleConnection(sameNode))).toEqual(['single-connection']);
  });
  it("counts as split-connect a connect accepted by a node that had the other's node down (just resumed from a pause)", () => {
    const resumed = (closeA: number) => [
      e(15, 'cluster.peer.down', { node: 'n2', peer: 'n1' }),
      e(15, 'cluster.peer.down', { node: 'n1', peer: 'n2' }),
      ...two(closeA).slice(0, 2),
      e(4500, 'cluster.peer.up', { node: 'n1', peer: 'n2' }),
      e(4501, 'cluster.peer.up', { node: 'n2', peer: 'n1' }),
      ...two(closeA).slice(2),
    ];
    const tally: Tally = {};
    expect(checkSingleConnection(resumed(5000), { tally })).toEqual([]);
    expect(tally['split-connect']).toBe(1);
    // Still open 1 s after both had each other up again: a violation.
    expect(props(checkSingleConnection(resumed(6000)))).toEqual(['single-connection']);
  });
  it("counts as split-connect a connect accepted while the other connection's node is paused", () => {
    const paused = (closeA: number) => [
      e(15, 'fault.pause', { node: 'n1' }),
      ...two(closeA).slice(0, 2),
      e(4500, 'fault.unpause', { node: 'n1' }),
      ...two(closeA).slice(2),
    ];
    const tally: Tally = {};
    expect(checkSingleConnection(paused(4600), { tally })).toEqual([]);
    expect(tally['split-connect']).toBe(1);
    expect(props(checkSingleConnection(paused(6000)))).toEqual(['single-connection']);
  });
  it('sets no order across the two processes of an id connected across a split; within one process order holds', () => {
    const pubOn = (t: number, id: string) =>
      e(t, 'pub.invoke', { c: 'p', id, topic: 'a/1', qos: 1, retain: false });
    const got = (t: number, id: string, h: string, node: string) =>
      e(t, 'deliver', { c: 'dev', h, id, topic: 'a/1', qos: 1, dup: false, retain: false, node });
    const split = [
      e(5, 'fault.clog', { a: 'n1', b: 'n2', oneWay: false }),
      ...two(4600).slice(0, 2),
      pubOn(30, 'p:1'),
      pubOn(40, 'p:2'),
      got(45, 'p:2', 'b', 'n2'),
      e(4500, 'fault.unclog'),
    ];
    const tally: Tally = {};
    expect(
      checkOrder(
        [
          ...split,
          e(4600, 'client.closed', { c: 'dev', h: 'b', reason: 'server-disconnect' }),
          got(4700, 'p:1', 'a', 'n1'),
        ],
        { tally },
      ),
    ).toEqual([]);
    expect(tally['split-connect-order']).toBe(1);
    expect(props(checkOrder([...split, got(4700, 'p:1', 'b', 'n2')]))).toEqual(['order']);
    // The survivor gets the other copy's older message at the takeover: not ordered after its own; later it is.
    const survivor = (t: number) => [
      ...split.map((x) => (x.type === 'deliver' ? { ...x, h: 'a', node: 'n1' } : x)),
      e(4600, 'client.closed', { c: 'dev', h: 'b', reason: 'server-disconnect' }),
      got(t, 'p:1', 'a', 'n1'),
    ];
    const t2: Tally = {};
    expect(checkOrder(survivor(4700), { tally: t2 })).toEqual([]);
    expect(t2['split-connect-order']).toBe(1);
    expect(props(checkOrder(survivor(7000)))).toEqual(['order']);
    // The handed copy may reach the survivor between the loser's Session taken over (0x8E) and its close.
    const early = [
      ...split.map((x) => (x.type === 'deliver' ? { ...x, h: 'a', node: 'n1' } : x)),
      e(4550, 'client.server-disconnect', { c: 'dev', h: 'b', rc: 0x8e }),
      got(4580, 'p:1', 'a', 'n1'),
      e(4600, 'client.closed', { c: 'dev', h: 'b', reason: 'server-disconnect' }),
    ];
    expect(checkOrder(early)).toEqual([]);
    expect(props(checkOrder(early.filter((x) => x.type !== 'client.server-disconnect')))).toEqual(['order']);
    // What the merge brings by several paths (the handoff, forwards following it) in its settle time: no order.
    const merged = (t: number) => [
      ...split.filter((x) => x.type !== 'deliver'),
      pubOn(41, 'p:3'),
      e(4600, 'client.closed', { c: 'dev', h: 'b', reason: 'server-disconnect' }),
      got(t, 'p:3', 'a', 'n1'),
      got(t + 10, 'p:1', 'a', 'n1'),
    ];
    expect(checkOrder(merged(4700))).toEqual([]);
    expect(props(checkOrder(merged(5700)))).toEqual(['order']);
  });
  it('judges order per session: a CONNACK with session present 0 starts afresh, within a session order holds', () => {
    const pubOn = (t: number, id: string) =>
      e(t, 'pub.invoke', { c: 'p', id, topic: 'a/1', qos: 1, retain: false });
    const got = (t: number, id: string) =>
      e(t, 'deliver', { c: 'dev', id, topic: 'a/1', qos: 1, dup: false, retain: false, node: 'n1' });
    const ack = (t: number, present: boolean) =>
      e(t, 'client.connack', { c: 'dev', rc: 0, present, node: 'n1' });
    const before = [ack(1, false), pubOn(10, 'p:1'), pubOn(20, 'p:2'), got(25, 'p:2')];
    expect(checkOrder([...before, ack(100, false), got(110, 'p:1')])).toEqual([]);
    expect(props(checkOrder([...before, ack(100, true), got(110, 'p:1')]))).toEqual(['order']);
    expect(props(checkOrder([...before, got(110, 'p:1')]))).toEqual(['order']);
    // The old session's messages passed on to the new one later: no order against the new one's own, but
    // among themselves.
    const fresh = [ack(1, false), pubOn(10, 'p:1'), pubOn(20, 'p:2'), ack(100, false), pubOn(110, 'p:3')];
    expect(checkOrder([...fresh, got(120, 'p:3'), got(130, 'p:1'), got(131, 'p:2')])).toEqual([]);
    expect(props(checkOrder([...fresh, got(120, 'p:3'), got(130, 'p:2'), got(131, 'p:1')]))).toEqual([
      'order',
    ]);
  });
  it('counts a DUP copy that arrives first as the first arrival; the original arriving later is a duplicate', () => {
    const pubOn = (t: number, id: string) =>
      e(t, 'pub.invoke', { c: 'p', id, topic: 'a/1', qos: 1, retain: false });
    const got = (t: number, id: string, h: string, dup: boolean) =>
      e(t, 'deliver', { c: 'dev', h, id, topic: 'a/1', qos: 1, dup, retain: false, node: 'n1' });
    const pubs = [pubOn(1, 'p:1'), pubOn(2, 'p:2')];
    // The new connection gets p:1 resent (DUP) then p:2; the old one's original p:1 lands after.
    expect(
      checkOrder([
        ...pubs,
        got(10, 'p:1', 'b', true),
        got(11, 'p:2', 'b', false),
        got(12, 'p:1', 'a', false),
      ]),
    ).toEqual([]);
    // A DUP that is the first arrival of an older message after a newer one is out of order.
    expect(props(checkOrder([...pubs, got(10, 'p:2', 'b', false), got(11, 'p:1', 'b', true)]))).toEqual([
      'order',
    ]);
  });
  it('sets no order for what a failed-over copy brings to the live session, but judges a takeover copy it waits for', () => {
    const pubOn = (t: number, id: string) =>
      e(t, 'pub.invoke', { c: 'p', id, topic: 'a/1', qos: 1, retain: false });
    const got = (t: number, id: string) =>
      e(t, 'deliver', { c: 'dev', id, topic: 'a/1', qos: 1, dup: false, retain: false, node: 'n1' });
    const ack = (t: number, node: string) => e(t, 'client.connack', { c: 'dev', rc: 0, present: true, node });
    const late = (t: number, from: string) =>
      e(t, 'handoff.msgs', { node: 'n1', c: 'dev', from, ids: 'p:1' });
    const pubs = [pubOn(1, 'p:1'), pubOn(2, 'p:2')];
    // n2, cut off from n1 or paused, failed n1 over (the session's node) and collected p:1 in its copy.
    const split = [ack(0, 'n1'), e(5, 'cluster.failover', { node: 'n2', from: 'n1', sessions: 1 }), ...pubs];
    const tally: Tally = {};
    expect(checkOrder([...split, got(20, 'p:2'), late(30, 'n2'), got(31, 'p:1')], { tally })).toEqual([]);
    expect(tally['copy-late-order']).toBe(1);
    // A copy of n3's, which failed over n2 holding the copy: the same.
    const chain = [...split, e(6, 'cluster.failover', { node: 'n3', from: 'n2', sessions: 1 })];
    expect(checkOrder([...chain, got(20, 'p:2'), late(30, 'n3'), got(31, 'p:1')])).toEqual([]);
    // The takeover from n2 where the client was: the session waits for that copy; out of order is a violation.
    const moved = [ack(0, 'n2'), ...pubs, ack(10, 'n1')];
    expect(props(checkOrder([...moved, got(11, 'p:2'), late(12, 'n2'), got(13, 'p:1')]))).toEqual(['order']);
    // ...unless it came after the wait for it was over (3 s).
    expect(checkOrder([...moved, got(11, 'p:2'), late(3010, 'n2'), got(3011, 'p:1')])).toEqual([]);
    // A message the copy did not bring is judged.
    const p0 = [pubOn(0.5, 'p:0'), ...split];
    expect(props(checkOrder([...p0, got(20, 'p:2'), late(30, 'n2'), got(31, 'p:0')]))).toEqual(['order']);
  });
  it('sets no order between a forward passed on around a fault and the direct path; without a fault it judges', () => {
    const pubOn = (t: number, id: string) =>
      e(t, 'pub.invoke', { c: 'p', id, topic: 'a/1', qos: 1, retain: false });
    const got = (t: number, id: string) =>
      e(t, 'deliver', { c: 'dev', id, topic: 'a/1', qos: 1, dup: false, retain: false, node: 'n1' });
    const ack = (t: number, node: string) => e(t, 'client.connack', { c: 'dev', rc: 0, present: true, node });
    const moved = (t: number, id: string) =>
      e(t, 'moved.msgs', { node: 'n1', c: 'dev', from: 'n2', ids: id });
    // The session moved from n2 to n1; p:1 reached n2 and was passed on, p:2 came to n1 directly.
    const base = [ack(0, 'n2'), ack(10, 'n1'), pubOn(20, 'p:1'), pubOn(21, 'p:2')];
    const cut = [e(15, 'fault.partition', { a: 'n2', b: 'n1,n3', oneWay: false }), e(25, 'fault.heal', {})];
    const tally: Tally = {};
    expect(
      checkOrder([...base, ...cut, got(30, 'p:2'), moved(31, 'p:1'), got(32, 'p:1')], { tally }),
    ).toEqual([]);
    expect(tally['moved-late-order']).toBe(1);
    // The passed-on one first, then an older direct one: the same (the relayed one set no order).
    const p0 = [pubOn(19, 'p:0'), ...base];
    expect(checkOrder([...p0, ...cut, moved(30, 'p:2'), got(30, 'p:2'), got(31, 'p:0')])).toEqual([]);
    // No fault near: a follow is judged.
    expect(props(checkOrder([...base, got(30, 'p:2'), moved(31, 'p:1'), got(32, 'p:1')]))).toEqual(['order']);
    // Not from a node the session was on: judged.
    const other = e(31, 'moved.msgs', { node: 'n1', c: 'dev', from: 'n3', ids: 'p:1' });
    expect(props(checkOrder([...base, ...cut, got(30, 'p:2'), other, got(32, 'p:1')]))).toEqual(['order']);
  });
  it('sets no order between two connections of one id that raced while both are open; within one, order holds', () => {
    const pubOn = (t: number, id: string) =>
      e(t, 'pub.invoke', { c: 'p', id, topic: 'a/1', qos: 0, retain: false });
    const got = (t: number, id: string, h: string) =>
      e(t, 'deliver', { c: 'dev', h, id, topic: 'a/1', qos: 0, dup: false, retain: false, node: 'n1' });
    const open = (t: number, h: string) => e(t, 'client.connect', { c: 'dev', h, target: 'n1' });
    const ack = (t: number, h: string) =>
      e(t, 'client.connack', { c: 'dev', h, rc: 0, present: true, node: 'n1' });
    const pubs = [pubOn(1, 'p:1'), pubOn(2, 'p:2')];
    // b reached the broker first and got p:1; a took over and got p:2, whose packet arrived first.
    const race = [open(3, 'a'), open(3, 'b'), ...pubs, ack(10, 'a'), got(11, 'p:2', 'a'), ack(12, 'b')];
    const tally: Tally = {};
    expect(checkOrder([...race, got(13, 'p:1', 'b')], { tally })).toEqual([]);
    expect(tally['connect-race-order']).toBe(1);
    // Within one connection the order holds.
    expect(props(checkOrder([...race, got(13, 'p:1', 'a')]))).toEqual(['order']);
    // b opened after a's CONNACK: no race, the broker took a over; an older message on b is out of order.
    const late = [open(3, 'a'), ...pubs, ack(10, 'a'), got(11, 'p:2', 'a'), open(11, 'b'), ack(12, 'b')];
    expect(props(checkOrder([...late, got(13, 'p:1', 'b')]))).toEqual(['order']);
    // The older connection a, still open, gets p:1 (sent before b took over) after b got p:2: no order.
    const taken = [open(3, 'a'), ack(4, 'a'), ...pubs, open(11, 'b'), ack(12, 'b'), got(13, 'p:2', 'b')];
    expect(checkOrder([...taken, got(14, 'p:1', 'a')])).toEqual([]);
  });
  it('sets no order for a message published before any subscription matching it was acknowledged', () => {
    const pubOn = (t: number, id: string, topic: string) =>
      e(t, 'pub.invoke', { c: 'p', id, topic, qos: 1, retain: false });
    const got = (t: number, id: string, topic: string) =>
      e(t, 'deliver', { c: 'dev', id, topic, qos: 1, dup: false, retain: false, node: 'n1' });
    const subscribe = [
      e(1, 'sub.invoke', { c: 'dev', filters: 'u/#' }),
      e(5, 'sub.ok', { c: 'dev', granted: '1' }),
    ];
    // p:2 was published before the SUBACK: the copy a resend brings later is not owed, so not out of order.
    const h = [pubOn(2, 'p:2', 'u/1'), ...subscribe, pubOn(10, 'p:5', 'u/1'), got(11, 'p:5', 'u/1')];
    const tally: Tally = {};
    expect(checkOrder([...h, got(20, 'p:2', 'u/1')], { tally })).toEqual([]);
    expect(tally['before-subscribe']).toBe(1);
    // Published after the SUBACK: owed, out of order.
    const late = [...subscribe, pubOn(6, 'p:2', 'u/1'), pubOn(10, 'p:5', 'u/1'), got(11, 'p:5', 'u/1')];
    expect(props(checkOrder([...late, got(20, 'p:2', 'u/1')]))).toEqual(['order']);
    // A SUBSCRIBE never acknowledged (its connection died first; a paused node read it later): nothing it
    // brings was published after a SUBACK, so nothing is owed or judged (test:faults SEED=2202).
    const asked = [e(1, 'sub.invoke', { c: 'dev', filters: 'u/#' })];
    const never = [...asked, pubOn(2, 'p:2', 'u/1'), pubOn(10, 'p:5', 'u/1'), got(11, 'p:5', 'u/1')];
    const t2: Tally = {};
    expect(checkOrder([...never, got(20, 'p:2', 'u/1')], { tally: t2 })).toEqual([]);
    expect(t2['before-subscribe']).toBe(2);
    // No subscription known at all (a history without subscribe events): judged.
    const none = [pubOn(2, 'p:2', 'u/1'), pubOn(10, 'p:5', 'u/1'), got(11, 'p:5', 'u/1')];
    expect(props(checkOrder([...none, got(20, 'p:2', 'u/1')]))).toEqual(['order']);
    // Another filter asked and not acknowledged does not excuse a topic it does not match.
    const other = [e(1, 'sub.invoke', { c: 'dev', filters: 'v/#' }), ...none];
    expect(props(checkOrder([...other, got(20, 'p:2', 'u/1')]))).toEqual(['order']);
  });
  it('sets no order on the topics of a SUBSCRIBE whose connection closed before its SUBACK, nor pairs a later SUBACK with it', () => {
    const pubOn = (t: number, id: string) =>
      e(t, 'pub.invoke', { c: 'p', id, topic: 'u/1', qos: 1, retain: false });
    const got = (t: number, id: string) =>
      e(t, 'deliver', { c: 'dev', id, topic: 'u/1', qos: 1, dup: false, retain: false, node: 'n2' });
    const conn = [e(0, 'client.connect', { c: 'dev', target: 'n1' })];
    conn.push(e(1, 'client.connack', { c: 'dev', rc: 0, present: false, node: 'n1' }));
    const asked = [
      ...conn,
      e(2, 'sub.invoke', { c: 'dev', filters: 'u/#' }),
      pubOn(3, 'p:1'),
      pubOn(4, 'p:2'),
    ];
    // The node read the SUBSCRIBE late and the session moved on with it: never acknowledged, nothing owed.
    const closed = [
      ...asked,
      e(5, 'client.closed', { c: 'dev', reason: 'keepalive', node: 'n1', was: 'connected' }),
    ];
    const again = [e(6, 'client.connect', { c: 'dev', target: 'n2' })];
    again.push(e(7, 'client.connack', { c: 'dev', rc: 0, present: true, node: 'n2' }));
    const tally: Tally = {};
    expect(checkOrder([...closed, ...again, got(8, 'p:2'), got(9, 'p:1')], { tally })).toEqual([]);
    expect(tally['before-subscribe']).toBe(2);
    // A SUBACK on the next connection answers its own SUBSCRIBE, not the one lost with the old connection.
    const resub = [...closed, ...again, e(8, 'sub.invoke', { c: 'dev', filters: 'v/#' })];
    resub.push(e(9, 'sub.ok', { c: 'dev', granted: '1' }));
    const onV = (t: number, id: string) =>
      e(t, 'pub.invoke', { c: 'p', id, topic: 'v/1', qos: 1, retain: false });
    const gotV = (t: number, id: string) =>
      e(t, 'deliver', { c: 'dev', id, topic: 'v/1', qos: 1, dup: false, retain: false, node: 'n2' });
    const vs = [onV(10, 'p:3'), onV(11, 'p:4'), gotV(12, 'p:4'), gotV(13, 'p:3')];
    expect(props(checkOrder([...resub, ...vs]))).toEqual(['order']);
  });
  it("counts as parked a restarted node's older messages arriving from the backup when the cut it restarted in heals", () => {
    const pubOn = (t: number, id: string) =>
      e(t, 'pub.invoke', { c: 'p', id, topic: 'a/1', qos: 1, retain: false });
    const got = (t: number, id: string, node = 'n1') =>
      e(t, 'deliver', { c: 's', id, topic: 'a/1', qos: 1, dup: false, retain: false, node });
    const run = (restart: boolean, late = 0) => [
      e(1000, 'fault.crash', { node: 'n1', mode: 'power' }),
      e(2000, 'fault.clog', { a: 'n1', b: 'n2', oneWay: false }),
      ...(restart ? [e(2000, 'node.start', { node: 'n1' })] : []),
      pubOn(3000, 'p:1'),
      e(22000, 'fault.unclog'),
      pubOn(22005, 'p:2'),
      got(22007, 'p:2'),
      got(22008 + late, 'p:1'),
    ];
    const tally: Tally = {};
    expect(checkOrder(run(true), { tally })).toEqual([]);
    expect(tally.parked).toBe(1);
    // No restart inside the cut, or long after the heal: a violation.
    expect(props(checkOrder(run(false)))).toEqual(['order']);
    expect(props(checkOrder(run(true, 20_000)))).toEqual(['order']);
  });
});

describe('retained-reads', () => {
  const w = (t: number, id: string, f: Fields = {}) => [
    e(t, 'pub.invoke', { c: 'p', id, topic: 'cfg', qos: 1, retain: true, ...f }),
    e(t + 2, 'pub.ok', { c: 'p', id }),
  ];
  it('fails a read of a value cleared before the SUBSCRIBE', () => {
    const h = [
      ...w(10, 'p:1'),
      ...w(20, 'p:2', { clear: true }),
      e(30, 'sub.invoke', { c: 'r', filters: 'cfg' }),
      e(32, 'deliver', { c: 'r', id: 'p:1', topic: 'cfg', qos: 1, retain: true, dup: false, node: 'n2' }),
    ];
    const v = checkRetainedReads(h);
    expect(props(v)).toEqual(['retained-reads']);
    expect(v[0].detail).toContain('cleared by p:2');
    const ok = [
      ...w(10, 'p:1'),
      ...w(20, 'p:2'),
      e(30, 'sub.invoke', { c: 'r', filters: 'cfg' }),
      e(32, 'deliver', { c: 'r', id: 'p:2', topic: 'cfg', qos: 1, retain: true, dup: false }),
    ];
    expect(checkRetainedReads(ok)).toEqual([]);
    // Concurrent writes may go either way.
    expect(
      checkRetainedReads([
        ...w(10, 'p:1'),
        ...w(11, 'p:2'),
        e(30, 'sub.invoke', { c: 'r', filters: 'cfg' }),
        e(32, 'deliver', { c: 'r', id: 'p:1', topic: 'cfg', qos: 1, retain: true, dup: false }),
      ]),
    ).toEqual([]);
  });
});

describe('wills', () => {
  const will = { will: { topic: 'st/sub', qos: 1, delay: 10, id: 'offline' } };
  it('fails a will after a clean DISCONNECT', () => {
    const h = [
      ...base(60, will),
      e(50, 'client.disconnect', { c: 'sub', rc: 0 }),
      e(50, 'client.closed', { c: 'sub', reason: 'client' }),
      e(60, 'will', { node: 'n1', c: 'sub', topic: 'st/sub' }),
    ];
    expect(props(checkWills(h))).toEqual(['will-iff']);
    expect(checkWills(h.slice(0, -1))).toEqual([]);
  });
  it('wants a will by the end of the session, none when the client came back within its delay, none too early', () => {
    const killed = [
      ...base(5, will),
      e(50, 'client.kill', { c: 'sub' }),
      e(50, 'client.closed', { c: 'sub', reason: 'killed' }),
    ];
    const newSession = e(20_000, 'client.connack', { c: 'sub', rc: 0, present: false, node: 'n1' });
    expect(props(checkWills([...killed, newSession]))).toEqual(['will-iff']);
    expect(
      checkWills([...killed, e(5050, 'will', { node: 'n1', c: 'sub', topic: 'st/sub' }), newSession]),
    ).toEqual([]);
    // Session expiry 5 s < will delay 10 s: published after 1 s is too early.
    expect(
      props(checkWills([...killed, e(1050, 'will', { node: 'n1', c: 'sub', topic: 'st/sub' }), newSession])),
    ).toEqual(['will-timing']);
    // Unless the client connected again and was told session present 0 then: the session ended for it.
    const fresh = e(1100, 'client.connack', { c: 'sub', rc: 0, present: false, node: 'n2' });
    expect(
      checkWills([...killed, fresh, e(1102, 'will', { node: 'n1', c: 'sub', topic: 'st/sub' })]),
    ).toEqual([]);
    const longDelay = [
      ...base(3600, { will: { ...will.will, delay: 120 } }),
      e(50, 'client.kill', { c: 'sub' }),
      e(50, 'client.closed', { c: 'sub', reason: 'killed' }),
    ];
    const back = e(2000, 'client.connack', { c: 'sub', rc: 0, present: true, node: 'n1' });
    expect(
      props(checkWills([...longDelay, e(1500, 'will', { node: 'n1', c: 'sub', topic: 'st/sub' }), back])),
    ).toContain('will-iff');
    expect(checkWills([...longDelay, back])).toEqual([]);
  });
  it("counts as split-will a will another node published while cut off from the client's node; one is still owed", () => {
    const withWill = { will: { topic: 'st/sub', qos: 1, delay: 0, id: 'w' } };
    const h = (will: Ev[]) => [
      ...base(60, withWill),
      e(100, 'fault.clog', { a: 'n1', b: 'n2', oneWay: false }),
      ...will,
      e(6500, 'fault.unclog'),
      e(9000, 'client.disconnect', { c: 'sub', rc: 0 }),
      e(9000, 'client.closed', { c: 'sub', reason: 'client' }),
    ];
    const tally: Tally = {};
    expect(checkWills(h([e(6000, 'will', { node: 'n2', c: 'sub', topic: 'st/sub' })]), { tally })).toEqual(
      [],
    );
    expect(tally['split-will']).toBe(1);
    // The client's own node has no such excuse, nor a node that could hear it.
    expect(props(checkWills(h([e(6000, 'will', { node: 'n1', c: 'sub', topic: 'st/sub' })])))).toEqual([
      'will-iff',
    ]);
    const heard = h([]).filter((x) => !x.type.startsWith('fault.'));
    expect(props(checkWills([...heard, e(8000, 'will', { node: 'n2', c: 'sub', topic: 'st/sub' })]))).toEqual(
      ['will-iff'],
    );
    // Killed during the clog: its node's will counts, the other node's is one more, not a second.
    const killed = [
      ...base(60, withWill),
      e(100, 'fault.clog', { a: 'n1', b: 'n2', oneWay: false }),
      e(200, 'client.kill', { c: 'sub' }),
      e(200, 'client.closed', { c: 'sub', reason: 'killed' }),
    ];
    expect(
      checkWills([
        ...killed,
        e(201, 'will', { node: 'n1', c: 'sub', topic: 'st/sub' }),
        e(6000, 'will', { node: 'n2', c: 'sub', topic: 'st/sub' }),
        e(6500, 'fault.unclog'),
      ]),
    ).toEqual([]);
    expect(
      props(
        checkWills([
          ...killed,
          e(201, 'will', { node: 'n1', c: 'sub', topic: 'st/sub' }),
          e(300, 'will', { node: 'n1', c: 'sub', topic: 'st/sub' }),
        ]),
      ),
    ).toEqual(['will-once']);
  });
  it('takes a DISCONNECT sent after its node crashed as a lost connection: the will is due, not forbidden', () => {
    const withWill = { will: { topic: 'st/sub', qos: 1, delay: 0, id: 'w' } };
    const h = (crash: Ev[], will: Ev[]) => [
      ...base(3600, withWill),
      ...crash,
      e(4000, 'client.disconnect', { c: 'sub', rc: 0 }),
      e(4000, 'client.closed', { c: 'sub', reason: 'client' }),
      ...will,
    ];
    const crashed = [e(2000, 'fault.crash', { node: 'n1', mode: 'power' })];
    const failover = [
      e(7000, 'cluster.will', { node: 'n2', clientId: 'sub', from: 'n1' }),
      e(7000, 'will', { node: 'n2', c: 'sub', topic: 'st/sub' }),
    ];
    expect(checkWills(h(crashed, failover))).toEqual([]);
    // ... and owed: the client never came back.
    expect(props(checkWills([...h(crashed, []), e(80_000, 'fault.heal')]))).toEqual(['will-iff']);
    // A node that is up received the DISCONNECT; one that crashed and restarted since did not (a new process).
    expect(props(checkWills(h([], failover)))).toEqual(['will-iff']);
    const restarted = [...crashed, e(3000, 'node.start', { node: 'n1' })];
    expect(checkWills(h(restarted, failover))).toEqual([]);
    // A crash before the CONNACK does not end the connection.
    expect(props(checkWills([...crashed.map((x) => ({ ...x, t: 5 })), ...h([], failover)]))).toEqual([
      'will-iff',
    ]);
  });
  it("counts as split-will a second will from a node cut off from the first will's node; not from one that heard it", () => {
    const withWill = { will: { topic: 'st/sub', qos: 1, delay: 0, id: 'w' } };
    const wills = [
      e(7000, 'cluster.will', { node: 'n2', clientId: 'sub', from: 'n1' }),
      e(7000, 'will', { node: 'n2', c: 'sub', topic: 'st/sub' }),
      e(7000, 'cluster.will', { node: 'n3', clientId: 'sub', from: 'n1' }),
      e(7000, 'will', { node: 'n3', c: 'sub', topic: 'st/sub' }),
    ];
    const h = (split: Ev[]) => [
      ...base(3600, withWill),
      ...split,
      e(2000, 'fault.crash', { node: 'n1', mode: 'power' }),
      ...wills,
      e(9000, 'fault.unclog'),
    ];
    const tally: Tally = {};
    expect(checkWills(h([e(100, 'fault.clog', { a: 'n2', b: 'n3', oneWay: false })]), { tally })).toEqual([]);
    expect(tally['split-will']).toBe(1);
    expect(props(checkWills(h([])))).toEqual(['will-once']);
  });
  it("judges a will against the connection it was for: the client's last one on the node it was published for", () => {
    const withWill = { will: { topic: 'st/sub', qos: 1, delay: 0, id: 'w' } };
    const moved = [
      ...base(3600, withWill),
      e(2000, 'fault.crash', { node: 'n1', mode: 'power' }),
      e(3000, 'client.kill', { c: 'sub' }),
      e(3000, 'client.closed', { c: 'sub', reason: 'killed' }),
      e(3500, 'client.connack', { c: 'sub', rc: 0, present: true, node: 'n2' }),
    ];
    // n1's connection died with n1; n3 publishes its will after the client is back on n2, and n2's own later.
    const lostWithN1 = [
      e(7000, 'cluster.will', { node: 'n3', clientId: 'sub', from: 'n1' }),
      e(7000, 'will', { node: 'n3', c: 'sub', topic: 'st/sub' }),
    ];
    const n2Lost = [
      e(9000, 'client.kill', { c: 'sub' }),
      e(9000, 'client.closed', { c: 'sub', reason: 'killed' }),
      e(9001, 'will', { node: 'n2', c: 'sub', topic: 'st/sub' }),
    ];
    expect(checkWills([...moved, ...lostWithN1, ...n2Lost])).toEqual([]);
    // Two wills for n1's connection are still one too many.
    const twice = [...lostWithN1, { ...lostWithN1[0], t: 7100 }, { ...lostWithN1[1], t: 7100 }];
    expect(props(checkWills([...moved, ...twice, ...n2Lost]))).toEqual(['will-once']);
  });
});

describe('shared-once', () => {
  const h = (closeAt: number) => [
    e(10, 'client.connack', { c: 'm1', rc: 0, present: false, node: 'n1' }),
    e(10, 'client.connack', { c: 'm2', rc: 0, present: false, node: 'n2' }),
    e(11, 'sub.invoke', { c: 'm1', filters: '$share/g/jobs/#' }),
    e(11, 'sub.invoke', { c: 'm2', filters: '$share/g/jobs/#' }),
    e(20, 'deliver', { c: 'm1', id: 'p:1', topic: 'jobs/1', qos: 1, dup: false, retain: false }),
    e(closeAt, 'client.closed', { c: 'm1', reason: 'reset' }),
    e(40, 'deliver', { c: 'm2', id: 'p:1', topic: 'jobs/1', qos: 1, dup: false, retain: false }),
  ];
  it('fails a message to two members while the first still had it, counts a redelivery after its connection broke', () => {
    expect(props(checkSharedOnce(h(50)))).toEqual(['shared-once']);
    const tally: Tally = {};
    expect(checkSharedOnce(h(30), { tally })).toEqual([]);
    expect(tally['shared-redelivery']).toBe(1);
  });
  it("counts a second member's copy after the publisher's connection broke before its acknowledgement as publisher-resend", () => {
    const pub = (clean: boolean, qos: number, okAt: number) => [
      e(1, 'client.config', { c: 'p', version: 5, clean, expiry: clean ? 0 : 86400, keepalive: 10 }),
      e(2, 'client.connack', { c: 'p', rc: 0, present: false, node: 'n3' }),
      e(15, 'pub.invoke', { c: 'p', id: 'p:1', topic: 'jobs/1', qos, retain: false }),
      e(25, 'client.closed', { c: 'p', reason: 'reset' }),
      e(okAt, 'pub.ok', { c: 'p', id: 'p:1', node: 'n2' }),
    ];
    const tally: Tally = {};
    expect(checkSharedOnce([...pub(true, 2, 45), ...h(50)], { tally })).toEqual([]);
    expect(tally['publisher-resend']).toBe(1);
    expect(checkSharedOnce([...pub(false, 1, 45), ...h(50)])).toEqual([]);
    // Acknowledged before the break, or a persistent publisher's QoS 2 (its packet ids deduplicate): a violation.
    expect(props(checkSharedOnce([...pub(true, 2, 18), ...h(50)]))).toEqual(['shared-once']);
    expect(props(checkSharedOnce([...pub(false, 2, 45), ...h(50)]))).toEqual(['shared-once']);
  });
  it("counts a first member's delivery within 1 s of a fault on its node ending as shared-late-forward", () => {
    const paused = (resumeAt: number) => [
      e(resumeAt - 5000, 'fault.pause', { node: 'n1' }),
      e(resumeAt, 'fault.unpause', { node: 'n1' }),
      ...h(50),
    ];
    const tally: Tally = {};
    expect(checkSharedOnce(paused(19), { tally })).toEqual([]);
    expect(tally['shared-late-forward']).toBe(1);
    // Resumed more than 1 s before the first delivery: a violation.
    expect(props(checkSharedOnce(paused(-1500)))).toEqual(['shared-once']);
  });
  it("counts a second member's delivery within 1 s of the end of a fault on its node, on at the first delivery, as shared-late-forward", () => {
    const paused = (from: number, to: number) => [
      e(from, 'fault.pause', { node: 'n2' }),
      e(to, 'fault.unpause', { node: 'n2' }),
      ...h(50),
    ];
    const tally: Tally = {};
    // n2 paused through m1's delivery (20) and resumed 10 ms before m2's (40): excused.
    expect(checkSharedOnce(paused(0, 30), { tally })).toEqual([]);
    expect(tally['shared-late-forward']).toBe(1);
    // Without the fault, paused only after the first delivery, or resumed more than 1 s before: violations.
    expect(props(checkSharedOnce(h(50)))).toEqual(['shared-once']);
    expect(props(checkSharedOnce(paused(25, 30)))).toEqual(['shared-once']);
    const early = [...h(50).map((x) => ({ ...x, t: x.t + 2000 })), ...paused(0, 1000).slice(0, 2)];
    expect(props(checkSharedOnce(early))).toEqual(['shared-once']);
  });
});

describe('qos2-exactly-once', () => {
  const q2 = (t: number, node: string, dup = false) => deliver(t, 'p:1', { qos: 2, node, dup });
  const crash = (t: number, node: string) => e(t, 'fault.crash', { node, mode: 'process' });
  it('counts a copy the publisher sent again on a new session (present 0 before its acknowledgement)', () => {
    const pub = [
      e(5, 'pub.invoke', { c: 'p', id: 'p:1', topic: 'a/1', qos: 2, retain: false }),
      q2(20, 'n1', true),
    ];
    const again = e(30, 'client.connack', { c: 'p', rc: 0, present: false, node: 'n2' });
    const tally: Tally = {};
    expect(checkNoQos2Duplicates([...pub, again, q2(40, 'n2')], { tally })).toEqual([]);
    expect(tally['qos2-publisher-new-session']).toBe(1);
    // Acknowledged before the publisher's new session: a second copy is a broker's duplicate.
    const acked = [...pub, e(25, 'pub.ok', { c: 'p', id: 'p:1', node: 'n1' }), again, q2(40, 'n2')];
    expect(props(checkNoQos2Duplicates(acked))).toEqual(['qos2-exactly-once']);
  });
  it('counts a copy of the old session carried into the subscriber new session (present 0 between the copies)', () => {
    const fresh = (t: number, present: boolean) =>
      e(t, 'client.connack', { c: 'sub', rc: 0, present, node: 'n1' });
    const tally: Tally = {};
    expect(checkNoQos2Duplicates([q2(20, 'n2'), fresh(30, false), q2(40, 'n1', true)], { tally })).toEqual(
      [],
    );
    expect(tally['qos2-subscriber-new-session']).toBe(1);
    // The same session resumed (present 1): its packet ids drop the copy, so a second delivery is a duplicate.
    expect(props(checkNoQos2Duplicates([q2(20, 'n2'), fresh(30, true), q2(40, 'n1', true)]))).toEqual([
      'qos2-exactly-once',
    ]);
  });
  it('fails a second QoS 2 delivery, also across a crash of the delivering node; counts that as qos2-crash when accepted', () => {
    expect(props(checkNoQos2Duplicates([...base(), q2(20, 'n1'), q2(40, 'n2', true)]))).toEqual([
      'qos2-exactly-once',
    ]);
    // Another node's crash, or the crash before the first delivery, is no excuse.
    expect(
      props(checkNoQos2Duplicates([...base(), q2(20, 'n1'), crash(30, 'n3'), q2(40, 'n2', true)])),
    ).toEqual(['qos2-exactly-once']);
    expect(
      props(checkNoQos2Duplicates([...base(), crash(15, 'n1'), q2(20, 'n1'), q2(40, 'n2', true)])),
    ).toEqual(['qos2-exactly-once']);
    const tally: Tally = {};
    const accept = [...DEFAULT_ACCEPTED, 'qos2-crash' as const];
    expect(
      checkNoQos2Duplicates([...base(), q2(20, 'n1'), crash(30, 'n1'), q2(40, 'n2', true)], {
        tally,
        accept,
      }),
    ).toEqual([]);
    expect(tally['qos2-crash']).toBe(1);
    // By default (and in any run that does not accept it) it fails, naming the category.
    const strict = checkNoQos2Duplicates([...base(), q2(20, 'n1'), crash(30, 'n1'), q2(40, 'n2', true)]);
    expect(strict.map((v) => v.detail)).toEqual([
      'p:1 delivered twice to sub; qos2-crash (n1 crashed at 30.0 ms), not accepted by this run',
    ]);
  });
});

describe('client-protocol', () => {
  it('fails every protocol violation the strict client recorded', () => {
    const pv = e(5, 'protocol-violation', {
      c: 'sub',
      kind: 'unknown-packet-id',
      rule: 'MQTT-4.3.2-2',
      detail: 'PUBACK for packet id 9',
      node: 'n1',
    });
    expect(props(checkClientProtocol([pv]))).toEqual(['client-protocol']);
    expect(checkClientProtocol(base())).toEqual([]);
  });
});

/** A raw simulated server on host `srv`: answers CONNECT with whatever `script` writes. */
function rawServer(w: World, script: (sock: SimSocket, connect: Packet) => void): void {
  w.host('srv', true);
  w.network.listen('srv', {
    accept: (sock) => {
      const parser = mqttPacket.parser({ protocolVersion: 5 });
      parser.on('packet', (p: Packet) => {
        if (p.cmd === 'connect') script(sock, p);
      });
      return { onData: (b) => void parser.parse(b), onClose: () => {} };
    },
  });
}
const bytes = (p: object) => mqttPacket.generate(p as Packet, { protocolVersion: 5 });

describe('strict simulated client', () => {
  async function run(script: (sock: SimSocket) => void) {
    const w = new World({ seed: 1, history: { keepEvents: true } });
    rawServer(w, script);
    const c = w.client('sub', {
      target: 'srv',
      version: 5,
      clean: false,
      sessionExpiry: 60,
      reconnect: false,
    });
    await w.run(() => w.sleep(100));
    return { w, c, events: w.history.events };
  }
  const publish = {
    cmd: 'publish',
    topic: 'a/1',
    payload: Buffer.from('p:1|x'),
    qos: 1,
    messageId: 7,
    dup: false,
    retain: false,
  };
  const connack = { cmd: 'connack', sessionPresent: true, reasonCode: 0 };

  it('records PUBLISH before CONNACK as a violation, delivers nothing and drops the connection', async () => {
    const { c, events } = await run((sock) => {
      sock.write(bytes(publish));
      sock.write(bytes(connack));
    });
    const pv = events.filter((x) => x.type === 'protocol-violation');
    expect(pv.map((x) => x.kind)).toEqual(['publish-before-connack']);
    expect(events.some((x) => x.type === 'deliver')).toBe(false);
    expect(c.connected).toBe(false);
    expect(events.some((x) => x.type === 'client.closed' && x.reason === 'protocol-error')).toBe(true);
    expect(props(checkSafety(events, []))).toEqual(['connack-first']);
  });

  it('ignores the rest of the segment after dropping the connection (the CONNACK right behind the PUBLISH)', async () => {
    const { c, events } = await run((sock) => sock.write(Buffer.concat([bytes(publish), bytes(connack)])));
    expect(events.filter((x) => x.type === 'protocol-violation').map((x) => x.kind)).toEqual([
      'publish-before-connack',
    ]);
    expect(events.some((x) => x.type === 'client.connack')).toBe(false);
    expect(c.connected).toBe(false);
  });

  it('accepts the same PUBLISH after the CONNACK', async () => {
    const { c, events } = await run((sock) => {
      sock.write(bytes(connack));
      sock.write(bytes(publish));
    });
    expect(c.connected).toBe(true);
    expect(events.filter((x) => x.type === 'deliver').map((x) => x.id)).toEqual(['p:1']);
    expect([...checkConnackFirst(events), ...checkClientProtocol(events)]).toEqual([]);
  });

  it('records a topic alias it never allowed, a PUBACK for an unknown id, and a reused QoS 2 packet id', async () => {
    const kinds = async (after: object) => {
      const { events } = await run((sock) => {
        sock.write(bytes(connack));
        sock.write(bytes(after));
      });
      return events.filter((x) => x.type === 'protocol-violation').map((x) => x.kind);
    };
    expect(await kinds({ ...publish, properties: { topicAlias: 1 } })).toEqual(['topic-alias-not-allowed']);
    expect(await kinds({ cmd: 'puback', messageId: 9, reasonCode: 0 })).toEqual(['unknown-packet-id']);
    expect(await kinds({ ...publish, properties: { subscriptionIdentifier: 4 } })).toEqual([
      'subscription-id-not-set',
    ]);
    const { events } = await run((sock) => {
      sock.write(bytes(connack));
      sock.write(bytes({ ...publish, qos: 2 }));
      sock.write(bytes({ ...publish, qos: 2, payload: Buffer.from('p:2|y') }));
    });
    expect(events.filter((x) => x.type === 'protocol-violation').map((x) => x.kind)).toEqual([
      'packet-id-in-use',
    ]);
  });
});
