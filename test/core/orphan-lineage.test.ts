// OrphanLineage (core/cluster/orphan-lineage.ts): a replica that starts to follow the node that failed its
// session over (the same claim, its owner lost) keeps the lost owner's subscriptions, so that owner's orphans
// still reach the session after it moved on (scenarios/regressions/explored-restart-loss-3606.ts). A new claim,
// a running owner, past 5 minutes, or the session's end: none.
import { describe, expect, it } from 'vitest';
import { LINEAGE_MS, OrphanLineage } from '../../core/cluster/orphan-lineage.ts';
import type { Replica } from '../../core/cluster/replica.ts';
import type { Message, QoS } from '../../core/message.ts';

const replica = (owner: string, at = 10, old = false): Replica => ({
  clientId: 's0',
  owner,
  at,
  expiry: 3600,
  subs: [
    { key: 't/#', qos: 1 },
    { key: '$share/g/t/#', qos: 1 },
  ] as Replica['subs'],
  msgs: new Map(),
  done: new Set(),
  in2: [],
  rel: new Set(),
  old,
});
const msg = (mid: string, topic = 't/p2'): Message =>
  ({ topic, payload: Buffer.from(mid), qos: 1, retain: false, mid }) as unknown as Message;
const given = (l: OrphanLineage, owner: string, ...msgs: Message[]) => at(l, owner, 1000, ...msgs);
const at = (l: OrphanLineage, owner: string, now: number, ...msgs: Message[]) => {
  const out: [string, string, QoS][] = [];
  l.orphans(
    owner,
    msgs.map((m) => ({ msg: m, w: {} })),
    now,
    (c, m, q) => out.push([c, m.mid!, q]),
  );
  return out;
};

describe('OrphanLineage', () => {
  it("a replica of a lost owner's session followed on to the node that failed it over: that owner's orphans reach it", () => {
    const l = new OrphanLineage();
    l.followed(replica('n1'), 'n2', 10, false, 100);
    expect(given(l, 'n1', msg('n4.1.1'), msg('n4.1.2', 'u/x'))).toEqual([['s0', 'n4.1.1', 1]]);
    expect(given(l, 'n2', msg('n4.1.1'))).toEqual([]); // the new owner's own orphans go the usual way
  });

  it('its owner still running, a new claim (the client connected again), or the session ended: none', () => {
    const running = new OrphanLineage();
    running.followed(replica('n1'), 'n2', 10, true, 100);
    expect(given(running, 'n1', msg('n4.1.1'))).toEqual([]);
    const reclaimed = new OrphanLineage();
    reclaimed.followed(replica('n1'), 'n2', 10, false, 100);
    reclaimed.followed(replica('n2', 10), 'n3', 20, true, 100); // a new connection's claim on n3
    expect(given(reclaimed, 'n1', msg('n4.1.1'))).toEqual([]);
    const late = new OrphanLineage();
    late.followed(replica('n1'), 'n2', 10, false, 100);
    expect(at(late, 'n1', 100 + LINEAGE_MS + 1, msg('n4.1.1'))).toEqual([]); // past the window a moved session is followed
    const ended = new OrphanLineage();
    ended.followed(replica('n1'), 'n2', 10, false, 100);
    ended.ended('s0');
    expect(given(ended, 'n1', msg('n4.1.1'))).toEqual([]);
  });

  it("an owner's past life (it restarted empty) counts as lost though it runs again", () => {
    const l = new OrphanLineage();
    l.followed(replica('n1', 10, true), 'n2', 10, true, 100);
    expect(given(l, 'n1', msg('n4.1.1'))).toEqual([['s0', 'n4.1.1', 1]]);
  });
});
