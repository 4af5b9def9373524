// `runtime ctl rebalance ...` and /api/rebalance/* on two in-process clustered servers: status, bad input
// (one-line reasons, exit 1), refusals (409), a rebalance of a balanced cluster, and a standalone node.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { ctl } from '../../runtime/ctl.ts';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import { isolated, sleep, waitUntil } from '../helpers/runtime.ts';
import { freePorts } from '../helpers/ports.ts';

async function run(port: number, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await ctl(['--admin', `http://127.0.0.1:${port}`, ...args], 'runtime ctl', {
    out: (l) => (out += l + '\n'),
    err: (l) => (err += l + '\n'),
  });
  return { code, out, err };
}

describe('rebalance admin API on a 2-node cluster', () => {
  let nodes: RunningServer[] = [];
  const quiet = { info: () => {}, warn: () => {} };

  beforeAll(async () => {
    const ports = await freePorts(2);
    const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`);
    nodes = await Promise.all(
      ports.map((port, i) =>
        startServer(
          {
            node: `n${i + 1}`,
            sysInterval: 0,
            listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
            admin: { enabled: true, port: 0 },
            cluster: {
              enabled: true,
              host: '127.0.0.1',
              port,
              secret: 'loopback-test-secret',
              seeds,
              heartbeatIntervalMs: 100,
              heartbeatTimeoutMs: 1500,
            },
          },
          quiet,
        ),
      ),
    );
    await waitUntil(() => nodes.every((n) => n.cluster!.runningNodes().length === 2), 10_000, 'cluster up');
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => Promise.race([n.stop(), sleep(3000)])));
  });

  it('status with nothing running; bad input and refusals are one-line errors with exit 1', async () => {
    const port = nodes[0].adminPort!;
    expect(await run(port, 'rebalance', 'status')).toMatchObject({ code: 0, out: 'nothing runs on n1\n' });
    const zero = await run(port, 'rebalance', 'start', '--evacuation', '--conn-evict-rate', '0');
    expect(zero.code).toBe(1);
    expect(zero.err).toContain('HTTP 400: connEvictRate: must be a number > 0');
    const unknown = await run(port, 'rebalance', 'start', '--evacuation', '--migrate-to', 'n9');
    expect(unknown.err).toContain('HTTP 409: migrate-to: n9 not a running peer');
    const stop = await run(port, 'rebalance', 'stop');
    expect(stop).toMatchObject({ code: 1 });
    expect(stop.err).toContain('HTTP 404: no evacuation or rebalance runs on this node');
    expect(await run(port, 'rebalance', 'start', '--migrate-to', 'n2')).toMatchObject({
      code: 2,
      err: '--migrate-to is for rebalance start with --evacuation\n',
    });
    expect((await run(port, 'rebalance', 'start', '--rel-conn-threshold', '0.5')).err).toContain(
      '--rel-conn-threshold 0.5: expected a number >= 1',
    );
  });

  it('a rebalance of an empty cluster ends balanced; an evacuation turns /health to 503 until stopped', async () => {
    const port = nodes[1].adminPort!;
    const r = await run(port, 'rebalance', 'start', '--conn-threshold', '0');
    expect(r.code).toBe(0);
    expect(r.out).toContain('rebalancing n2');
    const status = async () => JSON.parse((await run(port, '--json', 'rebalance', 'status')).out);
    for (let i = 0; i < 50 && (await status()).rebalance.phase !== 'balanced'; i++) await sleep(100);
    expect((await status()).rebalance).toMatchObject({
      phase: 'balanced',
      loads: { n1: 0, n2: 0 },
      donors: {},
    });

    const health = () => fetch(`http://127.0.0.1:${port}/health`).then((x) => x.status);
    expect(await health()).toBe(200);
    const ev = await run(port, 'rebalance', 'start', '--evacuation', '--wait-health-check', '30');
    expect(ev.out).toContain('evacuation on n2: waiting-health-check, targets n1');
    expect(await health()).toBe(503);
    // GET /api/cluster carries it too (runtime ui shows it on the node's box).
    const cl = await fetch(`http://127.0.0.1:${port}/api/cluster`).then((x) => x.json());
    expect(cl.evacuation).toMatchObject({
      kind: 'evacuation',
      phase: 'waiting-health-check',
      targets: ['n1'],
    });
    const again = await run(port, 'rebalance', 'start', '--evacuation');
    expect(again.err).toContain('HTTP 409: an evacuation is already running here; stop it first');
    expect(await run(port, 'rebalance', 'stop')).toMatchObject({ code: 0, out: 'stopped on n2\n' });
    expect(await health()).toBe(200);
  });
});

describe('rebalance on a standalone node', () => {
  it(
    'is refused: nothing to move to (409)',
    isolated(async (rt) => {
      const s = await rt.server({ admin: { enabled: true, port: 0 } });
      const r = await run(s.adminPort!, 'rebalance', 'status');
      expect(r.code).toBe(1);
      expect(r.err).toContain('HTTP 409: this node is not clustered');
    }),
  );
});
