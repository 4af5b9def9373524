// Coming from Mosquitto: password files written by mosquitto_passwd ($7$
// PBKDF2-SHA512 and $6$ SHA-512 lines) verified as they are, Mosquitto's ACL
// syntax, `runtime import-mosquitto` on a mosquitto.conf, and hints for
// Mosquitto's snake_case keys in an mqttlab config.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import mqtt from 'mqtt';
import { describe, it, expect } from 'vitest';
import { PasswordAuthenticator, parsePasswordFile } from '../../runtime/auth.ts';
import { Acl, parseAcl } from '../../core/acl.ts';
import { importMosquitto } from '../../runtime/mosquitto-import.ts';
import { didYouMean, readConfigFile, runtimeConfig } from '../../runtime/config.ts';
import { ConfigError } from '../../core/config.ts';
import { startServer } from '../../runtime/server.ts';
import { ROOT } from '../helpers/processes.ts';
import { silentLog } from '../helpers/runtime.ts';

// Written by mosquitto_passwd 2.0.11 (Debian): alice/secret-1 and bob/"p@ss wörd" with the default
// sha512-pbkdf2 ($7$, 101 rounds), carol/c-pass with -H sha512 ($6$).
const KNOWN = `alice:$7$101$2BJP9c5Advgb2BiL$is2nRjC7sJMOFNKvg8yq6B5SGrnWqBMlftGKAViHQ0WGtRlWtObQmycRFgNH8V2Sb3VqZIOF0i+Getjwqkz7Vg==
bob:$7$101$xT3TZ294+pVxxCX6$z42BTUMbKMBdgWxKsukymIg5Q08P6QIrHrJ9YVXwOYkhStpnc0/mXIrKuksV+7icQUwpOVEYPYvTy9qzA7oiLA==
carol:$6$arHBer+AN6AFH4fu$uhnRGhDHi1fxdS18bC7rGUoJSlsuUvp3uRyOVHPf+k1pi2nx8wO99EFsq3VK8BAko1uhWcARtmoOvPbpGQGvsg==
`;

function check(a: PasswordAuthenticator, username: string, password: string): Promise<boolean> {
  return new Promise((r) =>
    a.authenticate({ clientId: 'c', username, password: Buffer.from(password), remote: 'x' }, (res) =>
      r(res.ok),
    ),
  );
}

const hasMosquittoPasswd = spawnSync('mosquitto_passwd', ['-h']).error === undefined;

describe('Mosquitto password files', () => {
  it('$7$ and $6$ lines from mosquitto_passwd (known vectors) verify; wrong passwords and unknown users do not', async () => {
    const { users, errors } = parsePasswordFile(KNOWN);
    expect(errors).toEqual([]);
    const a = new PasswordAuthenticator(users, false);
    expect(await check(a, 'alice', 'secret-1')).toBe(true);
    expect(await check(a, 'bob', 'p@ss wörd')).toBe(true);
    expect(await check(a, 'carol', 'c-pass')).toBe(true);
    expect(await check(a, 'alice', 'secret-2')).toBe(false);
    expect(await check(a, 'carol', 'C-pass')).toBe(false);
    expect(await check(a, 'mallory', 'secret-1')).toBe(false);
  });

  it('bad Mosquitto lines are named by line', () => {
    const { errors } = parsePasswordFile('a:$7$101$c2FsdHNhbHQ=$c2hvcnQ=\nb:$7$x$y$z\nc:$5$abc$def\n');
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^line 1: expected user:scrypt.*or user:\$7\$/);
  });

  it.skipIf(!hasMosquittoPasswd)(
    'a file made by the real mosquitto_passwd works unchanged for a running broker (skipped without mosquitto_passwd: apt-get install mosquitto)',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-mp-'));
      const file = path.join(dir, 'passwd');
      try {
        expect(spawnSync('mosquitto_passwd', ['-c', '-b', file, 'dora', 'd0ra!']).status).toBe(0);
        expect(spawnSync('mosquitto_passwd', ['-b', file, 'eve', 'e-pass']).status).toBe(0);
        expect(fs.readFileSync(file, 'utf8')).toMatch(/^dora:\$7\$/);
        const s = await startServer(
          {
            sysInterval: 0,
            listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
            security: { passwordFile: file },
          },
          silentLog,
        );
        try {
          const ok = await mqtt.connectAsync({
            host: '127.0.0.1',
            port: s.tcpPort!,
            username: 'dora',
            password: 'd0ra!',
            reconnectPeriod: 0,
          });
          await ok.endAsync();
          await expect(
            mqtt.connectAsync({
              host: '127.0.0.1',
              port: s.tcpPort!,
              username: 'eve',
              password: 'wrong',
              reconnectPeriod: 0,
            }),
          ).rejects.toThrow(/Bad username or password/);
        } finally {
          await s.stop();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('Mosquitto ACL syntax', () => {
  const text = `# anonymous clients
topic read $SYS/#
topic read public/#

user alice
topic readwrite alice/#
topic write cmd/+
topic deny alice/secret/#
topic read room/big hall

user bob
topic public/#

pattern read sensors/%u/#
pattern write clients/%c/out
`;
  const { rules, errors } = parseAcl(text);
  const acl = new Acl(rules, false);
  const alice = { username: 'alice', clientId: 'a1' };
  const anon = { username: undefined, clientId: 'x9' };

  it('parses user sections, access kinds, patterns and topics with spaces', () => {
    expect(errors).toEqual([]);
    expect(rules).toHaveLength(9);
  });

  it('anonymous lines before the first user; user lines are theirs; readwrite/read/write/deny; no access = readwrite', () => {
    expect(acl.maySubscribe(anon, '$SYS/broker/uptime')).toBe(true);
    expect(acl.mayPublish(anon, 'public/x')).toBe(false);
    expect(acl.maySubscribe(anon, 'alice/#')).toBe(false);
    expect(acl.mayPublish(alice, 'alice/a')).toBe(true);
    expect(acl.maySubscribe(alice, 'alice/a/b')).toBe(true);
    expect(acl.mayPublish(alice, 'cmd/go')).toBe(true);
    expect(acl.maySubscribe(alice, 'cmd/go')).toBe(false);
    expect(acl.maySubscribe(alice, 'room/big hall')).toBe(true);
    expect(acl.maySubscribe(alice, '$SYS/#')).toBe(false); // the anonymous lines are not alice's
    const bob = { username: 'bob', clientId: 'b1' };
    expect(acl.mayPublish(bob, 'public/news')).toBe(true);
    expect(acl.maySubscribe(bob, 'public/#')).toBe(true);
  });

  it('deny wins over an allow written before it (Mosquitto checks denies first)', () => {
    expect(acl.mayPublish(alice, 'alice/secret/x')).toBe(false);
    expect(acl.maySubscribe(alice, 'alice/#')).toBe(false); // the filter reaches the denied topics
  });

  it('pattern lines apply to every client, %u and %c substituted', () => {
    expect(acl.maySubscribe(alice, 'sensors/alice/#')).toBe(true);
    expect(acl.maySubscribe(alice, 'sensors/bob/#')).toBe(false);
    expect(acl.mayPublish({ username: 'bob', clientId: 'b1' }, 'clients/b1/out')).toBe(true);
    expect(acl.mayPublish({ username: 'bob', clientId: 'b1' }, 'clients/b2/out')).toBe(false);
    expect(acl.maySubscribe(anon, 'sensors/+/t')).toBe(false); // no user name: %u never matches
  });

  it('bad lines are named by line', () => {
    const r = parseAcl('user alice\ntopic read a/#/b\ntopic\nallow all both #\nuser\n');
    expect(r.errors).toEqual([
      'line 2: topic "a/#/b": # must be the last level: topic read a/#/b',
      'line 3: expected a topic after topic: topic',
      'line 4: expected user, topic or pattern (Mosquitto ACL syntax: the file starts that way): allow all both #',
      'line 5: expected a user name after user: user',
    ]);
  });
});

const CONF = `# A typical Mosquitto 2 setup
per_listener_settings false
listener 1883
listener 9001
protocol websockets
allow_anonymous false
password_file passwd
acl_file acl
max_inflight_messages 40
max_queued_messages 5000
persistence true
persistence_location /var/lib/mosquitto/
sys_interval 30
log_type warning
log_type information
connection bridge-1
address 10.0.0.2:1883
`;

describe('runtime import-mosquitto', () => {
  it('maps the common directives and reports the others', () => {
    const r = importMosquitto(CONF, '/etc/mosquitto');
    expect(r.config).toMatchObject({
      listeners: {
        tcp: { enabled: true, port: 1883, host: '0.0.0.0' },
        ws: { enabled: true, port: 9001, path: '/mqtt' },
      },
      security: {
        allowAnonymous: false,
        passwordFile: '/etc/mosquitto/passwd',
        aclFile: '/etc/mosquitto/acl',
      },
      limits: { maxInflight: 40, maxQueuedMessages: 5000 },
      dataDir: '/var/lib/mosquitto/',
      sysInterval: 30,
      log: { level: 'info' },
    });
    expect(r.skipped).toEqual([
      'line 2: per_listener_settings: security settings apply to every listener',
      'line 16: connection: bridges are not supported (cluster the nodes instead)',
      'line 17: address: bridges are not supported',
    ]);
    expect(r.notes.join('\n')).toMatch(/WebSocket on path \/mqtt/);
  });

  it('no listener line: localhost:1883 and anonymous refused, as Mosquitto 2 does', () => {
    const r = importMosquitto('sys_interval 10\n');
    expect(r.config.listeners.tcp).toEqual({ enabled: true, port: 1883, host: '127.0.0.1' });
    expect(r.config.security.allowAnonymous).toBe(true);
    expect(r.notes.join('\n')).toMatch(/anonymous clients on 127.0.0.1 only/);
    expect(() => importMosquitto('listener 1883\n')).toThrow(
      /allow_anonymous is not set and there is no password_file/,
    );
  });

  it('a bad value is a one-line error naming the line', () => {
    expect(() => importMosquitto('max_queued_messages lots\n')).toThrow(
      /line 1: max_queued_messages: expected a number/,
    );
  });

  it('the CLI writes YAML that `runtime start --config` takes, with the Mosquitto password and ACL files unchanged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-imp-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'mosquitto.conf'),
        'listener 0 127.0.0.1\npassword_file passwd\nacl_file acl\nmax_queued_messages 10\nbridge_insecure true\n',
      );
      fs.writeFileSync(path.join(dir, 'passwd'), KNOWN);
      fs.writeFileSync(path.join(dir, 'acl'), 'user alice\ntopic readwrite alice/#\n');
      const out = path.join(dir, 'mqttlab.yaml');
      const r = spawnSync(
        process.execPath,
        ['bin/runtime.js', 'import-mosquitto', path.join(dir, 'mosquitto.conf'), '--out', out],
        { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('not imported: line 5: bridge_insecure: no mqttlab equivalent');
      const cfg = readConfigFile(out) as Record<string, any>;
      const s = await startServer({ ...cfg, sysInterval: 0 }, silentLog);
      try {
        const c = await mqtt.connectAsync({
          host: '127.0.0.1',
          port: s.tcpPort!,
          username: 'alice',
          password: 'secret-1',
          reconnectPeriod: 0,
          protocolVersion: 5,
        });
        const ok = await c.subscribeAsync('alice/#', { qos: 1 });
        expect(ok[0].qos).toBe(1);
        await expect(c.subscribeAsync('other/#', { qos: 1 })).rejects.toThrow(/Not authorized/);
        await c.endAsync();
        expect(s.broker.config.limits.maxQueuedMessages).toBe(10);
      } finally {
        await s.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('hints for Mosquitto habits in an mqttlab config', () => {
  const problems = (cfg: unknown): string[] => {
    try {
      runtimeConfig(cfg);
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('snake_case keys: the camelCase key; Mosquitto directive names: where they live here; typos: the near key', () => {
    expect(problems({ limits: { max_queued_messages: 5 } })).toEqual([
      'limits.max_queued_messages: unknown key (did you mean limits.maxQueuedMessages?)',
    ]);
    expect(problems({ max_queued_messages: 5 })).toEqual([
      "max_queued_messages: unknown key (Mosquitto's max_queued_messages is limits.maxQueuedMessages here; runtime import-mosquitto converts a mosquitto.conf)",
    ]);
    expect(problems({ sys_interval: 5 })).toEqual(['sys_interval: unknown key (did you mean sysInterval?)']);
    expect(problems({ security: { passwordFiel: 'x' } })[0]).toBe(
      'security.passwordFiel: unknown key (did you mean security.passwordFile?)',
    );
    expect(didYouMean('zzz: unknown key')).toBe('zzz: unknown key');
  });

  it('a mosquitto.conf given to --config says to import it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-mc-'));
    try {
      const f = path.join(dir, 'mosquitto.conf');
      fs.writeFileSync(f, 'listener 1883\nallow_anonymous true\n');
      expect(() => readConfigFile(f)).toThrow(
        /this is a Mosquitto configuration; convert it with: runtime import-mosquitto/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
