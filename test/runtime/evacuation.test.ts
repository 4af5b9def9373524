// Node evacuation with three real `runtime start` processes, driven by `runtime ctl` processes (issue 17):
// a persistent session of n1 with 20 queued QoS 1 messages; `rebalance start --evacuation` on n1 turns its
// /health to 503, sends its live v5 client away with DISCONNECT 0x9C and a Server Reference, moves the
// offline session with its queue to n2, and leaves n1 with no session; the client resumes on n2 with all 20.
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { RunningServer } from '../../runtime/server.ts';
import { createRuntime, waitUntil, uniqueId, sleep } from '../helpers/runtime.ts';
import { spawnCluster, type Proc, killAll, getJson, ROOT } from '../helpers/processes.ts';

const SECRET = 'loopback-test-secret';
const run = promisify(execFile);

/** `runtime ctl ARGS --admin` against a node, as a process: its exit code and output. */
async function ctl(p: Proc, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(
      process.execPath,
      ['bin/runtime.js', 'ctl', '--admin', `http://127.0.0.1:${p.adminPort}`, ...args],
      { cwd: ROOT, timeout: 15_000 },
    );
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

describe('evacuation of a `runtime start` process (runtime ctl rebalance start --evacuation)', () => {
  const rt = createRuntime();
  const procs: Proc[] = [];
  let tmp = '';
  const srv = (p: Proc) => ({ tcpPort: p.mqttPort }) as RunningServer;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-evac-'));
    const cfgFile = path.join(tmp, 'cluster.yaml');
    fs.writeFileSync(
      cfgFile,
      'sysInterval: 0\ncluster:\n  heartbeatIntervalMs: 200\n  heartbeatTimeoutMs: 2000\n',
    );
    await spawnCluster(procs, 3, cfgFile, SECRET, ['--admin-port', '0']);
    for (const p of procs)
      await waitUntil(
        () => procs.every((o) => o === p || p.out.includes(`[${p.name}] cluster peer.up peer=${o.name}`)),
        10_000,
        `${p.name} to see its peers (output: ${p.out})`,
      );
  });

  afterAll(async () => {
    await rt.cleanup();
    await killAll(procs);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('n1 answers 503, holds no client, and the session resumes on n2 with its 20 queued QoS 1 messages', async () => {
    const [p1, p2, p3] = procs;
    const id = uniqueId('dev');
    const topic = `evac/${uniqueId()}`;
    const opts = {
      protocolVersion: 5 as const,
      clientId: id,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    };
    const first = await rt.client(srv(p1), opts);
    await first.subscribeAsync(topic, { qos: 1 });
    await sleep(300); // the route reaches n3
    await first.endAsync();
    const pub = await rt.client(srv(p3), { protocolVersion: 5 });
    for (let i = 0; i < 20; i++) await pub.publishAsync(topic, `m${i}`, { qos: 1 });
    // A live v5 client on n1 is sent away with a Server Reference.
    const live = await rt.client(srv(p1), { protocolVersion: 5 });
    expect((await getJson(p1.adminPort, '/health')).status).toBe(200);

    const start = await ctl(
      p1,
      ...['rebalance', 'start', '--evacuation', '--migrate-to', 'n2,n3'],
      ...['--conn-evict-rate', '100', '--sess-evict-rate', '100', '--wait-health-check', '1'],
    );
    expect(start, start.err).toMatchObject({ code: 0 });
    expect(start.out).toContain('evacuating n1');
    expect((await getJson(p1.adminPort, '/health')).status).toBe(503);

    await waitUntil(() => live.disconnects.length > 0, 10_000, 'the live client to be sent away');
    expect(live.disconnects[0].reasonCode).toBe(0x9c);
    expect(['n2', 'n3']).toContain(live.disconnects[0].properties?.serverReference);
    // The offline session moves once no evicted client's session is left to wait for (the live one was clean).
    const listed = async () =>
      JSON.parse((await ctl(p1, '--json', 'clients', 'list')).out).clients as unknown[];
    for (const t0 = Date.now(); (await listed()).length > 0 && Date.now() - t0 < 20_000;) await sleep(200);
    const list = await ctl(p1, '--json', 'clients', 'list');
    expect(JSON.parse(list.out).clients).toEqual([]);
    expect((await getJson(p1.adminPort, '/health')).status).toBe(503);
    const status = await ctl(p1, '--json', 'rebalance', 'status');
    expect(JSON.parse(status.out).evacuation).toMatchObject({
      phase: 'done',
      sessionsMigrated: 1,
      sessionsLeft: 0,
    });

    const resumed = await rt.client(srv(p2), opts);
    expect(resumed.connack!.sessionPresent).toBe(true);
    const got = await resumed.inbox.waitFor(20, 10_000);
    expect(got.map((m) => m.payload.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));

    // A connect to n1 is refused while it is evacuated: CONNACK 0x9C with a Server Reference.
    await expect(rt.client(srv(p1), { protocolVersion: 5 })).rejects.toThrow();
    const stop = await ctl(p1, 'rebalance', 'stop');
    expect(stop).toMatchObject({ code: 0 });
    expect((await getJson(p1.adminPort, '/health')).status).toBe(200);
  }, 120_000);
});
