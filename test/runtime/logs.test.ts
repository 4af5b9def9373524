// One log format for a real `runtime start`: every line of stdout and stderr
// is "<ISO time> <level> <message>" (text) or one JSON object (json);
// --log-level drops what is below it; a bad value is a one-line error.

import { spawnSync } from 'node:child_process';
import mqtt from 'mqtt';
import { describe, it, expect, afterAll } from 'vitest';
import { ROOT, spawnRuntime, killAll, type Proc } from '../helpers/processes.ts';
import { freePorts } from '../helpers/ports.ts';
import { waitUntil } from '../helpers/runtime.ts';
import { createLogger } from '../../runtime/log.ts';

const procs: Proc[] = [];
afterAll(() => killAll(procs));

describe('runtime logs', () => {
  it.each([['text'], ['json']])(
    '--log-format %s: every line in one format, warnings on stderr',
    async (format) => {
      const [port] = await freePorts(1);
      const p = spawnRuntime('logs', [
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--no-ws',
        '--log-format',
        format,
      ]);
      procs.push(p);
      let stdout = '';
      let stderr = '';
      p.child.stdout!.on('data', (b) => (stdout += b));
      p.child.stderr!.on('data', (b) => (stderr += b));
      await waitUntil(() => p.mqttPort > 0, 20_000, 'banner');
      const closed = new Promise((r) => p.child.once('close', r)); // after 'exit', once stdout and stderr are read to the end
      p.child.kill('SIGTERM');
      await closed;
      const lines = (stdout + stderr).trim().split('\n');
      expect(lines.length, lines.join('\n')).toBeGreaterThanOrEqual(3); // banner, anonymous warning, SIGTERM
      for (const l of lines) {
        if (format === 'text')
          expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|warn|error) \S/);
        else {
          const rec = JSON.parse(l);
          expect(Object.keys(rec)).toEqual(['time', 'level', 'node', 'msg']);
          expect(rec.node).toBe('logs');
          expect(Number.isNaN(Date.parse(rec.time))).toBe(false);
        }
      }
      expect(stderr).toMatch(/warn.*anonymous clients may connect/);
      expect(stdout).not.toMatch(/anonymous clients/);
      expect(stdout).toMatch(/SIGTERM: shutting down gracefully/);
    },
    40_000,
  );

  it('--log-level warn: no info lines, warnings still written', async () => {
    const [port] = await freePorts(1);
    const p = spawnRuntime('quiet', [
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--no-ws',
      '--log-level',
      'warn',
    ]);
    procs.push(p);
    let stdout = '';
    p.child.stdout!.on('data', (b) => (stdout += b));
    await waitUntil(() => /anonymous clients may connect/.test(p.out), 20_000, 'warning');
    // It serves clients all the same.
    const end = Date.now() + 20_000;
    let c: mqtt.MqttClient | undefined;
    while (!c) {
      c = await mqtt
        .connectAsync({ host: '127.0.0.1', port, reconnectPeriod: 0, connectTimeout: 2000 })
        .catch(() => undefined);
      if (!c && Date.now() > end) throw new Error('never accepted a client');
    }
    await c.endAsync();
    const closed = new Promise((r) => p.child.once('close', r));
    p.child.kill('SIGTERM');
    await closed;
    expect(stdout).toBe('');
  }, 40_000);

  it('a bad --log-level or --log-format stops the start with a one-line reason', () => {
    for (const [flag, value, msg] of [
      ['--log-level', 'loud', 'log.level: must be one of debug, info, warn, error, silent'],
      ['--log-format', 'xml', 'log.format: must be one of text, json'],
    ]) {
      const r = spawnSync(
        process.execPath,
        ['bin/runtime.js', 'start', '--port', '0', '--no-ws', flag, value],
        { cwd: ROOT, encoding: 'utf8', timeout: 20_000 },
      );
      expect(r.status).toBe(3); // EXIT.ERROR: a bad config
      expect(r.stderr).toContain(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 40_000);

  it('createLogger: JSON takes the node prefix out of the message, escapes newlines in text, drops lines below the level', () => {
    const got: [string, string][] = [];
    const j = createLogger({
      level: 'info',
      format: 'json',
      node: 'n1',
      write: (l, lv) => got.push([l, lv]),
    });
    j.debug('hidden');
    j.info('[n1] cluster nodeup node=n2');
    j.error('boom "quoted"');
    expect(got.map(([, lv]) => lv)).toEqual(['info', 'error']);
    expect(JSON.parse(got[0][0])).toMatchObject({ level: 'info', node: 'n1', msg: 'cluster nodeup node=n2' });
    expect(JSON.parse(got[1][0]).msg).toBe('boom "quoted"');
    const t: string[] = [];
    createLogger({ level: 'debug', format: 'text', write: (l) => t.push(l) }).debug('a\nb');
    expect(t[0]).toMatch(/Z debug a\\nb$/);
  });
});
