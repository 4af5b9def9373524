// MQTT over WebSocket from a real browser: mqtt.js's browser bundle in
// headless Chromium against a `runtime start` process, over ws:// and wss://
// (the test CA's server certificate; Chromium told to accept it). The page
// reports back to a small HTTP server of the test.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import os from 'node:os';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { describe, it, expect, afterAll } from 'vitest';
import { spawnRuntime, killAll, ROOT, type Proc } from '../helpers/processes.ts';
import { makePki } from '../helpers/certs.ts';
import { freePorts } from '../helpers/ports.ts';
import { waitUntil } from '../helpers/runtime.ts';
import { tools } from '../helpers/tools.ts';

const need = tools('chromium', 'openssl');
const CHROMIUM = need.ok ? need.path('chromium') : undefined;
const OPENSSL = need.ok;
const procs: Proc[] = [];
const browsers: ChildProcess[] = [];
afterAll(async () => {
  for (const b of browsers) killGroup(b);
  await killAll(procs);
});

function killGroup(b: ChildProcess): void {
  try {
    process.kill(-b.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The page: connect, subscribe, publish to itself, report what came back (or the error). */
function page(url: string): string {
  const bundle = fs.readFileSync(path.join(ROOT, 'node_modules/mqtt/dist/mqtt.min.js'), 'utf8');
  return `<!doctype html><html><head><meta charset="utf-8"><script>${bundle.replace(/<\/script/gi, '<\\/script')}</script></head><body><script>
const report = (r) => fetch('/result', { method: 'POST', body: JSON.stringify(r) });
const c = mqtt.connect(${JSON.stringify(url)}, { clientId: 'browser-' + Math.random().toString(16).slice(2), protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 15000 });
c.on('error', (e) => report({ error: String(e && e.message || e) }));
c.on('connect', () => c.subscribe('browser/echo', { qos: 1 }, (err) => {
  if (err) return report({ error: 'subscribe: ' + err.message });
  c.publish('browser/echo', 'hello from ' + navigator.userAgent.split(' ').find((p) => p.startsWith('HeadlessChrome') || p.startsWith('Chrome')), { qos: 1 });
}));
c.on('message', (topic, payload, packet) => { report({ topic, payload: payload.toString(), qos: packet.qos }); c.end(); });
</script></body></html>`;
}

/** Serves the page, starts Chromium on it, resolves with what the page posted. */
async function inBrowser(html: string, extraArgs: string[] = []): Promise<any> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-chromium-'));
  let result: any;
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/result') {
      let body = '';
      req.on('data', (b) => (body += b));
      req.on('end', () => {
        result = JSON.parse(body);
        res.end('ok');
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const b = spawn(
    CHROMIUM!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      ...extraArgs,
      `http://127.0.0.1:${port}/`,
    ],
    // Its own process group: the helpers Chromium forks (zygote, crashpad) go with it.
    { stdio: 'ignore', detached: true },
  );
  browsers.push(b);
  try {
    await waitUntil(() => result !== undefined, 60_000, 'the page to report');
    return result;
  } finally {
    const exited = new Promise((r) => (b.exitCode !== null ? r(null) : b.once('exit', r)));
    killGroup(b);
    await exited;
    server.close();
    // A helper that outlived the group kill may still write the profile for a moment.
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}

describe.skipIf(!CHROMIUM || !OPENSSL)(
  'mqtt.js in headless Chromium against runtime start (skipped without chromium or openssl: apt-get install chromium openssl)',
  () => {
    it('connects over ws:// and wss://, subscribes, publishes and receives its own message at QoS 1', async () => {
      const pki = makePki();
      try {
        const [ws, wss] = await freePorts(2);
        const p = spawnRuntime('browser', [
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--ws-port',
          String(ws),
          '--wss-port',
          String(wss),
          '--tls-cert',
          pki.serverCert,
          '--tls-key',
          pki.serverKey,
        ]);
        procs.push(p);
        await waitUntil(() => p.mqttPort > 0, 30_000, 'runtime up');
        const plain = await inBrowser(page(`ws://127.0.0.1:${ws}/mqtt`));
        expect(plain).toMatchObject({ topic: 'browser/echo', qos: 1 });
        expect(plain.payload).toMatch(/^hello from (Headless)?Chrome\/\d+/);
        // The server certificate is the test CA's: Chromium is told to accept it (the CA is not in its store).
        const secure = await inBrowser(page(`wss://127.0.0.1:${wss}/mqtt`), ['--ignore-certificate-errors']);
        expect(secure).toMatchObject({ topic: 'browser/echo', qos: 1 });
      } finally {
        pki.cleanup();
      }
    }, 200_000);
  },
);
