// A whole cluster killed at once, with real processes: three clustered nodes with data dirs, a
// persistent session offline on n2 with 50 queued QoS 1 messages and a retained message; all three
// get SIGKILL in the same instant and restart on the same dirs; the client resumes on n3 (whose own
// dir never held its session: it comes from n2's disk through the resync) with session present and
// all 50, and every node serves the retained message.
// Replicas on disk: the same killed cluster where n2 (the session's node) never comes back; n1 and n3
// restart, and the client resumes on n3 from the replica n3 read back from its own data dir, with session
// present and all 50 (before replicas were kept on disk: a new session, the 50 lost with n2).

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { createRuntime, waitUntil, sleep, uniqueId, type RunningServer } from '../helpers/runtime.ts';
import { spawnRuntime, getJson, killAll, type Proc } from '../helpers/processes.ts';
import { freePorts } from '../helpers/ports.ts';

const N = 50;
const SECRET = 'durable-cluster-secret';

/** Polls a node's route table (admin API) until it names `filter`. */
async function routeKnown(adminPort: number, filter: string, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!JSON.stringify((await getJson(adminPort, '/api/routes')).body).includes(filter)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('kill -9 of every node of a cluster with data dirs', () => {
  const rt = createRuntime();
  const procs: Proc[] = [];
  const root = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-cluster-data-'));
  const srv = (p: Proc) => ({ tcpPort: p.mqttPort }) as RunningServer;

  afterAll(async () => {
    await rt.cleanup();
    await killAll(procs);
    rmSync(root, { recursive: true, force: true });
  });

  /** Starts n1..n3 (or those `which` names) on their ports and data dirs (under `dirs`); resolves once each sees the others. */
  async function startCluster(ports: number[], which = [0, 1, 2], dirs = 'a'): Promise<Proc[]> {
    const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`).join(',');
    const env = { ...process.env, MQTTLAB_CLUSTER_SECRET: SECRET, MQTTLAB_ADMIN_TOKEN: '' };
    const nodes = which.map((i) =>
      spawnRuntime(
        `n${i + 1}`,
        [
          ...['--host', '127.0.0.1', '--port', '0', '--no-ws', '--admin-port', '0'],
          ...['--cluster-host', '127.0.0.1', '--cluster-port', String(ports[i]), '--seeds', seeds],
          ...['--data-dir', path.join(root, dirs, `n${i + 1}`)],
        ],
        env,
      ),
    );
    procs.push(...nodes);
    await waitUntil(
      () => nodes.every((p) => p.mqttPort > 0 && p.adminPort > 0),
      20_000,
      `all processes to listen (output: ${nodes.map((p) => p.out).join(' | ')})`,
    );
    for (const p of nodes) {
      const others = nodes.filter((o) => o !== p).map((o) => o.name);
      await waitUntil(
        () => others.every((o) => p.out.includes(`[${p.name}] cluster peer.up peer=${o}`)),
        20_000,
        `${p.name} to see ${others.join(', ')} (output: ${p.out})`,
      );
    }
    return nodes;
  }

  /** A persistent session subscribed to d/# on `node`, offline: the options to resume it with. */
  async function offlineSession(node: Proc, prefix: string) {
    const opts = {
      protocolVersion: 5 as const,
      clientId: uniqueId(prefix),
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    };
    const sub = await rt.client(srv(node), opts);
    await sub.subscribeAsync('d/#', { qos: 1 });
    await sub.endAsync();
    return opts;
  }

  /** Publishes the N messages (each acknowledged), then SIGKILLs every node at once, no graceful anything. */
  async function publishAndKill(pub: Awaited<ReturnType<typeof rt.client>>): Promise<void> {
    await Promise.all(
      Array.from({ length: N }, (_, i) => pub.publishAsync(`d/${i % 5}`, `m${i}`, { qos: 1 })),
    );
    await pub.endAsync();
    const first = procs.splice(0);
    for (const p of first) p.child.kill('SIGKILL');
    await Promise.all(first.map((p) => p.exited));
  }

  it(`a session offline on n2 with ${N} queued QoS 1 messages and a retained message survives; the client resumes on n3`, async () => {
    const ports = await freePorts(3);
    const [n1, n2] = await startCluster(ports);

    const opts = await offlineSession(n2, 'durable-cluster');
    // n1 knows the route before it publishes (the subscription's route spreads to the peers).
    await routeKnown(n1.adminPort, 'd/#', 'n1 to learn the route of d/#');

    const pub = await rt.client(srv(n1), { protocolVersion: 5 });
    await pub.publishAsync('cfg/site', 'retained-1', { qos: 1, retain: true });
    // Acknowledged in ack mode 'replicated': n2 confirmed each forward once its fsync was done.
    await publishAndKill(pub);

    const again = await startCluster(ports);
    const n2b = again[1];
    const n3b = again[2];
    expect(n2b.out).toMatch(new RegExp(`data dir .*: 1 sessions, ${N} queued messages, 1 retained restored`));
    // n3's replica of the session comes with n2's resync: its route is the sign it arrived.
    await routeKnown(n3b.adminPort, 'd/#', 'n3 to hear of the restored session');

    const back = await rt.client(srv(n3b), opts);
    expect(back.connack.sessionPresent).toBe(true);
    const got = await back.inbox.waitFor(N, 15_000);
    expect(got.map((m) => m.payload.toString())).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));

    for (const p of again) {
      const reader = await rt.client(srv(p), { protocolVersion: 5 });
      await reader.subscribeAsync('cfg/#', { qos: 1 });
      const [r] = await reader.inbox.waitFor(1, 5000);
      expect(`${p.name} ${r.topic}=${r.payload}`).toBe(`${p.name} cfg/site=retained-1`);
      await reader.endAsync();
    }
  }, 120_000); // six process starts; slow on a loaded machine

  it(`a session on n2 with ${N} queued QoS 1 messages resumes on n3 after every node was killed and n2 never came back`, async () => {
    const ports = await freePorts(3);
    const [, n2] = await startCluster(ports, [0, 1, 2], 'b');
    const opts = await offlineSession(n2, 'replica-disk');
    // Published on the session's node: each PUBACK once n1 and n3 confirmed its replica frame, which they
    // do once it is on their disks (ack mode 'replicated'; docs/durability.md, "Replicas on disk").
    const pub = await rt.client(srv(n2), { protocolVersion: 5 });
    await publishAndKill(pub);

    const [, n3b] = await startCluster(ports, [0, 2], 'b');
    const back = await rt.client(srv(n3b), opts);
    expect(back.connack.sessionPresent).toBe(true);
    const got = await back.inbox.waitFor(N, 15_000);
    expect(got.map((m) => m.payload.toString())).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
  }, 120_000);
});
