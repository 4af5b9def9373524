// CopyKeeper: what a peer's failed-over copy (or its orphans) made this node keep beside a replica that follows
// another owner goes to the session if that peer is lost first, and only what the owner does not hold yet.
import { describe, it, expect } from 'vitest';
import { CopyKeeper } from '../../core/cluster/copy-keeper.ts';
import { F, decode, type HandoffBody, type WireMessage } from '../../core/cluster/peer-protocol.ts';
import type { Replica } from '../../core/cluster/replica.ts';
import type { LocalNode } from '../../core/cluster/local-node.ts';
import type { Message, QoS } from '../../core/message.ts';
import type { Session } from '../../core/session.ts';
import { RecentSet } from '../../core/recent-set.ts';

const msg = (mid: string): Message => ({
  topic: 't/x',
  payload: Buffer.from(mid),
  qos: 1,
  retain: false,
  from: 'p0',
  receivedAt: 0,
  mid,
});

function replica(clientId: string, owner: string): Replica {
  return {
    clientId,
    owner,
    at: 1,
    expiry: 86400,
    subs: [{ key: 't/#', qos: 1, nl: false, rap: false, rh: 0 }],
    msgs: new Map(),
    done: new RecentSet(64),
    in2: [],
    rel: new Set(),
  };
}

function setup(running: string[]) {
  const replicas = new Map<string, Replica>();
  const sessions = new Map<string, Session>();
  const sent: { to: string; body: HandoffBody }[] = [];
  const adopted: { clientId: string; mids: string[] }[] = [];
  const b = {
    env: { clock: { now: () => 0 } },
    sessions,
    adoptSession: (s: Session, _subs: unknown, owed: { msg: Message; qos: QoS }[]) =>
      adopted.push({ clientId: s.clientId, mids: owed.map((o) => o.msg.mid!) }),
  } as unknown as LocalNode;
  const keeper = new CopyKeeper(
    {
      isRunning: (n) => running.includes(n),
      sendReliableTo: (to, frame) => {
        const f = decode(frame.subarray(4), 0); // after the length prefix
        if (f.type === F.Handoff) sent.push({ to, body: f.body });
      },
      emit: () => {},
    },
    b,
    replicas,
  );
  return { keeper, replicas, sessions, sent, adopted };
}

const state = { clientId: 's0', at: 1, expiry: 86400, subs: [] };

describe('CopyKeeper', () => {
  it("hands a lost holder's copy to the live owner, without what the owner holds or the client completed", () => {
    const { keeper, replicas, sent } = setup(['n3']);
    replicas.set('s0', replica('s0', 'n3')); // follows the live owner n3: n1's copy is ignored by it
    keeper.state('n1', state);
    for (const mid of ['a', 'b', 'c', 'd']) keeper.msg('n1', { clientId: 's0', msg: msg(mid), dq: 1 });
    keeper.msg('n3', { clientId: 's0', msg: msg('b'), dq: 1 }); // the owner holds b now
    keeper.done('s0', ['c']); // and the client completed c
    keeper.lost('n1');
    expect(sent.map((x) => [x.to, x.body.msgs.map((w) => w.mid), x.body.via])).toEqual([
      ['n3', ['a', 'd'], ['n1']],
    ]);
    keeper.lost('n1'); // once
    expect(sent).toHaveLength(1);
  });

  it('keeps nothing of a copy the replica follows, and hands nothing for a peer that held none', () => {
    const { keeper, replicas, sent } = setup(['n3']);
    replicas.set('s0', replica('s0', 'n1')); // the replica follows n1's copy itself
    keeper.state('n1', state);
    keeper.msg('n1', { clientId: 's0', msg: msg('a'), dq: 1 });
    keeper.lost('n1');
    keeper.lost('n2');
    expect(sent).toEqual([]);
  });

  it('orphans a peer sent for a running owner go to it; with the owner down too, into its replica', () => {
    const up = setup(['n2']);
    const r = replica('s0', 'n2');
    r.msgs.set('a', { msg: msg('a'), qos: 1 }); // put there by orphans() (forwarding.onOrphan)
    up.replicas.set('s0', r);
    up.keeper.orphans('n1', 'n2', [{ mid: 'a' } as WireMessage]);
    up.keeper.lost('n1');
    expect(up.sent.map((x) => [x.to, x.body.msgs.map((w) => w.mid)])).toEqual([['n2', ['a']]]);

    const down = setup([]); // the owner is not running here: the replica fails over with them
    down.replicas.set('s0', replica('s0', 'n3'));
    down.keeper.state('n1', state);
    down.keeper.msg('n1', { clientId: 's0', msg: msg('z'), dq: 1 });
    down.keeper.lost('n1');
    expect(down.sent).toEqual([]);
    expect([...down.replicas.get('s0')!.msgs.keys()]).toEqual(['z']);
  });

  it('a session held here takes the copy itself (not one started afresh)', () => {
    const { keeper, sessions, adopted } = setup([]);
    keeper.state('n1', state); // ignored: we hold the session live
    keeper.msg('n1', { clientId: 's0', msg: msg('a'), dq: 1 });
    sessions.set('s0', { clientId: 's0', expiryInterval: 60, cleanStarted: false } as Session);
    keeper.lost('n1');
    expect(adopted).toEqual([{ clientId: 's0', mids: ['a'] }]);

    keeper.state('n2', state);
    keeper.msg('n2', { clientId: 's0', msg: msg('b'), dq: 1 });
    sessions.set('s0', { clientId: 's0', expiryInterval: 60, cleanStarted: true } as Session);
    keeper.lost('n2');
    expect(adopted).toHaveLength(1);
  });

  it("a lost holder's orphans (forwards it never confirmed) go to the sessions it held copies of, as owed", () => {
    const { keeper, replicas, sent } = setup(['n3']);
    replicas.set('s0', replica('s0', 'n3')); // follows the live owner n3
    replicas.set('s1', replica('s1', 'n3'));
    keeper.state('n1', { ...state, subs: [{ key: '$share/g1/t/#', qos: 1, nl: false, rap: false, rh: 0 }] });
    keeper.state('n1', {
      ...state,
      clientId: 's1',
      subs: [{ key: 't/#', qos: 1, nl: false, rap: false, rh: 0 }],
    });
    keeper.holderOrphans('n1', [msg('a')], () => 1); // n1 is not lost: it serves its copies itself
    expect(sent).toEqual([]);
    keeper.lost('n1');
    const asked: [string, string][] = [];
    keeper.holderOrphans('n1', [msg('b'), msg('c')], (clientId, subs) => {
      asked.push([clientId, subs.map((x) => x.key).join()]);
      return clientId === 's0' ? 1 : null; // the share group's member only
    });
    expect(asked).toEqual([
      ['s0', '$share/g1/t/#'],
      ['s0', '$share/g1/t/#'],
      ['s1', ''], // a plain subscription: its owner's route had the forward
      ['s1', ''],
    ]);
    expect(sent.map((x) => [x.to, x.body.clientId, x.body.msgs.map((w) => w.mid), x.body.via])).toEqual([
      ['n3', 's0', ['b', 'c'], ['n1']], // in one handoff
    ]);
    keeper.back('n1'); // back: what it never confirmed goes to it again
    keeper.holderOrphans('n1', [msg('d')], () => 1);
    expect(sent).toHaveLength(1);
  });
});
