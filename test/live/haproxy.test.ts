// The generated HAProxy configuration, run by real haproxy in front of two
// real brokers: /health checks take a node out of rotation and back, and
// the sticky mode really sticks by MQTT client id (HAProxy's MQTT
// converters read it from the CONNECT packet).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import { HaproxyProcess, findHaproxy, haproxyConfig, type LbConfig } from '../../sim/live/haproxy.ts';
import { freePorts } from '../helpers/ports.ts';
import { waitUntil, silentLog } from '../helpers/runtime.ts';
import { tool, titled } from '../helpers/tools.ts';

const hp = tool('haproxy');
const bin = hp.path ? findHaproxy() : null;

/** Connects through the balancer and returns the node that holds the connection. */
async function landOn(port: number, clientId: string, nodes: RunningServer[]): Promise<string> {
  const c = await mqtt.connectAsync({
    host: '127.0.0.1',
    port,
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  try {
    await waitUntil(
      () => nodes.some((n) => n.broker.sessions.get(clientId)?.conn),
      2000,
      `${clientId} connected on a node`,
    );
    return nodes.find((n) => n.broker.sessions.get(clientId)?.conn)!.config.node;
  } finally {
    await c.endAsync();
    await waitUntil(
      () => nodes.every((n) => !n.broker.sessions.get(clientId)?.conn),
      2000,
      `${clientId} gone`,
    );
  }
}

describe.skipIf(!bin)(titled('HAProxy in front of real brokers', hp), () => {
  let nodes: RunningServer[] = [];
  const procs: HaproxyProcess[] = [];
  let dir = '';

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-haproxy-'));
    for (const name of ['h1', 'h2']) {
      nodes.push(
        await startServer(
          {
            node: name,
            sysInterval: 0,
            listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
            admin: { enabled: true, host: '127.0.0.1', port: 0 },
          },
          silentLog,
        ),
      );
    }
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all(nodes.map((n) => n.stop()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(mode: LbConfig['mode']): Promise<{ lb: HaproxyProcess; port: number }> {
    const [port, statsPort] = await freePorts(2);
    const config: LbConfig = {
      name: `lb_${mode.replace('-', '_')}`,
      bindPort: port,
      statsPort,
      mode,
      checkIntervalMs: 100,
      rise: 2,
      fall: 2,
      shutdownSessionsOnDown: true,
      backends: nodes.map((n) => ({ name: n.config.node, port: n.tcpPort!, adminPort: n.adminPort! })),
    };
    const lb = new HaproxyProcess(bin!, path.join(dir, `${mode}.cfg`), config);
    procs.push(lb);
    await lb.start();
    return { lb, port };
  }

  it('sticky: one client id keeps landing on the same node; different ids spread over both', async () => {
    const { port } = await start('sticky');
    expect(fs.readFileSync(path.join(dir, 'sticky.cfg'), 'utf8')).toContain(
      'stick on req.payload(0,0),mqtt_field_value(connect,client_identifier)',
    );
    const firsts = new Map<string, string>();
    for (const id of ['dev-a', 'dev-b', 'dev-c', 'dev-d']) firsts.set(id, await landOn(port, id, nodes));
    expect(new Set(firsts.values()).size).toBe(2);
    for (let round = 0; round < 2; round++)
      for (const [id, node] of firsts) expect(await landOn(port, id, nodes)).toBe(node);
  });

  it('round-robin with /health checks: a node failing its check leaves the rotation, and comes back', async () => {
    const { lb, port } = await start('round-robin');
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await landOn(port, `rr-${i}`, nodes));
    expect(seen).toEqual(new Set(['h1', 'h2']));
    // h1's admin API goes away: its check fails and HAProxy marks it down.
    const h1 = nodes[0];
    const adminPort = h1.adminPort!;
    await h1.admin!.close();
    let states: Map<string, boolean> | null = null;
    await waitUntil(
      () => (void lb.states().then((s) => (states = s)), states?.get('h1') === false),
      10_000,
      'h1 marked down',
    );
    for (let i = 0; i < 4; i++) expect(await landOn(port, `down-${i}`, nodes)).toBe('h2');
    // Back on its port: HAProxy takes it back after `rise` good checks.
    const { startAdmin } = await import('../../runtime/admin.ts');
    const again = await startAdmin({
      broker: h1.broker,
      host: '127.0.0.1',
      port: adminPort,
      token: '',
      accepting: () => true,
    });
    try {
      await waitUntil(
        () => (void lb.states().then((s) => (states = s)), states?.get('h1') === true),
        10_000,
        'h1 back up',
      );
    } finally {
      await again.close();
    }
  });
});
