// Operating through the admin API and `runtime ctl`: the dashboard page at /,
// kicking a client, publishing, the banned list, paging of lists.

import { describe, it, expect } from 'vitest';
import { ctl } from '../../runtime/ctl.ts';
import { isolated, waitUntil, uniqueId } from '../helpers/runtime.ts';

async function run(
  port: number,
  args: string[],
  token?: string,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await ctl(
    ['--admin', `http://127.0.0.1:${port}`, ...(token ? ['--token', token] : []), ...args],
    'runtime ctl',
    { out: (l) => (out += l + '\n'), err: (l) => (err += l + '\n') },
  );
  return { code, out, err };
}

describe('admin operations', () => {
  it(
    'GET / serves the dashboard page without the token; the API behind it still wants one',
    isolated(async (rt) => {
      const s = await rt.server({ admin: { enabled: true, port: 0, token: 'tok' } });
      const page = await fetch(`http://127.0.0.1:${s.adminPort}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await page.text();
      for (const want of [
        'Connections',
        'Throughput',
        'Drops',
        'Cluster members',
        "fetch('/api/events'",
        "api('/api/stats')",
      ])
        expect(html).toContain(want);
      expect((await fetch(`http://127.0.0.1:${s.adminPort}/api/stats`)).status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${s.adminPort}/`, { method: 'POST' })).status).toBe(401);
    }),
  );

  it(
    'ctl clients kick: the client gets DISCONNECT 0x98, its persistent session stays; unknown ids are a 404',
    isolated(async (rt) => {
      const s = await rt.server({ admin: { enabled: true, port: 0 } });
      const id = uniqueId('kick');
      const c = await rt.client(s, {
        protocolVersion: 5,
        clientId: id,
        clean: false,
        properties: { sessionExpiryInterval: 300 },
      });
      const r = await run(s.adminPort!, ['clients', 'kick', id]);
      expect(r).toMatchObject({ code: 0, out: `kicked ${id}\n` });
      await c.whenClosed;
      expect(c.disconnects[0]?.reasonCode).toBe(0x98);
      await waitUntil(() => s.broker.sessions.get(id)?.conn === null, 2000, 'session offline');
      expect(s.broker.sessions.has(id)).toBe(true);
      const again = await run(s.adminPort!, ['clients', 'kick', id]);
      expect(again.code).toBe(1);
      expect(again.err).toContain(`HTTP 404: clientId: ${id} is not connected to this node`);
    }),
  );

  it(
    'ctl publish: subscribers get it at the QoS asked, retained when asked; a wildcard topic is refused with the reason',
    isolated(async (rt) => {
      const s = await rt.server({ admin: { enabled: true, port: 0 } });
      const sub = await rt.client(s, { protocolVersion: 5 });
      await sub.subscribeAsync('ops/#', { qos: 1 });
      const r = await run(s.adminPort!, ['publish', 'ops/note', 'hello world', '--qos', '1', '--retain']);
      expect(r).toMatchObject({ code: 0, out: 'published to ops/note (1 matching)\n' });
      const [m] = await sub.inbox.waitFor(1);
      expect(m.payload.toString()).toBe('hello world');
      expect(m.packet.qos).toBe(1);
      expect(s.broker.retained.get('ops/note')?.payload.toString()).toBe('hello world');
      const bad = await run(s.adminPort!, ['publish', 'ops/#', 'x']);
      expect(bad.code).toBe(1);
      expect(bad.err).toContain('HTTP 400: topic: a topic name has no + or #');
      expect((await run(s.adminPort!, ['publish', 'a', 'x', '--qos', '3'])).code).toBe(2);
    }),
  );

  it(
    'ctl banned list / remove: a flapping client id is listed with the time left, and can connect again once removed',
    isolated(async (rt) => {
      const s = await rt.server({
        admin: { enabled: true, port: 0 },
        security: { flapping: { enabled: true, maxConnects: 2, windowSec: 60, banSec: 120 } },
      });
      const id = uniqueId('flap');
      for (let i = 0; i < 3; i++) {
        const c = await rt.tryConnect(s, { clientId: id, protocolVersion: 5 });
        if ('client' in c) await c.client.endAsync();
      }
      const refused = await rt.tryConnect(s, { clientId: id, protocolVersion: 5 });
      expect('client' in refused).toBe(false);
      const list = await run(s.adminPort!, ['banned', 'list']);
      expect(list.code).toBe(0);
      expect(list.out).toMatch(new RegExp(`${id}\\s+flapping\\s+1[12]\\d\\n`));
      expect((await run(s.adminPort!, ['banned', 'remove', id])).out).toBe(`unbanned ${id}\n`);
      const ok = await rt.tryConnect(s, { clientId: id, protocolVersion: 5 });
      expect('client' in ok).toBe(true);
      expect((await run(s.adminPort!, ['banned', 'remove', id])).code).toBe(1);
    }),
  );

  it(
    'lists page with --page/--limit (meta.count, hasNext); bad values are a 400',
    isolated(async (rt) => {
      const s = await rt.server({ admin: { enabled: true, port: 0 } });
      const ids = ['p-a', 'p-b', 'p-c', 'p-d', 'p-e'];
      for (const clientId of ids) await rt.client(s, { clientId });
      const p2 = await run(s.adminPort!, ['--json', 'clients', 'list', '--page', '2', '--limit', '2']);
      const body = JSON.parse(p2.out);
      expect(body.clients.map((c: any) => c.clientId)).toEqual(['p-c', 'p-d']);
      expect(body.meta).toEqual({ page: 2, limit: 2, count: 5, hasNext: true });
      const text = await run(s.adminPort!, ['clients', 'list', '--page', '3', '--limit', '2']);
      expect(text.out).toMatch(/p-e[\s\S]*page 3 \(2 a page\) of 5\n$/);
      const all = await (await fetch(`http://127.0.0.1:${s.adminPort}/api/clients`)).json();
      expect(all.clients).toHaveLength(5);
      expect(all.meta).toBeUndefined(); // no paging asked: the whole list, as before
      const bad = await fetch(`http://127.0.0.1:${s.adminPort}/api/clients?page=0`);
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toBe('page: must be a whole number from 1 (got "0")');
    }),
  );
});
