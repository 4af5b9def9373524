// SIGHUP on a real `runtime start` process: the password and ACL files are
// re-read and what changed is logged; connected clients stay connected; a
// bad file keeps the one in force and says why.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { describe, it, expect, afterAll } from 'vitest';
import { setPassword } from '../../runtime/auth.ts';
import { spawnRuntime, killAll, type Proc } from '../helpers/processes.ts';
import { waitUntil } from '../helpers/runtime.ts';

const CHEAP = { N: 1024, r: 8, p: 1 }; // scrypt cost for tests only
const procs: Proc[] = [];
afterAll(() => killAll(procs));

function connect(port: number, username: string, password: string) {
  return mqtt.connectAsync({
    host: '127.0.0.1',
    port,
    username,
    password,
    clientId: `${username}-${Date.now()}`,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
}
async function refused(port: number, username: string, password: string): Promise<boolean> {
  try {
    const c = await connect(port, username, password);
    await c.endAsync();
    return false;
  } catch {
    return true;
  }
}

describe('SIGHUP reload of security files', () => {
  it('adds users and ACL rules without dropping connections; a bad file keeps the old one and logs why', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-reload-'));
    const pw = path.join(dir, 'passwd');
    const acl = path.join(dir, 'acl');
    try {
      setPassword(pw, 'alice', 'a-pass', CHEAP);
      setPassword(pw, 'dave', 'd-pass', CHEAP);
      fs.writeFileSync(acl, 'allow user alice both a/#\n');
      const p = spawnRuntime('reload', [
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--no-ws',
        '--password-file',
        pw,
        '--acl-file',
        acl,
      ]);
      procs.push(p);
      await waitUntil(() => p.mqttPort > 0, 20_000, 'node up');

      const alice = await connect(p.mqttPort, 'alice', 'a-pass');
      let aliceClosed = false;
      alice.on('close', () => (aliceClosed = true));
      await alice.subscribeAsync('a/#', { qos: 1 });
      expect(await refused(p.mqttPort, 'bob', 'b-pass')).toBe(true);

      // bob added, dave removed, alice's password changed; bob may publish to a/#.
      setPassword(pw, 'bob', 'b-pass', CHEAP);
      setPassword(pw, 'alice', 'a-pass-2', CHEAP);
      fs.writeFileSync(
        pw,
        fs
          .readFileSync(pw, 'utf8')
          .split('\n')
          .filter((l) => !l.startsWith('dave:'))
          .join('\n'),
      );
      fs.writeFileSync(
        acl,
        '# alice reads, bob writes\nallow user alice both a/#\nallow user bob publish a/#\n',
      );
      p.child.kill('SIGHUP');
      await waitUntil(() => /reload: acl file/.test(p.out), 5000, 'reload logged');
      expect(p.out).toMatch(
        /info \[reload\] reload: password file \S+: 2 users; added bob; removed dave; new password for alice\n/,
      );
      expect(p.out).toMatch(
        /info \[reload\] reload: acl file \S+: 2 rules; added "allow user bob publish a\/#"\n/,
      );

      const bob = await connect(p.mqttPort, 'bob', 'b-pass');
      const got = new Promise<string>((r) => alice.once('message', (_t, m) => r(m.toString())));
      await bob.publishAsync('a/x', 'from bob', { qos: 1 });
      expect(await got).toBe('from bob');
      expect(aliceClosed).toBe(false); // the connection made before the reload is still the same one
      expect(await refused(p.mqttPort, 'alice', 'a-pass')).toBe(true);
      expect(await refused(p.mqttPort, 'dave', 'd-pass')).toBe(true);

      // Bad files: nothing changes, and the log says which line is wrong.
      fs.writeFileSync(pw, fs.readFileSync(pw, 'utf8') + 'carol:plaintext\n');
      fs.writeFileSync(acl, 'allow user bob publish a/#/b\n');
      p.child.kill('SIGHUP');
      await waitUntil(() => /acl file \S+ NOT reloaded/.test(p.out), 5000, 'bad reload logged');
      expect(p.out).toMatch(
        /warn \[reload\] reload: password file \S+ NOT reloaded, the previous one stays: security.passwordFile \S+: line 3: expected user:scrypt/,
      );
      expect(p.out).toMatch(
        /warn \[reload\] reload: acl file \S+ NOT reloaded, the previous one stays: security.aclFile \S+: line 1: topic filter "a\/#\/b": # must be the last level/,
      );
      const bob2 = await connect(p.mqttPort, 'bob', 'b-pass');
      const got2 = new Promise<string>((r) => alice.once('message', (_t, m) => r(m.toString())));
      await bob2.publishAsync('a/y', 'still allowed', { qos: 1 });
      expect(await got2).toBe('still allowed');
      expect(aliceClosed).toBe(false);
      expect(p.out).not.toMatch(/\n\s+at /); // no stack trace
      for (const c of [alice, bob, bob2]) await c.endAsync();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
