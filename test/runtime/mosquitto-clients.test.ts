// Third-party clients: Eclipse Mosquitto's mosquitto_pub / mosquitto_sub
// (Debian package mosquitto-clients, installed by .ci/run) against our runtime.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import { tools, titled } from '../helpers/tools.ts';

const run = promisify(execFile);
const clients = tools('mosquitto_sub', 'mosquitto_pub');
const SUB = clients.path('mosquitto_sub');
const PUB = clients.path('mosquitto_pub');
const quiet = { info() {}, warn() {} };
let srv: RunningServer;
let port: string;

describe.skipIf(!clients.ok)(titled('mosquitto_pub / mosquitto_sub against the runtime', clients), () => {
  beforeAll(async () => {
    srv = await startServer(
      { listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } }, sysInterval: 1 },
      quiet,
    );
    port = String(srv.tcpPort);
  });
  afterAll(() => srv.stop());

  /** Starts mosquitto_sub, resolves with its output once it exits (-C count reached or -W timeout). */
  function sub(args: string[]): { done: Promise<string>; ready: Promise<void> } {
    const filter = args[args.indexOf('-t') + 1];
    const p = spawn(SUB, ['-h', '127.0.0.1', '-p', port, ...args]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    // 'close', not 'exit': stdout may still hold data when the process exits.
    const done = new Promise<string>((r) => p.on('close', () => r(out)));
    // mosquitto_sub has subscribed once a session holds its filter.
    const ready = new Promise<void>((r) => {
      const t = setInterval(() => {
        if (
          [...srv.broker.sessions.values()].some((x) => x.subscriptions.has(filter)) ||
          p.exitCode !== null
        ) {
          clearInterval(t);
          r();
        }
      }, 10);
    });
    return { done, ready };
  }

  const pub = (args: string[]) => run(PUB, ['-h', '127.0.0.1', '-p', port, ...args], { timeout: 5000 });

  describe.each(['mqttv311', 'mqttv5', 'mqttv31'])('mosquitto clients %s', (v) => {
    it('QoS 0/1/2 publish reaches a wildcard subscriber in order', async () => {
      const s = sub(['-V', v, '-t', `m/${v}/#`, '-q', '2', '-C', '3', '-W', '5', '-F', '%t %p %q']);
      await s.ready;
      await pub(['-V', v, '-t', `m/${v}/a`, '-m', 'zero', '-q', '0']);
      await pub(['-V', v, '-t', `m/${v}/b`, '-m', 'one', '-q', '1']);
      await pub(['-V', v, '-t', `m/${v}/c`, '-m', 'two', '-q', '2']);
      expect((await s.done).trim().split('\n')).toEqual([
        `m/${v}/a zero 0`,
        `m/${v}/b one 1`,
        `m/${v}/c two 2`,
      ]);
    });

    it('retained message set, received by a later subscriber, then cleared', async () => {
      await pub(['-V', v, '-t', `r/${v}`, '-m', 'kept', '-q', '1', '-r']);
      const got = await run(
        SUB,
        ['-h', '127.0.0.1', '-p', port, '-V', v, '-t', `r/${v}`, '-C', '1', '-W', '3', '-F', '%t %p %r'],
        { timeout: 5000 },
      );
      expect(got.stdout.trim()).toBe(`r/${v} kept 1`);
      await pub(['-V', v, '-t', `r/${v}`, '-r', '-n']);
      await expect(
        run(SUB, ['-h', '127.0.0.1', '-p', port, '-V', v, '-t', `r/${v}`, '-C', '1', '-W', '1'], {
          timeout: 5000,
        }),
      ).rejects.toMatchObject({ code: 27 });
    });
  });

  describe('mosquitto clients and $SYS', () => {
    it('reads broker statistics from $SYS/broker/#', async () => {
      const got = await run(
        SUB,
        ['-h', '127.0.0.1', '-p', port, '-t', '$SYS/broker/version', '-C', '1', '-W', '3'],
        { timeout: 5000 },
      );
      expect(got.stdout).toMatch(/^mqttlab /);
      const up = await run(
        SUB,
        ['-h', '127.0.0.1', '-p', port, '-t', '$SYS/broker/uptime', '-C', '1', '-W', '3'],
        { timeout: 5000 },
      );
      expect(up.stdout).toMatch(/^\d+ seconds/);
    });

    it('v5 user properties pass through', async () => {
      const s = sub(['-V', 'mqttv5', '-t', 'up/x', '-C', '1', '-W', '5', '-F', '%P %p']);
      await s.ready;
      await pub([
        '-V',
        'mqttv5',
        '-t',
        'up/x',
        '-m',
        'payload',
        '-D',
        'publish',
        'user-property',
        'site',
        'north',
      ]);
      expect((await s.done).trim()).toBe('site:north payload');
    });
  });
});
