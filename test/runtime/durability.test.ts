// A standalone node's data dir with real processes: kill -9 after the
// acknowledgements, restart on the same directory, and the persistent
// subscriber finds its session, subscriptions, every queued QoS 1 message
// and the retained messages. A second process cannot open a data dir in use.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { createRuntime, waitUntil, sleep, uniqueId, type RunningServer } from '../helpers/runtime.ts';
import { spawnRuntime, getJson, type Proc, killAll } from '../helpers/processes.ts';

const N = 200;

describe('kill -9 and restart of a node with --data-dir', () => {
  const rt = createRuntime();
  const procs: Proc[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-data-'));
  const start = (name: string) => {
    const p = spawnRuntime(name, [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--no-ws',
      '--admin-port',
      '0',
      '--data-dir',
      dir,
    ]);
    procs.push(p);
    return p;
  };
  const srv = (p: Proc) => ({ tcpPort: p.mqttPort }) as RunningServer;

  afterAll(async () => {
    await rt.cleanup();
    await killAll(procs);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${N} acknowledged QoS 1 messages, retained messages and subscriptions survive SIGKILL; a second process on the same dir is refused`, async () => {
    const p1 = start('d1');
    await waitUntil(() => p1.mqttPort > 0 && p1.adminPort > 0, 15_000, `listening (output: ${p1.out})`);

    const clientId = uniqueId('durable');
    const opts = {
      protocolVersion: 5 as const,
      clientId,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
    };
    const sub = await rt.client(srv(p1), opts);
    await sub.subscribeAsync({ 'd/#': { qos: 1 }, 'other/+': { qos: 0 } });
    await sub.endAsync();

    const pub = await rt.client(srv(p1), { protocolVersion: 5 });
    await pub.publishAsync('cfg/a', 'A', { qos: 1, retain: true });
    await pub.publishAsync('cfg/b', 'B', { qos: 0, retain: true });
    // All in flight at once: the acknowledgements share fsyncs (group commit).
    await Promise.all(
      Array.from({ length: N }, (_, i) => pub.publishAsync(`d/${i % 7}`, `m${i}`, { qos: 1 })),
    );
    await pub.publishAsync('d/q2', 'exactly-once', { qos: 2 }); // PUBREC after the fsync; PUBCOMP after the released id is synced
    await pub.publishAsync('cfg/c', 'C', { qos: 1, retain: true }); // after cfg/b's QoS 0 write: its sync covers that too

    // The lock: a second broker on the same data dir stops with a clear message.
    const p2 = start('d2');
    expect(await Promise.race([p2.exited, sleep(10_000).then(() => 'still running')])).toBe(3); // EXIT.ERROR
    expect(p2.out).toMatch(/data dir .* is in use by another process/);

    p1.child.kill('SIGKILL');
    await p1.exited;

    const p3 = start('d1');
    await waitUntil(() => p3.mqttPort > 0 && p3.adminPort > 0, 15_000, `restart (output: ${p3.out})`);
    expect(p3.out).toMatch(new RegExp(`1 sessions, ${N + 1} queued messages, 3 retained restored`));
    const subs = (await getJson(p3.adminPort, '/api/subscriptions')).body.subscriptions.filter(
      (s: any) => s.clientId === clientId,
    );
    expect(subs.map((s: any) => `${s.topic}:${s.qos}`).sort()).toEqual(['d/#:1', 'other/+:0']);

    const again = await rt.client(srv(p3), opts);
    expect(again.connack.sessionPresent).toBe(true);
    const got = await again.inbox.waitFor(N + 1, 10_000);
    expect(got.map((m) => m.payload.toString())).toEqual([
      ...Array.from({ length: N }, (_, i) => `m${i}`),
      'exactly-once',
    ]);
    expect(got.every((m) => m.packet.qos === 1)).toBe(true);

    const late = await rt.client(srv(p3), { protocolVersion: 5 });
    await late.subscribeAsync('cfg/#', { qos: 1 });
    await late.inbox.waitFor(3, 3000);
    expect(late.inbox.messages.map((m) => `${m.topic}=${m.payload}`).sort()).toEqual([
      'cfg/a=A',
      'cfg/b=B',
      'cfg/c=C',
    ]);

    // A graceful stop flushes and exits 0.
    await again.endAsync();
    p3.child.kill('SIGTERM');
    expect(await p3.exited).toBe(0);
  }, 60_000); // three process starts; slow on a loaded machine
});
