// Outbound QoS 2 made safe before it matters (core/qos2-guard.ts, core/held-sends.ts): the gate of a step
// opens once every running peer confirmed its frames and the disk synced; held packets go in order; an
// outbound tracking inside a publisher's (a local delivery) leaves the publisher's tracking intact.

import { describe, it, expect } from 'vitest';
import { AckTracker, settle, type Tracker } from '../../core/cluster/ack-tracker.ts';
import { HeldSends, type Gate } from '../../core/held-sends.ts';
import { guardOutbound, whenKept, type GuardHost } from '../../core/qos2-guard.ts';
import type { SessionJournal } from '../../core/journal.ts';
import type { Inflight, Session } from '../../core/session.ts';

/** A broker as the guard sees it: journal writes send one frame per running peer; an asynchronous disk. */
function host(mode: 'replicated' | 'local' | 'quorum', peers = 2, asyncDisk = false) {
  const acks = new AckTracker({ ackMode: mode }, () =>
    Array.from({ length: peers }, () => ({ state: 'running' as const })),
  );
  const frames: { tracker?: Tracker }[] = [];
  const durable: (() => void)[] = [];
  let unsynced = false;
  const write = (): void => {
    unsynced = true;
    for (let i = 0; i < peers; i++) frames.push({ tracker: acks.hold(`n${i + 2}`) });
  };
  const journal = { outbound: write, stateChanged: write } as unknown as SessionJournal;
  const h: GuardHost = {
    journal,
    tracked: (fn, all) => acks.tracked(fn, all),
    commit: () => {
      const was = unsynced && asyncDisk;
      unsynced = false;
      return was;
    },
    whenDurable: (fn) => void durable.push(fn),
  };
  return { h, acks, frames, durable };
}

const persistent = { expiryInterval: 3600 } as Session;
const clean = { expiryInterval: 0 } as Session;
const q2 = { qos: 2, state: 'publish' } as Inflight;

function opened(g: Gate | null): () => boolean {
  let open = false;
  g?.(() => (open = true));
  return () => open;
}

describe('guardOutbound', () => {
  it('a persistent QoS 2 PUBLISH waits for every running peer, in every ack mode (quorum and local too)', () => {
    for (const mode of ['replicated', 'quorum', 'local'] as const) {
      const { h, frames } = host(mode, 2);
      const g = guardOutbound(h, persistent, 7, 'sent', q2);
      const open = opened(g);
      expect(frames).toHaveLength(2);
      settle(frames[0], 'n2');
      expect(open()).toBe(false); // a majority is not enough: the backup may be the other peer
      settle(frames[1], 'n3');
      expect(open()).toBe(true);
    }
  });

  it('with an asynchronous disk it waits for the fsync as well', () => {
    const { h, frames, durable } = host('replicated', 1, true);
    const open = opened(guardOutbound(h, persistent, 7, 'released', { ...q2, state: 'pubrel' }));
    settle(frames[0], 'n2');
    expect(open()).toBe(false);
    durable.shift()!();
    expect(open()).toBe(true);
  });

  it('no gate for QoS 1, a clean session, a completed step, or nothing to wait for', () => {
    const { h } = host('replicated', 2);
    expect(guardOutbound(h, persistent, 1, 'sent', { qos: 1, state: 'publish' } as Inflight)).toBeNull();
    expect(guardOutbound(h, clean, 1, 'sent', q2)).toBeNull();
    expect(guardOutbound(h, persistent, 1, 'completed', q2)).toBeNull();
    expect(guardOutbound(host('replicated', 0).h, persistent, 1, 'sent', q2)).toBeNull();
  });

  it("inside a publisher's tracked publish, the publisher's later frames still count for it", () => {
    const { h, acks, frames } = host('replicated', 1);
    let inner: Gate | null = null;
    const { tracker } = acks.tracked(() => {
      inner = guardOutbound(h, persistent, 3, 'sent', q2); // a local delivery during the publish
      frames.push({ tracker: acks.hold('n2') }); // the publish's forward after it
    });
    expect(tracker?.pending).toBe(1);
    expect(inner).not.toBeNull();
  });

  it('whenKept: PUBCOMP-style wait for the peers only in the ack mode (local: none)', () => {
    const l = host('local', 2);
    expect(whenKept(l.h, () => l.h.journal.stateChanged(persistent))).toBeNull();
    const { h, frames } = host('replicated', 1);
    const open = opened(whenKept(h, () => h.journal.stateChanged(persistent)));
    expect(open()).toBe(false);
    settle(frames[0], 'n2');
    expect(open()).toBe(true);
  });
});

describe('HeldSends', () => {
  it('sends in the order made, a later open gate waiting for an earlier one; ungated ones behind a held one wait', () => {
    const out: string[] = [];
    const gates: (() => void)[] = [];
    const gate: Gate = (go) => void gates.push(go);
    const q = new HeldSends();
    q.add(null, () => out.push('a'));
    q.add(gate, () => out.push('b'));
    q.add(gate, () => out.push('c'));
    q.add(null, () => out.push('d'));
    expect(out).toEqual(['a']);
    gates[1]();
    expect(out).toEqual(['a']);
    gates[0]();
    expect(out).toEqual(['a', 'b', 'c', 'd']);
    q.add(null, () => out.push('e'));
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
