// OrphanLineage (core/cluster/orphan-lineage.ts): a replica that starts to follow the node that failed its
// session over (the same claim, its owner lost) keeps the lost owner's subscriptions, so that owner's orphans
// still reach the session after it moved on (scenarios/regressions/explored-restart-loss-3606.ts). A new claim,
// a running owner, the owner heard again, or the session's end: none.
import { describe, expect, it } from 'vitest';
import { OrphanLineage } from '../../core/cluster/orphan-lineage.ts';
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
const given = (l: OrphanLineage, owner: string, ...msgs: Message[]) => {
  const out: [string, string, QoS][] = [];
  l.orphans(
    owner,
    msgs.map((m) => ({ msg: m, w: {} })),
    (c, m, q) => out.push([c, m.mid!, q]),
  );
  return out;
};

describe('OrphanLineage', () => {
  it("a replica of a lost owner's session followed on to the node that failed it over: that owner's orphans reach it", () => {
    const l = new OrphanLineage();
    l.followed(replica('n1'), 'n2', 10, false);
    expect(given(l, 'n1', msg('n4.1.1'), msg('n4.1.2', 'u/x'))).toEqual([['s0', 'n4.1.1', 1]]);
    expect(given(l, 'n2', msg('n4.1.1'))).toEqual([]); // the new owner's own orphans go the usual way
  });

  it('its owner still running, a new claim (the client connected again), or the session ended: none', () => {
    const running = new OrphanLineage();
    running.followed(replica('n1'), 'n2', 10, true);
    expect(given(running, 'n1', msg('n4.1.1'))).toEqual([]);
    const reclaimed = new OrphanLineage();
    reclaimed.followed(replica('n1'), 'n2', 10, false);
    reclaimed.followed(replica('n2', 10), 'n3', 20, true); // a new connection's claim on n3
    expect(given(reclaimed, 'n1', msg('n4.1.1'))).toEqual([]);
    const back = new OrphanLineage();
    back.followed(replica('n1'), 'n2', 10, false);
    back.back('n1'); // heard again: its orphans from now on are not of that loss
    expect(given(back, 'n1', msg('n4.1.1'))).toEqual([]);
    const ended = new OrphanLineage();
    ended.followed(replica('n1'), 'n2', 10, false);
    ended.ended('s0');
    expect(given(ended, 'n1', msg('n4.1.1'))).toEqual([]);
  });

  it("an owner's past life (it restarted empty) counts as lost though it runs again", () => {
    const l = new OrphanLineage();
    l.followed(replica('n1', 10, true), 'n2', 10, true);
    expect(given(l, 'n1', msg('n4.1.1'))).toEqual([['s0', 'n4.1.1', 1]]);
  });
});
