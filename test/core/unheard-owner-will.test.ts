// A will failed over from a node we cannot hear, due on a fresh claim of its id, waits for that node a
// down detection (core/cluster/unheard-owner-will.ts): heard again in the same life, that node decides
// (it may have published the will already: scenarios/regressions/explored-pause-will-twice.ts); not heard,
// or back as a new life, the will goes from here, once.

import { describe, it, expect } from 'vitest';
import { awaitUnheardOwner } from '../../core/cluster/unheard-owner-will.ts';
import { newMember, type Member } from '../../core/cluster/member.ts';
import type { Membership } from '../../core/cluster/membership.ts';
import type { LocalNode } from '../../core/cluster/local-node.ts';
import type { ClusterEvent } from '../../core/cluster/events.ts';
import type { Message } from '../../core/message.ts';
import type { Session } from '../../core/session.ts';
import { ManualClock } from '../helpers/manual-env.ts';

const WAIT = 5000;

function lab(ownerState: Member['state']) {
  const clock = new ManualClock();
  clock.t = 10_000;
  const owner: Member = {
    ...newMember('n2', 'n2:4370', 0),
    state: ownerState,
    peerInc: 'life-1',
    downSince: 9000,
  };
  const membership = {
    get: (n: string) => (n === 'n2' ? owner : undefined),
    isRunning: (n: string) => n === 'n2' && owner.state === 'running',
  } as unknown as Membership;
  const published: { clientId: string; msg: Message; at: number }[] = [];
  const events: ClusterEvent[] = [];
  let discarded = 0;
  const local = {
    env: { clock },
    discardWill: (s: Session) => {
      s.will = null;
      discarded++;
    },
    publishWillOf: (clientId: string, msg: Message) => published.push({ clientId, msg, at: clock.now() }),
  } as unknown as LocalNode;
  const msg = { topic: 'w/w0', payload: Buffer.from('gone'), qos: 1, retain: false } as unknown as Message;
  const s = { clientId: 'w0', will: { msg, delay: 10, expirySec: 60, lostWith: 'n2' } } as unknown as Session;
  const links = { membership, now: () => clock.now(), emit: (e: ClusterEvent) => events.push(e) };
  return {
    clock,
    owner,
    s,
    published,
    events,
    discarded: () => discarded,
    take: () => awaitUnheardOwner(local, links, s, WAIT),
  };
}

describe('a failed-over will due on a fresh claim while its node is not heard', () => {
  it('a running owner decides: not taken', () => {
    const l = lab('running');
    expect(l.take()).toBe(false);
    expect(l.s.will).not.toBeNull();
    expect(l.discarded()).toBe(0);
  });

  it('the owner never heard again (dead): the will goes after the wait, once, from the owner it was lost with', () => {
    const l = lab('unreachable');
    expect(l.take()).toBe(true);
    expect(l.s.will).toBeNull(); // not handed on with the session
    l.clock.advance(WAIT - 1);
    expect(l.published).toEqual([]);
    l.clock.advance(60_000);
    expect(l.published).toHaveLength(1);
    expect(l.published[0]).toMatchObject({ clientId: 'w0', at: 10_000 + WAIT });
    expect(l.published[0].msg.expiresAt).toBe(10_000 + WAIT + 60_000);
    expect(l.events).toEqual([{ type: 'will', clientId: 'w0', from: 'n2' }]);
  });

  it('the owner heard again in the same life within the wait (we were the paused one): not published here', () => {
    const l = lab('unreachable');
    l.take();
    l.clock.advance(500);
    l.owner.state = 'running'; // its link came up
    l.clock.advance(60_000);
    expect(l.published).toEqual([]);
  });

  it('heard again, then lost again before the wait ends: still that node’s to publish', () => {
    const l = lab('unreachable');
    l.take();
    l.clock.advance(500);
    l.owner.state = 'running';
    l.clock.advance(1000);
    l.owner.state = 'unreachable';
    l.owner.downSince = l.clock.now();
    l.clock.advance(60_000);
    expect(l.published).toEqual([]);
  });

  it('back as a new life (it restarted empty, knowing nothing of the connection): the will goes from here', () => {
    const l = lab('unreachable');
    l.take();
    l.clock.advance(500);
    l.owner.state = 'running';
    l.owner.peerInc = 'life-2';
    l.clock.advance(60_000);
    expect(l.published).toHaveLength(1);
  });
});
