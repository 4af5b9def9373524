// Core and replicant nodes in the simulator (core/cluster/replicant.ts, docs/replicants.md): what a replicant
// owns reaches other replicants through the cores; replicants never link to one another nor count in the
// cores' membership decisions.
import { describe, it, expect } from 'vitest';
import { World } from '../../sim/world.ts';
import { settle } from '../helpers/sim.ts';
import { convergenceProblems } from '../../sim/convergence.ts';

const cores = ['c1', 'c2'];
const reps = ['r1', 'r2'];

function world(seed = 1): World {
  const w = new World({ seed, history: { keepEvents: true } });
  const broker = { limits: { maxQueuedMessages: 10_000 } as never };
  w.addCluster(cores, { broker });
  const seeds = cores.map((n) => ({ node: n, address: `${n}:cluster` }));
  w.addCluster(reps, { broker, cluster: { role: 'replicant', seeds } });
  return w;
}

const up = (w: World) => () =>
  convergenceProblems(w).length === 0 && reps.every((r) => w.cluster(r).runningNodes().length === 3);

describe('replicants', () => {
  it('link to the cores only; the cores mark them and leave them out of netsplits and backups', async () => {
    const w = world();
    await w.run(async (w) => {
      await settle(w, up(w), 10_000, 'cluster up');
      expect(
        w
          .cluster('r1')
          .status()
          .map((s) => s.node),
      ).toEqual(['c1', 'c2', 'r1']);
      expect(
        w
          .cluster('c1')
          .status()
          .map((s) => [s.node, s.role ?? 'core']),
      ).toEqual([
        ['c1', 'core'],
        ['c2', 'core'],
        ['r1', 'replicant'],
        ['r2', 'replicant'],
      ]);
      w.crash('r2', 'process');
      await w.sleep(8000);
      expect(
        w
          .cluster('c1')
          .status()
          .find((s) => s.node === 'r2')?.state,
      ).toBe('unreachable');
      expect(w.cluster('c1').netsplit).toBe(false); // a replicant down is no netsplit
      expect(w.cluster('c1').backupOf('r2')).toBe('c1'); // its sessions fail over to a core
      expect(w.cluster('r1').backupOf('c1')).toBe('c2'); // a replicant backs up no one
      w.crash('c1', 'process');
      await w.sleep(8000);
      expect(w.cluster('r1').backupOf('c1')).toBe('c2');
      expect(w.cluster('c2').backupOf('c1')).toBe('c2');
    });
  });

  it('a persistent session moves from one live replicant to another with its queue (handoff through a core)', async () => {
    const w = world(2);
    const sub = w.client('sub', {
      target: 'r1',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      subscriptions: [{ filter: 'q/#', qos: 1 }],
    });
    const pub = w.client('pub', { target: 'r2', version: 5 });
    await w.run(async (w) => {
      await settle(w, up(w), 10_000, 'cluster up');
      await settle(w, () => sub.connected && pub.connected, 5000, 'clients up');
      await w.sleep(500);
      sub.disconnect();
      await w.sleep(200);
      const ids = Array.from({ length: 10 }, () => pub.publish('q/a', 1));
      await settle(w, () => ids.every((id) => pub.acked.has(id)), 5000, 'publishes acked');
      expect(w.broker('r1').sessions.get('sub')?.queued).toBe(10); // relayed r2 -> core -> r1
      const again = w.extraClient('sub', { target: 'r2', version: 5, clean: false, sessionExpiry: 3600 });
      await settle(w, () => again.received.length === 10, 5000, 'all 10 on r2');
      expect(again.received.map((r) => r.id)).toEqual(ids);
      await settle(w, () => !w.broker('r1').sessions.has('sub'), 5000, 'r1 handed the session over');
      // And what is published on r1 now reaches the session on r2.
      const pub1 = w.client('pub1', { target: 'r1', version: 5 });
      await settle(w, () => pub1.connected && convergenceProblems(w).length === 0, 15_000, 'routes moved');
      const id = pub1.publish('q/b', 1);
      await settle(w, () => again.received.some((r) => r.id === id), 5000, 'the new publish on r2');
    });
  });

  it('a retained message written on one replicant is read on the other', async () => {
    const w = world(3);
    const pub = w.client('pub', { target: 'r1', version: 5 });
    await w.run(async (w) => {
      await settle(w, () => up(w)() && pub.connected, 10_000, 'cluster up');
      pub.publish('state/x', 1, { retain: true });
      await w.sleep(500);
      const late = w.client('late', {
        target: 'r2',
        version: 5,
        subscriptions: [{ filter: 'state/#', qos: 1 }],
      });
      await settle(w, () => late.received.length === 1, 5000, 'the retained message on r2');
      expect(late.received[0].retain).toBe(true);
    });
  });
});
