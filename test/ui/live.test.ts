// `runtime ui` against real in-process nodes: GET /api/events streams node
// and cluster events (Server-Sent Events, behind the token like every other
// endpoint), and the live source turns admin API polls and the stream into
// the UI model: boxes, links, the timeline, the checks.

import { describe, it, expect, afterAll } from 'vitest';
import http from 'node:http';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import { LiveSource } from '../../ui/live-source.ts';
import { plainText } from '../../ui/plain.ts';
import { silentLog, waitUntil } from '../helpers/runtime.ts';
import { freePorts } from '../helpers/ports.ts';

const TOKEN = 'ui-test-token';

function startNode(name: string, clusterPort: number, seeds: string[]): Promise<RunningServer> {
  return startServer(
    {
      node: name,
      sysInterval: 0,
      listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
      cluster: {
        enabled: true,
        host: '127.0.0.1',
        port: clusterPort,
        secret: 'ui-secret',
        seeds,
        heartbeatIntervalMs: 100,
        heartbeatTimeoutMs: 1000,
      },
      admin: { enabled: true, port: 0, token: TOKEN },
    },
    silentLog,
  );
}

/** Reads the SSE stream until `n` events arrived (or the timeout). */
function readEvents(
  url: string,
  token: string | null,
  n: number,
): Promise<{ status: number; type: string; events: any[] }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      const events: any[] = [];
      let buf = '';
      const done = () => {
        req.destroy();
        resolve({ status: res.statusCode!, type: String(res.headers['content-type']), events });
      };
      if (res.statusCode !== 200) return done();
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        for (const m of buf.matchAll(/^data: (.*)$/gm)) events.push(JSON.parse(m[1]));
        buf = buf.slice(buf.lastIndexOf('\n\n') + 2);
        if (events.length >= n) done();
      });
    });
    req.on('error', reject);
    setTimeout(() => req.destroy(new Error('timeout')), 5000);
  });
}

describe('runtime ui on a live cluster', () => {
  const nodes: RunningServer[] = [];
  let src: LiveSource | null = null;
  afterAll(async () => {
    src?.close();
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('streams events, polls both nodes, and shows a stopped node as stopped with the checks failing', async () => {
    const ports = await freePorts(2);
    const seeds = ports.map((p, i) => `n${i + 1}@127.0.0.1:${p}`);
    nodes.push(await startNode('n1', ports[0], seeds), await startNode('n2', ports[1], seeds));
    const [n1, n2] = nodes;
    await waitUntil(
      () => nodes.every((n) => n.cluster!.status().every((m) => m.state === 'running')),
      5000,
      'cluster formed',
    );
    const urls = nodes.map((n) => `http://127.0.0.1:${n.adminPort}`);

    // The stream: the backlog first (this node's start, its peer coming up), behind the token.
    expect((await readEvents(`${urls[0]}/api/events`, null, 1)).status).toBe(401);
    const ev = await readEvents(`${urls[0]}/api/events`, TOKEN, 2);
    expect(ev.status).toBe(200);
    expect(ev.type).toMatch(/^text\/event-stream/);
    expect(ev.events[0]).toMatchObject({ type: 'node.start', node: 'n1' });
    expect(ev.events[1]).toMatchObject({ type: 'cluster.peer.up', node: 'n1', peer: 'n2' });
    expect(typeof ev.events[0].t).toBe('number');
    // The JSON endpoints are unchanged.
    const stats = await fetch(`${urls[0]}/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await stats.json()).node).toBe('n1');

    src = new LiveSource(urls, TOKEN);
    src.start();
    await waitUntil(
      () =>
        src!.current().nodes.length === 2 && src!.current().timeline.some((e) => e.text === 'n1 sees n2 up'),
      5000,
      'first poll and stream',
    );
    let s = src.current();
    expect(s.nodes.map((n) => [n.name, n.state])).toEqual([
      ['n1', 'running'],
      ['n2', 'running'],
    ]);
    expect(s.links).toEqual([{ a: 'n1', b: 'n2', state: 'up' }]);
    expect(s.properties.find((p) => p.name === 'health')?.status).toBe('passing');
    expect(s.properties.find((p) => p.name === 'membership')?.status).toBe('passing');
    expect(plainText(s)).toMatch(/n1 +running/);

    await n2.stop();
    nodes.pop();
    await waitUntil(
      () => {
        const c = src!.current();
        return (
          c.nodes.find((n) => n.name === 'n2')?.state === 'stopped' &&
          c.timeline.some((e) => e.text === 'n1 sees n2 down')
        );
      },
      8000,
      'n2 seen stopped',
    );
    s = src.current();
    expect(s.links).toEqual([{ a: 'n1', b: 'n2', state: 'down' }]);
    expect(s.properties.find((p) => p.name === 'health')).toMatchObject({ status: 'failing' });
    expect(s.properties.find((p) => p.name === 'health')!.detail).toMatch(/^n2: /);
    expect(s.timeline.some((e) => /n2 not answering/.test(e.text))).toBe(true);
    expect(s.phases[s.phases.length - 1].name).toMatch(/down|degraded/);
  });
});
