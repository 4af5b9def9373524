// Security over real sockets with mqtt.js: password file (scrypt), anonymous
// switch, ACL (publish/subscribe/will/retained, %u/%c), TLS with client
// certificate CN as user name, WSS, connect and message rate limits,
// flapping bans, the counters in /api/stats, and configuration errors.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { IClientOptions } from 'mqtt';
import type { IPublishPacket, IPubackPacket, ISubackPacket, Packet } from 'mqtt-packet';
import {
  createRuntime,
  sleep,
  waitUntil,
  uniqueId,
  type RunningServer,
  type TestClient,
} from '../helpers/runtime.ts';
import { setPassword, parsePasswordFile } from '../../runtime/auth.ts';
import { runtimeConfig } from '../../runtime/config.ts';
import { startServer } from '../../runtime/server.ts';
import { ConfigError } from '../../core/config.ts';
import { makePki, type TestPki } from '../helpers/certs.ts';
import { tool, titled } from '../helpers/tools.ts';

// Cheap scrypt cost for test users (the file format carries it per user).
const FAST = { N: 1024, r: 8, p: 1 };
const ACL = [
  'allow user root both # $SYS/#',
  'allow all both users/%u/# clients/%c/#',
  'allow all subscribe public/#',
  'deny all both #',
].join('\n');

let dir: string;
let pki: TestPki;
const openssl = tool('openssl');
let pwFile: string;
let aclFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mqttlab-sec-'));
  pwFile = join(dir, 'passwd');
  aclFile = join(dir, 'acl');
  for (const [u, p] of [
    ['alice', 'alice-pw'],
    ['bob', 'bob-pw'],
    ['root', 'root-pw'],
    ['+', 'plus-pw'],
  ])
    setPassword(pwFile, u, p, FAST);
  writeFileSync(aclFile, ACL);
  if (openssl.path) pki = makePki();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  pki?.cleanup();
});

function secured(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { security, ...rest } = extra as { security?: Record<string, unknown> };
  return {
    security: { passwordFile: pwFile, aclFile, ...security },
    admin: { enabled: true, host: '127.0.0.1', port: 0 },
    ...rest,
  };
}

async function stats(srv: RunningServer): Promise<Record<string, any>> {
  const r = await fetch(`http://127.0.0.1:${srv.adminPort}/api/stats`);
  return (await r.json()) as Record<string, any>;
}

const user = (name: string, pw = `${name}-pw`): IClientOptions => ({ username: name, password: pw });
const pubacks = (c: TestClient) => c.packetsIn.filter((p): p is IPubackPacket => p.cmd === 'puback');
const subackCodes = async (c: TestClient, topic: string): Promise<number[]> => {
  const n = c.packetsIn.length;
  c.subscribe(topic, { qos: 1 }, () => {});
  await waitUntil(() => c.packetsIn.slice(n).some((p) => p.cmd === 'suback'), 3000, 'SUBACK');
  return (c.packetsIn.slice(n).find((p) => p.cmd === 'suback') as ISubackPacket).granted as number[];
};

describe('authentication (password file, TCP)', () => {
  const h = createRuntime();
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await h.server(secured());
  });
  afterAll(() => h.cleanup());

  it('good password: accepted over v5 and 3.1.1', async () => {
    expect((await h.client(srv, { ...user('alice'), protocolVersion: 5 })).connack.reasonCode).toBe(0);
    expect((await h.client(srv, { ...user('bob'), protocolVersion: 4 })).connack.returnCode).toBe(0);
  });

  it('bad password or unknown user: v5 0x86, 3.1.1 code 4, then closed; counted in auth.failed', async () => {
    const before = (await stats(srv)).auth.failed;
    expect(await h.tryConnect(srv, { ...user('alice', 'wrong'), protocolVersion: 5 })).toMatchObject({
      code: 0x86,
    });
    expect(await h.tryConnect(srv, { ...user('nobody', 'x'), protocolVersion: 5 })).toMatchObject({
      code: 0x86,
    });
    expect(await h.tryConnect(srv, { ...user('alice', 'wrong'), protocolVersion: 4 })).toMatchObject({
      code: 4,
    });
    expect(await h.tryConnect(srv, { username: 'alice', protocolVersion: 5 })).toMatchObject({ code: 0x86 }); // no password
    expect((await stats(srv)).auth.failed).toBe(before + 4);
  });

  it('anonymous refused by default once a password file is set: v5 0x87, 3.1.1 code 5', async () => {
    expect(await h.tryConnect(srv, { protocolVersion: 5 })).toMatchObject({ code: 0x87 });
    expect(await h.tryConnect(srv, { protocolVersion: 4 })).toMatchObject({ code: 5 });
  });

  it('packets sent right behind CONNECT wait for the password check and are then handled in order', async () => {
    const r = await h.raw(srv, 5);
    r.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 0,
      clientId: uniqueId('raw'),
      username: 'alice',
      password: Buffer.from('alice-pw'),
    });
    r.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'users/alice/pipelined', qos: 1 }] });
    r.send({
      cmd: 'publish',
      topic: 'users/alice/pipelined',
      payload: Buffer.from('p'),
      qos: 1,
      messageId: 2,
      retain: false,
      dup: false,
    });
    await r.waitFor('publish');
    await r.waitFor('puback');
    expect(r.packets[0]).toMatchObject({ cmd: 'connack', reasonCode: 0 });
    expect(r.packets[1]).toMatchObject({ cmd: 'suback', granted: [1] });
    expect(
      r.packets
        .map((p) => p.cmd)
        .slice(2)
        .sort(),
    ).toEqual(['puback', 'publish']);
  });

  it('packets behind a refused CONNECT are discarded [MQTT-3.1.4-5]', async () => {
    const watcher = await h.client(srv, { ...user('root'), protocolVersion: 5 });
    await watcher.subscribeAsync('users/#', { qos: 1 });
    const r = await h.raw(srv, 5);
    r.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 0,
      clientId: uniqueId('raw'),
      username: 'alice',
      password: Buffer.from('nope'),
    });
    r.send({
      cmd: 'publish',
      topic: 'users/alice/sneaky',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
    });
    await r.waitClosed();
    expect(r.packets).toMatchObject([{ cmd: 'connack', reasonCode: 0x86 }]);
    await sleep(100);
    expect(watcher.inbox.topics()).not.toContain('users/alice/sneaky');
  });
});

describe('anonymous switch', () => {
  it('no password file: anonymous allowed, with a warning at start; allowAnonymous: true keeps it with a password file', async () => {
    const logs: string[] = [];
    const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
    const open = await startServer(
      { listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } }, sysInterval: 0 },
      log,
    );
    const both = await startServer(
      {
        listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
        sysInterval: 0,
        security: { passwordFile: pwFile, allowAnonymous: true },
      },
      log,
    );
    const h = createRuntime();
    try {
      expect(logs.some((l) => /anonymous clients may connect \(no security\.passwordFile\)/.test(l))).toBe(
        true,
      );
      expect((await h.client(open, { protocolVersion: 5 })).connack.reasonCode).toBe(0);
      expect((await h.client(both, { protocolVersion: 5 })).connack.reasonCode).toBe(0);
      expect((await h.client(both, { ...user('bob'), protocolVersion: 5 })).connack.reasonCode).toBe(0);
      expect(await h.tryConnect(both, { ...user('bob', 'bad'), protocolVersion: 5 })).toMatchObject({
        code: 0x86,
      });
    } finally {
      await h.cleanup();
      await Promise.all([open.stop(), both.stop()]);
    }
  });
});

describe('authorization (ACL file)', () => {
  const h = createRuntime();
  let srv: RunningServer;
  beforeAll(async () => {
    srv = await h.server(secured({ sysInterval: 1 }));
  });
  afterAll(() => h.cleanup());

  it('subscribe: own %u and %c subtrees and public/# granted; others 0x87 per filter (3.1.1: 0x80), also inside $share and $queue', async () => {
    const alice = await h.client(srv, { ...user('alice'), clientId: 'alice-phone', protocolVersion: 5 });
    expect(await subackCodes(alice, 'users/alice/#')).toEqual([1]);
    expect(await subackCodes(alice, 'clients/alice-phone/+')).toEqual([1]);
    expect(await subackCodes(alice, 'public/news')).toEqual([1]);
    for (const f of [
      'users/bob/#',
      'users/+/x',
      '#',
      'users/#',
      '$SYS/#',
      '$share/g/users/bob/#',
      '$queue/users/+/x',
      'clients/other/#',
    ]) {
      expect([f, await subackCodes(alice, f)]).toEqual([f, [0x87]]);
    }
    const v3 = await h.client(srv, { ...user('alice'), protocolVersion: 4 });
    expect(await subackCodes(v3, 'users/bob/#')).toEqual([0x80]);
    expect(await subackCodes(v3, 'users/alice/#')).toEqual([1]);
  });

  it('a user named "+" gets only its literal subtree: users/+/# is not granted to it', async () => {
    const plus = await h.client(srv, { username: '+', password: 'plus-pw', protocolVersion: 5 });
    expect(await subackCodes(plus, 'users/+/#')).toEqual([0x87]);
    expect(await subackCodes(plus, 'users/#')).toEqual([0x87]);
  });

  it('publish: allowed topics delivered; denied QoS 1 gets PUBACK 0x87 (also via a topic alias), QoS 0 dropped; 3.1.1 acked and dropped; all counted', async () => {
    const root = await h.client(srv, { ...user('root'), protocolVersion: 5 });
    await root.subscribeAsync('users/#', { qos: 1 });
    const before = (await stats(srv)).denied.publish;
    const alice = await h.client(srv, { ...user('alice'), protocolVersion: 5 });
    await alice.publishAsync('users/alice/ok', 'ok', { qos: 1 });
    await alice.publishAsync('users/bob/x', 'no', { qos: 1 }).catch(() => {});
    await alice.publishAsync('users/bob/y', 'no', { qos: 0 });
    // Alias 3 first names an allowed topic, then is rebound to a denied one and used bare.
    await alice.publishAsync('users/alice/a', 'ok', { qos: 1, properties: { topicAlias: 3 } });
    await alice.publishAsync('users/bob/a', 'no', { qos: 1, properties: { topicAlias: 3 } }).catch(() => {});
    await alice.publishAsync('', 'no', { qos: 1, properties: { topicAlias: 3 } }).catch(() => {});
    const v3 = await h.client(srv, { ...user('alice'), protocolVersion: 4 });
    await v3.publishAsync('users/bob/v3', 'no', { qos: 1 });
    await root.inbox.waitFor(2);
    await sleep(100);
    expect(root.inbox.topics().sort()).toEqual(['users/alice/a', 'users/alice/ok']);
    expect(pubacks(alice).map((a) => a.reasonCode ?? 0)).toEqual([0, 0x87, 0, 0x87, 0x87]);
    expect(pubacks(v3).map((a) => a.reasonCode ?? 0)).toEqual([0]);
    expect((await stats(srv)).denied.publish).toBe(before + 5);
  });

  it('will: v5 CONNECT with a denied will topic gets 0x87; 3.1.1 connects but the will is never published', async () => {
    const root = await h.client(srv, { ...user('root'), protocolVersion: 5 });
    await root.subscribeAsync('users/#', { qos: 0 });
    const before = (await stats(srv)).denied.will;
    expect(
      await h.tryConnect(srv, {
        ...user('alice'),
        protocolVersion: 5,
        will: { topic: 'users/bob/will', payload: Buffer.from('w'), qos: 0, retain: false },
      }),
    ).toMatchObject({ code: 0x87 });
    const v3 = await h.client(srv, {
      ...user('alice'),
      protocolVersion: 4,
      will: { topic: 'users/bob/will', payload: Buffer.from('w'), qos: 0, retain: false },
    });
    const ok = await h.client(srv, {
      ...user('alice'),
      protocolVersion: 4,
      will: { topic: 'users/alice/will', payload: Buffer.from('w'), qos: 0, retain: false },
    });
    (v3 as unknown as { stream: { destroy(): void } }).stream.destroy();
    (ok as unknown as { stream: { destroy(): void } }).stream.destroy();
    await root.inbox.waitFor(1);
    await sleep(100);
    expect(root.inbox.topics()).toEqual(['users/alice/will']);
    expect((await stats(srv)).denied.will).toBe(before + 2);
  });

  it('retained messages go only to permitted filters', async () => {
    const root = await h.client(srv, { ...user('root'), protocolVersion: 5 });
    await root.publishAsync('users/bob/r', 'bob', { qos: 1, retain: true });
    await root.publishAsync('users/alice/r', 'alice', { qos: 1, retain: true });
    const alice = await h.client(srv, { ...user('alice'), protocolVersion: 5 });
    expect(await subackCodes(alice, 'users/+/r')).toEqual([0x87]);
    expect(await subackCodes(alice, 'users/alice/r')).toEqual([1]);
    await alice.inbox.waitFor(1);
    await sleep(100);
    expect(alice.inbox.payloads()).toEqual(['alice']);
  });

  it('a session made by one user is not resumed by another with the same client id', async () => {
    const id = uniqueId('shared-id');
    const a = await h.client(srv, {
      ...user('alice'),
      clientId: id,
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 60 },
    });
    await a.subscribeAsync('users/alice/#', { qos: 1 });
    await a.endAsync();
    const b = await h.client(srv, {
      ...user('bob'),
      clientId: id,
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 60 },
    });
    expect(b.connack.sessionPresent).toBe(false);
    const root = await h.client(srv, { ...user('root'), protocolVersion: 5 });
    await root.publishAsync('users/alice/secret', 's', { qos: 1 });
    await sleep(150);
    expect(b.inbox.length).toBe(0);
  });

  it('denials are visible in /api/stats and, to a user the ACL lets read $SYS, in $SYS/broker/security/#', async () => {
    const s = await stats(srv);
    expect(s.denied.subscribe).toBeGreaterThan(0);
    expect(s.denied.publish).toBeGreaterThan(0);
    expect(s.denied.will).toBeGreaterThan(0);
    expect(s.auth.failed).toBe(0);
    const root = await h.client(srv, { ...user('root'), protocolVersion: 5 });
    await root.subscribeAsync('$SYS/broker/security/denied/+', { qos: 0 });
    const got = await root.inbox.waitFor(3, 3000);
    const byTopic = Object.fromEntries(
      got.map((m) => [m.topic.split('/').pop(), Number(m.payload.toString())]),
    );
    expect(byTopic.publish).toBeGreaterThan(0);
    expect(byTopic.subscribe).toBeGreaterThan(0);
  });
});

describe.skipIf(!openssl.path)(titled('TLS and WSS', openssl), () => {
  const h = createRuntime();
  let srv: RunningServer;
  let certSrv: RunningServer;
  const tlsOpts = () => ({ ca: pki.read(pki.ca), rejectUnauthorized: true });
  const connect = (
    url: string,
    opts: IClientOptions,
  ): Promise<{ ok: boolean; code?: number; client: mqtt.MqttClient; packets: Packet[] }> =>
    new Promise((resolve) => {
      const packets: Packet[] = [];
      const c = mqtt.connect(url, {
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        clientId: uniqueId('tls'),
        ...opts,
      });
      c.on('packetreceive', (p) => packets.push(p));
      c.once('connect', () => resolve({ ok: true, client: c, packets }));
      c.once('error', (e: Error & { code?: number }) =>
        resolve({ ok: false, code: typeof e.code === 'number' ? e.code : undefined, client: c, packets }),
      );
      c.once('close', () => resolve({ ok: false, client: c, packets }));
    });
  const opened: mqtt.MqttClient[] = [];
  const tracked = async (url: string, opts: IClientOptions) => {
    const r = await connect(url, opts);
    opened.push(r.client);
    return r;
  };
  beforeAll(async () => {
    const tls = { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca };
    srv = await h.server(
      secured({
        listeners: {
          tcp: { host: '127.0.0.1', port: 0 },
          ws: { enabled: false },
          tls: { enabled: true, host: '127.0.0.1', port: 0 },
          wss: { enabled: true, host: '127.0.0.1', port: 0 },
        },
        tls,
      }),
    );
    certSrv = await h.server(
      secured({
        listeners: {
          tcp: { enabled: false },
          ws: { enabled: false },
          tls: { enabled: true, host: '127.0.0.1', port: 0 },
          wss: { enabled: true, host: '127.0.0.1', port: 0 },
        },
        tls: { ...tls, requireClientCert: true },
      }),
    );
  });
  afterAll(async () => {
    for (const c of opened) c.end(true);
    await h.cleanup();
  });

  it('mqtts: password auth and the ACL work over TLS; a client that does not trust the CA is refused by its own check', async () => {
    const ok = await tracked(`mqtts://127.0.0.1:${srv.tlsPort}`, {
      ...tlsOpts(),
      ...user('alice'),
      protocolVersion: 5,
    });
    expect(ok.ok).toBe(true);
    expect(
      await tracked(`mqtts://127.0.0.1:${srv.tlsPort}`, {
        ...tlsOpts(),
        ...user('alice', 'bad'),
        protocolVersion: 5,
      }),
    ).toMatchObject({ ok: false, code: 0x86 });
    expect(
      await tracked(`mqtts://127.0.0.1:${srv.tlsPort}`, {
        ca: pki.read(join(pki.dir, 'rogue-ca.crt')),
        rejectUnauthorized: true,
        ...user('alice'),
      }),
    ).toMatchObject({ ok: false });
    const n = ok.packets.length;
    ok.client.subscribe('users/bob/#', { qos: 1 });
    await waitUntil(() => ok.packets.slice(n).some((p) => p.cmd === 'suback'));
    expect((ok.packets.slice(n).find((p) => p.cmd === 'suback') as ISubackPacket).granted).toEqual([0x87]);
  });

  it('wss: MQTT over secure WebSocket with a password', async () => {
    const ok = await tracked(`wss://127.0.0.1:${srv.wssPort}/mqtt`, {
      ...tlsOpts(),
      ...user('bob'),
      protocolVersion: 5,
    });
    expect(ok.ok).toBe(true);
    const got = new Promise<string>((r) => ok.client.on('message', (t) => r(t)));
    await ok.client.subscribeAsync('users/bob/wss', { qos: 1 });
    await ok.client.publishAsync('users/bob/wss', 'x', { qos: 1 });
    expect(await got).toBe('users/bob/wss');
    expect(
      await tracked(`wss://127.0.0.1:${srv.wssPort}/mqtt`, { ...tlsOpts(), protocolVersion: 5 }),
    ).toMatchObject({ ok: false, code: 0x87 });
  });

  it('client certificates: the CN is the user name (no password), the ACL applies to it; no certificate or an untrusted one fails the handshake', async () => {
    const alice = pki.client('alice');
    const c = await tracked(`mqtts://127.0.0.1:${certSrv.tlsPort}`, {
      ...tlsOpts(),
      cert: pki.read(alice.cert),
      key: pki.read(alice.key),
      protocolVersion: 5,
    });
    expect(c.ok).toBe(true);
    const n = c.packets.length;
    c.client.subscribe(['users/alice/#', 'users/bob/#'], { qos: 1 });
    await waitUntil(() => c.packets.slice(n).some((p) => p.cmd === 'suback'));
    expect((c.packets.slice(n).find((p) => p.cmd === 'suback') as ISubackPacket).granted).toEqual([1, 0x87]);
    // A user name in CONNECT does not override the certificate.
    const claim = await tracked(`mqtts://127.0.0.1:${certSrv.tlsPort}`, {
      ...tlsOpts(),
      cert: pki.read(alice.cert),
      key: pki.read(alice.key),
      username: 'root',
      password: 'whatever',
      protocolVersion: 5,
    });
    expect(claim.ok).toBe(true);
    const m = claim.packets.length;
    claim.client.subscribe('users/bob/#', { qos: 1 });
    await waitUntil(() => claim.packets.slice(m).some((p) => p.cmd === 'suback'));
    expect((claim.packets.slice(m).find((p) => p.cmd === 'suback') as ISubackPacket).granted).toEqual([0x87]);

    expect(
      (await tracked(`mqtts://127.0.0.1:${certSrv.tlsPort}`, { ...tlsOpts(), ...user('alice') })).ok,
    ).toBe(false);
    const rogue = pki.client('alice', { untrusted: true });
    expect(
      (
        await tracked(`mqtts://127.0.0.1:${certSrv.tlsPort}`, {
          ...tlsOpts(),
          cert: pki.read(rogue.cert),
          key: pki.read(rogue.key),
        })
      ).ok,
    ).toBe(false);
  });

  it('wss with client certificates: the CN is the user name there too', async () => {
    const bob = pki.client('bob');
    const c = await tracked(`wss://127.0.0.1:${certSrv.wssPort}/mqtt`, {
      ...tlsOpts(),
      cert: pki.read(bob.cert),
      key: pki.read(bob.key),
      protocolVersion: 5,
    });
    expect(c.ok).toBe(true);
    const n = c.packets.length;
    c.client.subscribe(['users/bob/#', 'users/alice/#'], { qos: 1 });
    await waitUntil(() => c.packets.slice(n).some((p) => p.cmd === 'suback'));
    expect((c.packets.slice(n).find((p) => p.cmd === 'suback') as ISubackPacket).granted).toEqual([1, 0x87]);
    expect(
      (await tracked(`wss://127.0.0.1:${certSrv.wssPort}/mqtt`, { ...tlsOpts(), ...user('bob') })).ok,
    ).toBe(false);
  });
});

describe('rate limits and flapping', () => {
  it('connect rate per listener: over it, v5 CONNACK 0x9F and 3.1.1 code 3; counted', async () => {
    const h = createRuntime();
    try {
      const srv = await h.server({
        security: { maxConnectRate: 1 },
        admin: { enabled: true, host: '127.0.0.1', port: 0 },
      });
      const results = await Promise.all(
        [5, 5, 5, 4, 4].map((v) => h.tryConnect(srv, { protocolVersion: v as 4 | 5 })),
      );
      const codes = results.map((r) => ('client' in r ? 0 : r.code));
      expect(codes.filter((c) => c === 0).length).toBeGreaterThanOrEqual(1);
      expect(codes.filter((c) => c === 0x9f || c === 3).length).toBeGreaterThanOrEqual(3);
      expect(codes.every((c) => c === 0 || c === 0x9f || c === 3)).toBe(true);
      expect((await stats(srv)).auth.connectRateExceeded).toBe(codes.filter((c) => c !== 0).length);
      // The WebSocket listener has its own bucket.
      expect((await h.client(srv, { transport: 'ws', protocolVersion: 5 })).connack.reasonCode).toBe(0);
    } finally {
      await h.cleanup();
    }
  });

  it('message rate per client: a v5 client publishing faster gets DISCONNECT 0x96', async () => {
    const h = createRuntime();
    try {
      const srv = await h.server({ security: { maxMessageRate: 5 } });
      const c = await h.client(srv, { protocolVersion: 5 });
      for (let i = 0; i < 40; i++) c.publish('fast', String(i), { qos: 0 });
      await c.whenClosed;
      expect(c.disconnects.map((d) => d.reasonCode)).toEqual([0x96]);
      expect(srv.broker.stats.auth.messageRateExceeded).toBe(1);
      const slow = await h.client(srv, { protocolVersion: 5 });
      for (let i = 0; i < 3; i++) await slow.publishAsync('slow', String(i), { qos: 1 });
      expect(slow.isClosed()).toBe(false);
    } finally {
      await h.cleanup();
    }
  });

  it('flapping: a client id connecting more than maxConnects times in the window is banned (v5 0x8A, 3.1.1 code 5); others are not', async () => {
    const h = createRuntime();
    try {
      const srv = await h.server({
        security: { flapping: { enabled: true, maxConnects: 3, windowSec: 60, banSec: 60 } },
        admin: { enabled: true, host: '127.0.0.1', port: 0 },
      });
      const id = uniqueId('flappy');
      for (let i = 0; i < 3; i++) {
        const c = await h.client(srv, { clientId: id, protocolVersion: 5 });
        await c.endAsync();
      }
      expect(await h.tryConnect(srv, { clientId: id, protocolVersion: 5 })).toMatchObject({ code: 0x8a });
      expect(await h.tryConnect(srv, { clientId: id, protocolVersion: 4 })).toMatchObject({ code: 5 });
      expect(
        (await h.client(srv, { clientId: uniqueId('steady'), protocolVersion: 5 })).connack.reasonCode,
      ).toBe(0);
      const s = await stats(srv);
      expect(s.auth.flappingBans).toBe(1);
      expect(s.auth.banned).toBe(2); // the connect that crossed the limit, and the next
    } finally {
      await h.cleanup();
    }
  });
});

describe('configuration', () => {
  const errs = (o: unknown): string[] => {
    try {
      runtimeConfig(o);
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('names every missing or bad security key', () => {
    expect(errs({ listeners: { tls: { enabled: true } } })).toEqual([
      expect.stringMatching(/^tls\.cert: required/),
      expect.stringMatching(/^tls\.key: required/),
    ]);
    expect(errs({ tls: { requireClientCert: true } })[0]).toMatch(
      /^tls\.ca: required with tls\.requireClientCert/,
    );
    expect(errs({ security: { allowAnonymous: false } })[0]).toMatch(
      /^security\.allowAnonymous: false needs security\.passwordFile/,
    );
    expect(
      errs({
        security: {
          allowAnonymous: 'maybe',
          aclDefault: 'perhaps',
          maxConnectRate: -1,
          flapping: { maxConnects: 0 },
        },
      }),
    ).toHaveLength(4);
    expect(errs({ cluster: { enabled: true, secret: 's', tls: { enabled: true } } })).toHaveLength(3);
    expect(errs({ cluster: { secret: 12345 }, admin: { token: 678 } }).join('\n')).not.toMatch(/12345|678/);
  });

  it('refuses to start on a bad password file, a bad ACL line or an unreadable certificate, naming file and line', async () => {
    const badPw = join(dir, 'bad-passwd');
    writeFileSync(badPw, 'alice:plaintext\n');
    const badAcl = join(dir, 'bad-acl');
    writeFileSync(badAcl, 'allow all both ok/#\nallow everyone both #\n');
    const base = {
      listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
      sysInterval: 0,
    };
    await expect(startServer({ ...base, security: { passwordFile: badPw } })).rejects.toThrow(
      /security\.passwordFile .*bad-passwd: line 1/,
    );
    await expect(startServer({ ...base, security: { aclFile: badAcl } })).rejects.toThrow(
      /security\.aclFile .*bad-acl: line 2/,
    );
    await expect(
      startServer({
        ...base,
        listeners: { ...base.listeners, tls: { enabled: true, port: 0 } },
        tls: { cert: join(dir, 'missing.crt'), key: pwFile },
      }),
    ).rejects.toThrow(/tls\.cert: cannot read/);
  });

  it('`runtime passwd` writes a salted scrypt line from stdin or --password, replaces a user, and never prints the password', () => {
    const f = join(dir, 'cli-passwd');
    const run = (args: string[], input?: string) =>
      spawnSync(process.execPath, ['bin/runtime.js', 'passwd', f, ...args], {
        input,
        encoding: 'utf8',
        timeout: 20_000,
      });
    const a = run(['carol'], 'carol-secret\n');
    expect(a.status).toBe(0);
    const b = run(['dave', '--password', 'dave-secret']);
    expect(b.status).toBe(0);
    expect(a.stdout + a.stderr + b.stdout + b.stderr).not.toMatch(/carol-secret|dave-secret/);
    const first = readFileSync(f, 'utf8');
    expect(first).toMatch(/^carol:scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\ndave:scrypt\$/);
    setPassword(f, 'carol', 'new', FAST); // what the command calls to replace a user
    const { users, errors } = parsePasswordFile(readFileSync(f, 'utf8'));
    expect(errors).toEqual([]);
    expect([...users.keys()]).toEqual(['carol', 'dave']);
    expect(readFileSync(f, 'utf8')).not.toBe(first);
  });
});
