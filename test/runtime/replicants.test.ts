// Core and replicant nodes with real `runtime start` processes over loopback (docs/replicants.md): two cores
// and one replicant (`--role replicant`, its seeds the cores). A publish on the replicant reaches a subscriber
// on a core and one on a core reaches a subscriber on the replicant; the replicant's client stays connected
// while a core is killed and restarted (EMQX #11310), and keeps receiving through the other core meanwhile.
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { RunningServer } from '../../runtime/server.ts';
import { createRuntime, waitUntil, uniqueId, sleep } from '../helpers/runtime.ts';
import { spawnRuntime, killAll, getJson, loopbackArgs, ROOT, type Proc } from '../helpers/processes.ts';
import { freePorts } from '../helpers/ports.ts';

const SECRET = 'loopback-test-secret';

describe('2 cores + 1 replicant as processes', () => {
  const rt = createRuntime();
  const procs: Proc[] = [];
  let tmp = '';
  let start: (name: string) => Proc = () => {
    throw new Error('not started');
  };
  const srv = (p: Proc) => ({ tcpPort: p.mqttPort }) as RunningServer;
  const sees = (p: Proc, peer: string, from = 0) => p.out.indexOf(`cluster peer.up peer=${peer}`, from) >= 0;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-replicant-'));
    const cfgFile = path.join(tmp, 'cluster.yaml');
    fs.writeFileSync(
      cfgFile,
      'sysInterval: 0\ncluster:\n  heartbeatIntervalMs: 200\n  heartbeatTimeoutMs: 2000\n',
    );
    const [p1, p2, p3] = await freePorts(3);
    const cores = `c1@127.0.0.1:${p1},c2@127.0.0.1:${p2}`;
    const port: Record<string, number> = { c1: p1, c2: p2, r1: p3 };
    const env = { ...process.env, MQTTLAB_CLUSTER_SECRET: SECRET };
    start = (name) => {
      const args = [...loopbackArgs(cfgFile), '--admin-port', '0', '--cluster-port', String(port[name])];
      args.push('--seeds', cores);
      if (name.startsWith('r')) args.push('--role', 'replicant');
      const p = spawnRuntime(name, args, env);
      procs.push(p);
      return p;
    };
    const [c1, c2, r1] = ['c1', 'c2', 'r1'].map(start);
    await waitUntil(
      () => sees(r1, 'c1') && sees(r1, 'c2') && sees(c1, 'c2') && [c1, c2, r1].every((p) => p.adminPort > 0),
      15_000,
      `the replicant to link to both cores (output: ${procs.map((p) => p.out).join(' | ')})`,
    );
  }, 30_000);

  afterAll(async () => {
    await rt.cleanup();
    await killAll(procs);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('forwards both ways, shows the roles, and keeps the replicant client connected across a core restart', async () => {
    const [c1, c2, r1] = procs;
    // Roles in the admin API (what `runtime ctl cluster status` prints as its ROLE column).
    const members = (await getJson(r1.adminPort, '/api/cluster')).body.members;
    expect(members.map((m: any) => [m.node, m.role ?? 'core', m.state])).toEqual([
      ['c1', 'core', 'running'],
      ['c2', 'core', 'running'],
      ['r1', 'replicant', 'running'],
    ]);
    const ctl = await promisify(execFile)(
      process.execPath,
      ['bin/runtime.js', 'ctl', '--admin', `http://127.0.0.1:${c1.adminPort}`, 'cluster', 'status'],
      { cwd: ROOT, timeout: 15_000 },
    );
    expect(ctl.stdout).toMatch(/NODE\s+STATE\s+ADDRESS\s+ROLE/);
    expect(ctl.stdout).toMatch(/r1\s+running\s+\S+\s+replicant/);
    const coreView = (await getJson(c1.adminPort, '/api/cluster')).body.members;
    expect(coreView.find((m: any) => m.node === 'r1')?.role).toBe('replicant');
    // A replicant's relay counts (forwards relayed through the cores, second copies dropped); none on a core.
    const relay = (await getJson(r1.adminPort, '/api/cluster')).body.relay;
    expect(Object.keys(relay).sort()).toEqual(['duplicatesDropped', 'relayedOn', 'relayedOut']);
    expect((await getJson(c1.adminPort, '/api/cluster')).body.relay).toBeUndefined();

    const up = `up/${uniqueId()}`;
    const down = `down/${uniqueId()}`;
    const onCore = await rt.client(srv(c1), { protocolVersion: 5 });
    const coreInbox = onCore.inbox;
    await onCore.subscribeAsync(up, { qos: 1 });
    const onReplicant = await rt.client(srv(r1), {
      protocolVersion: 5,
      clientId: uniqueId('edge'),
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 0,
    });
    const edgeInbox = onReplicant.inbox;
    await onReplicant.subscribeAsync(down, { qos: 1 });
    const pubR = await rt.client(srv(r1), { protocolVersion: 5 });
    const pubC = await rt.client(srv(c1), { protocolVersion: 5 });
    await sleep(500); // routes made on one side reach the other before the publishes below
    await pubR.publishAsync(up, 'from-replicant', { qos: 1 });
    await pubC.publishAsync(down, 'from-core', { qos: 1 });
    await coreInbox.waitFor(1, 5000);
    await edgeInbox.waitFor(1, 5000);
    expect(coreInbox.payloads()).toEqual(['from-replicant']);
    expect(edgeInbox.payloads()).toEqual(['from-core']);

    // Core c2 is killed and restarted: the replicant's client is not disconnected and keeps receiving.
    const before = r1.out.length;
    c2.child.kill('SIGKILL');
    await c2.exited;
    await pubC.publishAsync(down, 'c2-down', { qos: 1 });
    const c2b = start('c2');
    await waitUntil(
      () => sees(r1, 'c2', before) && c2b.mqttPort > 0,
      15_000,
      `r1 to see c2 again (${r1.out})`,
    );
    const pub2 = await rt.client(srv(c2b), { protocolVersion: 5 });
    await sleep(500); // c2's table of r1's routes is in
    await pub2.publishAsync(down, 'from-restarted-core', { qos: 1 });
    await edgeInbox.waitFor(3, 5000);
    expect(edgeInbox.payloads()).toEqual(['from-core', 'c2-down', 'from-restarted-core']);
    expect(onReplicant.isClosed()).toBe(false);
    expect(onReplicant.connected).toBe(true);
  }, 60_000);
});
