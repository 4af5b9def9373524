// Ack mode 'quorum' (core/cluster/ack-tracker.ts): the publisher's acknowledgement waits for a majority
// of the members; a peer taken for lost answers nothing (in 'replicated' it answers), only its own
// confirmation does; a frame dropped for good (the peer restarted) ends the wait as in 'replicated'.

import { describe, it, expect } from 'vitest';
import { AckTracker, settle, settleLost, type Tracker } from '../../core/cluster/ack-tracker.ts';
import type { NodeState } from '../../core/cluster/config.ts';

function cluster(mode: 'quorum' | 'replicated', states: NodeState[]) {
  const members = states.map((state) => ({ state }));
  const stats = { quorumHeld: 0 };
  const acks = new AckTracker({ ackMode: mode }, () => members, stats);
  /** A publish that sends one frame to each peer whose state counts; returns its tracker and frames. */
  const publish = () => {
    const frames: { peer: string; u: { tracker?: Tracker } }[] = [];
    const { tracker } = acks.tracked(() =>
      members.forEach((m, i) => {
        if (acks.counts(m.state)) frames.push({ peer: `n${i + 2}`, u: { tracker: acks.hold(`n${i + 2}`) } });
      }),
    );
    let done = false;
    if (tracker) tracker.done = () => (done = true);
    return { tracker, frames, done: () => done };
  };
  return { acks, stats, publish };
}

describe("ack mode 'quorum'", () => {
  it('3 nodes: one peer confirming makes a majority', () => {
    const { publish } = cluster('quorum', ['running', 'running']);
    const p = publish();
    expect(p.frames).toHaveLength(2);
    settle(p.frames[0].u, 'n2');
    expect(p.done()).toBe(true);
  });

  it('5 nodes: two peers must confirm; a lost peer answers nothing, its later confirmation does', () => {
    const { publish } = cluster('quorum', ['running', 'running', 'running', 'running']);
    const p = publish();
    settle(p.frames[0].u, 'n2');
    settleLost(p.frames[1].u);
    expect(p.done()).toBe(false);
    settle(p.frames[1].u, 'n3'); // the link is back and the peer confirms the resent frame
    expect(p.done()).toBe(true);
  });

  it('every peer cut off: the frames count, the acknowledgement is held (and counted) until one confirms', () => {
    const { publish, stats } = cluster('quorum', ['unreachable', 'unreachable']);
    const p = publish();
    expect(p.tracker).not.toBeNull();
    expect(stats.quorumHeld).toBe(1);
    for (const f of p.frames) settleLost(f.u);
    expect(p.done()).toBe(false);
    settle(p.frames[1].u, 'n3');
    expect(p.done()).toBe(true);
  });

  it("'replicated' with every peer cut off acknowledges at once (the counterexample); a lost peer answers", () => {
    const r = cluster('replicated', ['unreachable', 'unreachable']).publish();
    expect(r.tracker).toBeNull();
    const q = cluster('replicated', ['running', 'running']).publish();
    settle(q.frames[0].u, 'n2');
    settleLost(q.frames[1].u);
    expect(q.done()).toBe(true);
  });

  it('frames dropped for good (the peers restarted) end the wait, as in replicated', () => {
    const { publish } = cluster('quorum', ['running', 'running']);
    const p = publish();
    for (const f of p.frames) settle(f.u);
    expect(p.done()).toBe(true);
  });

  it('a message for no peer (clean sessions here only) is acknowledged at once', () => {
    const { acks } = cluster('quorum', ['running', 'running']);
    expect(acks.tracked(() => 1).tracker).toBeNull();
  });
});
