// Cluster linking between real processes over loopback (docs/cluster-linking.md): two single-node clusters,
// A and B, linked through a fault proxy in front of each node's link port. A subscriber on B gets what is
// published on A; while the link is cut, A's local subscriber keeps receiving and A keeps what B subscribes
// to; at the heal the link comes back and B gets it, in order. `runtime ctl cluster status` shows the link.
import os from 'node:os';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { RunningServer } from '../../runtime/server.ts';
import { createRuntime, waitUntil, uniqueId } from '../helpers/runtime.ts';
import { spawnRuntime, killAll, getJson, loopbackArgs, ROOT, type Proc } from '../helpers/processes.ts';
import { freePorts } from '../helpers/ports.ts';
import { FaultProxy } from '../../sim/live/fault-proxy.ts';

describe('two linked clusters as processes', () => {
  const rt = createRuntime();
  const procs: Proc[] = [];
  const proxy = new FaultProxy({ userTimeoutMs: 3000, connectTimeoutMs: 3000 });
  let tmp = '';
  const srv = (p: Proc) => ({ tcpPort: p.mqttPort }) as RunningServer;
  const linkUps = (p: Proc) => p.out.split('cluster link.up').length - 1;
  const linkDowns = (p: Proc) => p.out.split('cluster link.down').length - 1;
  let startNode: (
    node: string,
    name: string,
    port: number,
    link: number,
    to: string,
    secret?: string,
  ) => Proc;
  let linkPortA = 0;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-links-'));
    const cfgFile = path.join(tmp, 'node.yaml');
    fs.writeFileSync(
      cfgFile,
      'sysInterval: 0\ncluster:\n  heartbeatIntervalMs: 200\n  heartbeatTimeoutMs: 2000\n',
    );
    const [ca, cb, la, lb] = await freePorts(4);
    const fa = await proxy.front('a1', la);
    const fb = await proxy.front('b1', lb);
    const env = { ...process.env, MQTTLAB_CLUSTER_SECRET: 'inside', MQTTLAB_LINK_SECRET: 'between-a-and-b' };
    const start = (
      node: string,
      name: string,
      port: number,
      linkPort: number,
      link: string,
      secret?: string,
    ) => {
      const args = [...loopbackArgs(cfgFile), '--admin-port', '0', '--cluster-port', String(port)];
      args.push('--cluster-name', name, '--link-port', String(linkPort), '--link', link);
      const p = spawnRuntime(node, args, secret ? { ...env, MQTTLAB_LINK_SECRET: secret } : env);
      procs.push(p);
      return p;
    };
    startNode = start;
    linkPortA = la;
    const a1 = start('a1', 'A', ca, la, `B@127.0.0.1:${fb}`);
    const b1 = start('b1', 'B', cb, lb, `A@127.0.0.1:${fa}`);
    await waitUntil(
      () => linkUps(a1) > 0 && linkUps(b1) > 0 && a1.adminPort > 0 && b1.adminPort > 0,
      15_000,
      `both links up (output: ${procs.map((p) => p.out).join(' | ')})`,
    );
  }, 30_000);

  afterAll(async () => {
    await rt.cleanup();
    await killAll(procs);
    await proxy.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a message crosses; a cut link catches up at the heal; ctl shows the link', async () => {
    const [a1, b1] = procs;
    const topic = `x/${uniqueId()}`;
    const remote = await rt.client(srv(b1), { protocolVersion: 5 });
    await remote.subscribeAsync(`${topic}/#`, { qos: 1 });
    const local = await rt.client(srv(a1), { protocolVersion: 5 });
    await local.subscribeAsync(`${topic}/#`, { qos: 1 });
    const linkOfA = async () => (await getJson(a1.adminPort, '/api/cluster')).body.links[0];
    const poll = async (ok: (l: any) => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!ok(await linkOfA()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    await poll((l) => l.routes >= 1); // B's subscription reaches A's link as a route
    expect(await linkOfA()).toMatchObject({ name: 'B', state: 'up', peer: 'b1', routes: 1 });

    const pub = await rt.client(srv(a1), { protocolVersion: 5 });
    await pub.publishAsync(`${topic}/1`, 'before', { qos: 1 });
    await remote.inbox.waitFor(1, 5000);
    await poll((l) => l.buffered === 0); // B's acknowledgement is in

    // The link is cut: A goes on serving locally and buffers for B.
    const ups = linkUps(a1);
    const downs = linkDowns(a1);
    proxy.set('a1', 'b1', 'cut');
    // Counted from here: a link that went down and up before (a stall at start) must not pass for the cut.
    await waitUntil(() => linkDowns(a1) > downs, 10_000, `A's link to go down (${a1.out})`);
    for (const p of ['cut-1', 'cut-2', 'cut-3']) await pub.publishAsync(`${topic}/2`, p, { qos: 1 });
    await local.inbox.waitFor(4, 5000);
    expect((await linkOfA()).buffered).toBe(3);
    expect(remote.inbox.payloads()).toEqual(['before']);

    proxy.heal();
    await waitUntil(() => linkUps(a1) > ups, 15_000, `A's link to come back (${a1.out})`);
    await remote.inbox.waitFor(4, 10_000);
    expect(remote.inbox.payloads()).toEqual(['before', 'cut-1', 'cut-2', 'cut-3']);
    expect(local.inbox.payloads()).toEqual(['before', 'cut-1', 'cut-2', 'cut-3']);
    await poll((l) => l.buffered === 0); // B's acknowledgements can trail its subscriber's deliveries
    expect(await linkOfA()).toMatchObject({ state: 'up', buffered: 0, dropped: 0 });
    const metrics = (await getJson(a1.adminPort, '/metrics')).body as string;
    expect(metrics).toMatch(/^mqttlab_link_up\{link="B"\} 1$/m);
    expect(metrics).toMatch(/^mqttlab_link_buffered\{link="B"\} 0$/m);
    expect(metrics).toMatch(/^mqttlab_link_messages_total\{link="B",direction="out"\} [4-9]$/m);

    const ctl = await promisify(execFile)(
      process.execPath,
      ['bin/runtime.js', 'ctl', '--admin', `http://127.0.0.1:${a1.adminPort}`, 'cluster', 'status'],
      { cwd: ROOT, timeout: 15_000 },
    );
    expect(ctl.stdout).toMatch(/cluster A, links:/);
    expect(ctl.stdout).toMatch(/LINK\s+STATE\s+PEER\s+ROUTES\s+BUFFERED/);
    expect(ctl.stdout).toMatch(/B\s+up\s+b1\s+1\s+0/);
  }, 60_000);

  it('refuses a node of B that does not know the secret, with one line on each side', async () => {
    const a1 = procs[0];
    const [port, link] = await freePorts(2);
    const intruder = startNode('b9', 'B', port, link, `A@127.0.0.1:${linkPortA}`, 'not-the-secret');
    await waitUntil(
      () => intruder.out.includes('failed the secret check') && a1.out.includes('link from B (b9)'),
      15_000,
      `both sides to log the refusal (${intruder.out} | ${a1.out})`,
    );
    expect(intruder.out).toMatch(/link A: A \(a1\) failed the secret check\n/);
    expect(a1.out).toMatch(/link from B \(b9\) ended by it: A \(a1\) failed the secret check\n/);
    expect(intruder.out).not.toContain('cluster link.up');
  }, 30_000);

  it('garbage on the link port closes that connection with one logged line; the node goes on', async () => {
    const a1 = procs[0];
    const sock = net.connect(linkPortA, '127.0.0.1');
    await new Promise((r, j) => sock.once('connect', r).once('error', j));
    const closed = new Promise((r) => sock.once('close', r));
    sock.resume(); // reads the Reject frame, then the end
    sock.write(Buffer.from([0, 0, 0, 3, 42, 1, 2]));
    await waitUntil(
      () => /link from an unknown cluster refused: .*unknown frame type 42/.test(a1.out),
      5000,
      a1.out,
    );
    await closed;
    expect((await getJson(a1.adminPort, '/health')).status).toBe(200);
  }, 20_000);
});
