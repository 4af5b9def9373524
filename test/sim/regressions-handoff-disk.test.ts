// A node with a data dir that hands a persistent session over to another node (its client connected
// there) must forget it on its own disk: otherwise, after a power loss of every node, it restores the
// stale copy, which claims the client id again and hands over messages the client completed long ago
// (found by scenarios/disk-faults.ts: a QoS 2 message delivered a second time, out of order).

import { describe, it, expect } from 'vitest';
import { makeWorld, events, settle } from '../helpers/sim.ts';

describe('a session handed off from a node with a data dir', () => {
  it('is not restored by that node after a power loss of every node', async () => {
    const w = makeWorld({ latency: { kind: 'fixed', ms: 1 } });
    w.addCluster(['n1', 'n2'], { persist: true });
    const opts = { version: 5 as const, clean: false, sessionExpiry: 3600, keepalive: 10 };
    const sub = w.client('sub', {
      ...opts,
      target: 'n1',
      subscriptions: [{ filter: 'a/#', qos: 2 as const }],
    });
    const pub = w.client('pub', { target: 'n2', version: 5, keepalive: 10 });
    await settle(w, () => sub.connected && pub.connected, 10_000, 'connect');
    await w.sleep(2000);
    sub.kill();
    const ids = [pub.publish('a/1', 2), pub.publish('a/2', 2)];
    await settle(w, () => events(w, 'pub.ok', { c: 'pub' }).length === 2, 5000, 'acks');
    // The client comes back on n2: n1 hands its session (and the two messages) over.
    sub.opts.target = 'n2';
    sub.connect();
    const again = sub;
    await settle(w, () => ids.every((id) => again.received.some((m) => m.id === id)), 10_000, 'handoff');
    expect(events(w, 'cluster.handoff.out', { node: 'n1', clientId: 'sub' as never })).toHaveLength(1);
    await w.sleep(2000);

    w.crash('n1', 'power');
    w.crash('n2', 'power');
    await w.sleep(1000);
    w.restart('n1');
    w.restart('n2');
    expect(events(w, 'node.restore', { node: 'n1' }).at(-1)).toMatchObject({ sessions: 0, messages: 0 });
    expect(events(w, 'node.restore', { node: 'n2' }).at(-1)).toMatchObject({ sessions: 1 });
    await w.sleep(30_000);
    expect(again.received.filter((m) => ids.includes(m.id))).toHaveLength(2); // once each
  });
});
