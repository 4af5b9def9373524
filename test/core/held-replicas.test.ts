// HeldReplicas: a node that fails an owner over without being its backup hands the backup what it holds of it;
// the backup takes only a claim newer than anything it holds or knows of the client, once that life is over in
// its own view too, and restores it (an older offline copy here gives way and merges in).
import { describe, it, expect } from 'vitest';
import { HeldReplicas } from '../../core/cluster/held-replicas.ts';
import { F, decode, type HeldBody, type RWillBody } from '../../core/cluster/peer-protocol.ts';
import type { Replica } from '../../core/cluster/replica.ts';
import type { LocalNode } from '../../core/cluster/local-node.ts';
import type { WillReplicator } from '../../core/cluster/will-replication.ts';
import type { Message } from '../../core/message.ts';
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

function replica(clientId: string, owner: string, at: number, mids: string[] = []): Replica {
  return {
    clientId,
    owner,
    at,
    expiry: 86400,
    subs: [{ key: 't/#', qos: 1, nl: false, rap: false, rh: 0 }],
    msgs: new Map(mids.map((m) => [m, { msg: msg(m), qos: 1 as const }])),
    done: new RecentSet(64),
    in2: [],
    rel: new Set(),
  };
}

/** Node `self` with its view: running nodes, each member's life, the backup of every owner, newer claims. */
function node(self: string, o: { running: string[]; backup: string; life?: string; claimed?: string[] }) {
  const replicas = new Map<string, Replica>();
  const sessions = new Map<string, Session>();
  const sent: { to: string; body: HeldBody }[] = [];
  const restored: { owner: string; pastLife: boolean; ids: string[]; wills: string[] }[] = [];
  const dropped: string[] = [];
  const wills: RWillBody[] = [];
  const adopted: string[] = [];
  const b = {
    env: { clock: { now: () => 0 } },
    sessions,
    dropSession: (s: Session) => {
      dropped.push(s.clientId);
      sessions.delete(s.clientId);
    },
  } as unknown as LocalNode;
  const w = {
    heldOf: () => wills,
    adopt: (_owner: string, x: RWillBody) => (adopted.push(x.clientId), true),
  } as unknown as WillReplicator;
  const held = new HeldReplicas(
    {
      node: self,
      membership: { get: () => ({ peerInc: o.life ?? 'life1', downSince: 100 }) },
      backupOf: () => o.backup,
      isRunning: (n) => o.running.includes(n),
      claimedSince: (id) => !!o.claimed?.includes(id),
      sendReliableTo: (to, frame) => {
        const f = decode(frame.subarray(4), 0);
        if (f.type === F.Held) sent.push({ to, body: f.body });
      },
    },
    b,
    replicas,
    w,
    (owner, pastLife, rs, ws) =>
      restored.push({ owner, pastLife, ids: rs.map((r) => r.clientId), wills: [...ws].sort() }),
  );
  return { held, replicas, sessions, sent, restored, dropped, wills, adopted };
}

describe('HeldReplicas', () => {
  it("a holder that is not the backup hands it the owner's replicas and wills, once per loss", () => {
    const h = node('n2', { running: ['n1'], backup: 'n1' });
    h.replicas.set('w1', replica('w1', 'n3', 9008, ['a']));
    h.replicas.set('x', replica('x', 'n1', 5)); // another owner's
    h.wills.push({ clientId: 'w1', at: 9008, will: toWire('w'), delay: 0 });
    expect(h.held.notBackup('n3', false)).toBe(true);
    expect(h.held.notBackup('n3', false)).toBe(true); // again for the same loss: nothing more
    expect(h.sent).toHaveLength(1);
    const { to, body } = h.sent[0];
    expect([to, body.owner, body.inc, body.ended]).toEqual(['n1', 'n3', 'life1', undefined]);
    expect(body.replicas.map((r) => [r.clientId, r.at, r.msgs.map((m) => m.mid)])).toEqual([
      ['w1', 9008, ['a']],
    ]);
    expect(body.wills.map((x) => x.clientId)).toEqual(['w1']);
    // The backup itself sends nothing and restores as before.
    expect(node('n1', { running: [], backup: 'n1' }).held.notBackup('n3', false)).toBe(false);
  });

  it('the backup takes a newer claim than it holds, once that life is over in its view, and restores it', () => {
    const held = (over: Partial<HeldBody>): HeldBody => ({
      owner: 'n3',
      replicas: [{ ...handoff('w1'), at: 9008 }],
      wills: [{ clientId: 'w1', at: 9008, will: toWire('w'), delay: 0 }],
      ...over,
    });
    // Still linked to that life of n3: it gets the truth from n3.
    const alive = node('n1', { running: ['n3'], backup: 'n1', life: 'life1' });
    alive.held.onHeld(held({ inc: 'life1' }));
    expect(alive.restored).toEqual([]);
    // Not its backup in its own view: nothing.
    const other = node('n1', { running: [], backup: 'n2' });
    other.held.onHeld(held({ inc: 'life1' }));
    expect(other.restored).toEqual([]);
    // n3 unreachable here: taken and restored, with its will.
    const down = node('n1', { running: [], backup: 'n1' });
    down.held.onHeld(held({ inc: 'life1' }));
    expect(down.restored).toEqual([{ owner: 'n3', pastLife: false, ids: ['w1'], wills: ['w1'] }]);
    expect(down.replicas.get('w1')?.msgs.has('a')).toBe(true);
    // n3 runs again, a new life (or the sender saw it restart): a past life's replica.
    const again = node('n1', { running: ['n3'], backup: 'n1', life: 'life2' });
    again.held.onHeld(held({ inc: 'life1' }));
    expect(again.restored).toEqual([{ owner: 'n3', pastLife: true, ids: ['w1'], wills: ['w1'] }]);
    expect(again.replicas.get('w1')?.old).toBe(true);
    // A replica of that claim or a newer one held, a newer claim known, or the session ended: nothing taken.
    for (const n of [
      (() => {
        const x = node('n1', { running: [], backup: 'n1' });
        x.replicas.set('w1', replica('w1', 'n3', 9008));
        return x;
      })(),
      node('n1', { running: [], backup: 'n1', claimed: ['w1'] }),
      (() => {
        const x = node('n1', { running: [], backup: 'n1' });
        x.replicas.set('w1', replica('w1', 'n3', 9008));
        x.held.ended('n3', 'w1');
        x.replicas.delete('w1');
        return x;
      })(),
    ]) {
      n.held.onHeld(held({ inc: 'life1' }));
      expect(n.restored).toEqual([]);
    }
  });

  it('an older offline session here gives way to a taken replica and its queue merges in', () => {
    const h = node('n1', { running: [], backup: 'n1' });
    const old = { clientId: 'w1', conn: null, connectedAt: 4, pending: () => [{ msg: msg('b'), qos: 1 }] };
    h.sessions.set('w1', old as unknown as Session);
    h.held.onHeld({ owner: 'n3', inc: 'life1', replicas: [{ ...handoff('w1'), at: 9008 }], wills: [] });
    const r = h.replicas.get('w1')!;
    expect(h.held.room(r)).toBe(true);
    expect(h.dropped).toEqual(['w1']);
    expect([...r.msgs.keys()]).toEqual(['a', 'b']);
    // A replica not taken from a holder never replaces a session here (as before).
    h.sessions.set('w2', { ...old, clientId: 'w2' } as unknown as Session);
    expect(h.held.room(replica('w2', 'n3', 9008))).toBe(false);
  });
});

function toWire(mid: string) {
  return { topic: 't/x', payload: 'AA==', qos: 1 as const, retain: false, from: 'p0', receivedAt: 0, mid };
}

function handoff(clientId: string) {
  return {
    clientId,
    subs: [{ key: 't/#', qos: 1 as const, nl: false, rap: false, rh: 0 as const }],
    msgs: [{ ...toWire('a'), dq: 1 as const }],
    expiry: 86400,
  };
}
