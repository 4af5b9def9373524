// The admin endpoints the live runner reads to judge convergence (and an
// operator can use): a node's own route keys and its retained store.

import { describe, it, expect, afterAll } from 'vitest';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import { createRuntime, silentLog, waitUntil } from '../helpers/runtime.ts';

const get = async (s: RunningServer, p: string) => {
  const res = await fetch(`http://127.0.0.1:${s.adminPort}${p}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as any };
};

describe('admin API: local routes and retained messages', () => {
  const rt = createRuntime();
  let srv: RunningServer;
  afterAll(async () => {
    await rt.cleanup();
    await srv?.stop();
  });

  it('GET /api/routes/local lists the route keys of the subscriptions held; GET /api/retained the retained messages, payloads in base64', async () => {
    srv = await startServer(
      {
        node: 'v1',
        sysInterval: 0,
        listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
        admin: { enabled: true, port: 0 },
      },
      silentLog,
    );
    expect(await get(srv, '/api/routes/local')).toEqual({ status: 200, body: { node: 'v1', routes: [] } });
    expect(await get(srv, '/api/retained')).toEqual({ status: 200, body: { retained: [] } });
    const c = await rt.client(srv, { protocolVersion: 5 });
    await c.subscribeAsync('plant/+/temp', { qos: 1 });
    await c.subscribeAsync('$share/g/alarms/#', { qos: 1 });
    await c.publishAsync('cfg/b', Buffer.from([0xff, 0x00, 0x41]), { qos: 1, retain: true });
    await c.publishAsync('cfg/a', 'on', { qos: 0, retain: true });
    await waitUntil(() => srv.broker.retained.size === 2, 2000, 'two retained messages');
    expect((await get(srv, '/api/routes/local')).body.routes).toEqual(['$share/g/alarms/#', 'plant/+/temp']);
    expect((await get(srv, '/api/retained')).body.retained).toEqual([
      { topic: 'cfg/a', qos: 0, payload: Buffer.from('on').toString('base64') },
      { topic: 'cfg/b', qos: 1, payload: Buffer.from([0xff, 0x00, 0x41]).toString('base64') },
    ]);
    const post = await fetch(`http://127.0.0.1:${srv.adminPort}/api/retained`, {
      method: 'POST',
      signal: AbortSignal.timeout(5000),
    });
    expect(post.status).toBe(405);
  });
});
