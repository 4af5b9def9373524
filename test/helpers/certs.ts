// Test certificates made with the openssl command line in a temp dir: a CA,
// a server certificate for 127.0.0.1/localhost, client certificates by CN,
// and a second, untrusted CA.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Paths of a client certificate and key signed by the CA, with this CN. */
  client(cn: string, opts?: { untrusted?: boolean }): { cert: string; key: string };
  read(path: string): Buffer;
  cleanup(): void;
}

const ssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function issue(dir: string, name: string, cn: string, caName: string, ext?: string): void {
  ssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
  ]);
  const extArgs: string[] = [];
  if (ext) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    extArgs.push('-extfile', `${name}.ext`);
  }
  ssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${caName}.crt`,
    '-CAkey',
    `${caName}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    ...extArgs,
  ]);
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'mqttlab-pki-'));
  for (const ca of ['ca', 'rogue-ca']) {
    ssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${ca}`,
    ]);
  }
  issue(dir, 'server', 'localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const made = new Map<string, { cert: string; key: string }>();
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    client(cn, opts = {}) {
      const key = `${opts.untrusted ? 'rogue-' : ''}client-${cn.replace(/[^A-Za-z0-9]/g, '_')}`;
      let c = made.get(key);
      if (!c) {
        issue(dir, key, cn, opts.untrusted ? 'rogue-ca' : 'ca');
        c = { cert: join(dir, `${key}.crt`), key: join(dir, `${key}.key`) };
        made.set(key, c);
      }
      return c;
    },
    read: (p) => readFileSync(p),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
