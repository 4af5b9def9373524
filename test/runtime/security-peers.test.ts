// Peer links without the cluster secret: in the simulator, an attacker who
// can reach two members' peer ports relays one node's handshake proof to the
// other (the classic reflection attack on a symmetric challenge-response);
// the proof is bound to the link's direction and the verifier, so it fails.
// Over TCP: a raw socket sending route frames with and without a forged
// handshake never changes the route table.

import { describe, it, expect } from 'vitest';
import net from 'node:net';
import {
  F,
  FrameReader,
  encodeJson,
  PROTOCOL_VERSION,
  type Frame,
} from '../../core/cluster/peer-protocol.ts';
import { World } from '../../sim/world.ts';
import type { SimSocket } from '../../sim/network.ts';
import { startServer } from '../../runtime/server.ts';
import { freePorts } from '../helpers/ports.ts';
import { join } from 'node:path';
import { sleep, waitUntil, createRuntime, type RunningServer } from '../helpers/runtime.ts';
import { makePki } from '../helpers/certs.ts';
import { tool, titled } from '../helpers/tools.ts';
import type { Logger } from '../../core/env.ts';

describe('peer authentication (simulator)', () => {
  it('a relayed handshake proof does not authenticate the attacker as another member', async () => {
    const w = new World({ seed: 'relay-attack' });
    w.addCluster(['n1', 'n2']);
    const sub = w.client('sub', { target: 'n2', subscriptions: [{ filter: 'ok/#', qos: 1 }] });
    const pub = w.client('pub', { target: 'n1' });
    const attacker = w.host('mallory', true);
    const inbox: Record<string, Frame[]> = { n1: [], n2: [] };
    const socks: Record<string, SimSocket> = {};
    const closed: string[] = [];
    await w.run(async (w) => {
      await w.sleep(3000);
      for (const n of ['n1', 'n2']) {
        const reader = new FrameReader();
        w.network.connect(
          attacker,
          w.host(n),
          {
            onOpen: (s) => (socks[n] = s),
            onData: (b) => reader.push(b, 0, inbox[n]),
            onClose: () => closed.push(n),
          },
          undefined,
          'cluster',
        );
      }
      await w.sleep(500);
      const hello = (n: string) =>
        inbox[n].find((f) => f.type === F.Hello) as Extract<Frame, { type: F.Hello }>;
      // n2 proves itself over n1's nonce, believing it talks to n1 ...
      socks.n2.write(
        encodeJson(F.Hello, {
          v: hello('n1').body.v,
          node: 'n1',
          address: 'n1:cluster',
          nonce: hello('n1').body.nonce,
          inc: 'x',
        }),
      );
      await w.sleep(500);
      const proof = inbox.n2.find((f) => f.type === F.Auth) as Extract<Frame, { type: F.Auth }>;
      expect(proof).toBeDefined();
      // ... and the attacker hands that proof to n1 as n2, then claims every topic.
      socks.n1.write(
        encodeJson(F.Hello, {
          v: hello('n1').body.v,
          node: 'n2',
          address: 'mallory:cluster',
          nonce: 'aa',
          inc: 'y',
        }),
      );
      socks.n1.write(encodeJson(F.Auth, { mac: proof.body.mac }));
      socks.n1.write(encodeJson(F.Routes, { full: true, add: ['#'], del: [] }));
      await w.sleep(1000);
      pub.publish('ok/1', 1);
      await w.sleep(1000);
    });
    expect(closed).toContain('n1');
    expect(w.cluster('n1').stats.authFailures).toBeGreaterThan(0);
    expect(w.cluster('n1').routes.dump()).toEqual(['ok/# -> n2']);
    expect(
      w
        .cluster('n1')
        .status()
        .find((s) => s.node === 'n2'),
    ).toMatchObject({ state: 'running', address: 'n2:cluster' });
    expect(sub.received.map((r) => r.id)).toEqual(['pub:1']);
  });
});

const SECRET = 'peer-test-secret';

async function node(
  name: string,
  port: number,
  seeds: string[],
  extra: { secret?: string; tls?: Record<string, unknown> } = {},
): Promise<RunningServer & { logs: string[] }> {
  const logs: string[] = [];
  const log: Logger = { info: (m) => logs.push(m), warn: (m) => logs.push(m) };
  const srv = await startServer(
    {
      node: name,
      sysInterval: 0,
      listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
      cluster: {
        enabled: true,
        host: '127.0.0.1',
        port,
        secret: extra.secret ?? SECRET,
        seeds,
        heartbeatIntervalMs: 100,
        heartbeatTimeoutMs: 1500,
        ...(extra.tls ? { tls: extra.tls } : {}),
      },
    },
    log,
  );
  return Object.assign(srv, { logs });
}

const running = (a: RunningServer, b: string) =>
  a.cluster!.status().some((m) => m.node === b && m.state === 'running');

/** Opens a raw TCP connection to a peer port, writes `frames`, resolves when the node closes it. */
function rawPeer(port: number, frames: Buffer[]): Promise<{ closed: boolean; got: Frame[] }> {
  return new Promise((resolve) => {
    const got: Frame[] = [];
    const reader = new FrameReader();
    const s = net.connect(port, '127.0.0.1', () => {
      for (const f of frames) s.write(f);
    });
    const t = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, got });
    }, 3000);
    s.on('data', (b) => {
      try {
        reader.push(b, 0, got);
      } catch {
        /* not our concern here */
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(t);
      resolve({ closed: true, got });
    });
  });
}

describe('peer authentication over TCP', () => {
  it('raw sockets: route frames before the handshake, or behind a forged one, are refused and change nothing', async () => {
    const ports = await freePorts(2);
    const seeds = [`p1@127.0.0.1:${ports[0]}`, `p2@127.0.0.1:${ports[1]}`];
    const p1 = await node('p1', ports[0], seeds);
    const p2 = await node('p2', ports[1], seeds);
    try {
      await waitUntil(() => running(p1, 'p2') && running(p2, 'p1'), 5000, 'p1 and p2 up');
      const before = p1.cluster!.routes.dump();
      const routes = encodeJson(F.Routes, { full: true, add: ['#'], del: [] });
      const early = await rawPeer(ports[0], [routes]);
      expect(early.closed).toBe(true);
      // A Hello naming a real member, an Auth with a made-up MAC, then routes.
      const forged = await rawPeer(ports[0], [
        encodeJson(F.Hello, {
          v: PROTOCOL_VERSION,
          node: 'p2',
          address: '127.0.0.1:1',
          nonce: 'abcd',
          inc: 'z',
        }),
        encodeJson(F.Auth, { mac: '00'.repeat(32) }),
        routes,
      ]);
      expect(forged.closed).toBe(true);
      expect(p1.cluster!.stats.authFailures).toBeGreaterThan(0);
      await sleep(200);
      expect(p1.cluster!.routes.dump()).toEqual(before);
      expect(running(p1, 'p2')).toBe(true);
      expect(p1.cluster!.status().find((m) => m.node === 'p2')!.address).toBe(`127.0.0.1:${ports[1]}`);
    } finally {
      await Promise.all([p1.stop(), p2.stop()]);
    }
  });
});

const openssl = tool('openssl');
describe.skipIf(!openssl.path)(titled('peer links over mutual TLS', openssl), () => {
  it('nodes with CA-signed certificates form a cluster and route; a plain-TCP peer and a node with an untrusted certificate never join', async () => {
    const pki = makePki();
    const rt = createRuntime();
    const nodes: RunningServer[] = [];
    try {
      const t1 = pki.client('t1');
      const t2 = pki.client('t2');
      const rogue = pki.client('t3', { untrusted: true });
      const ports = await freePorts(3);
      const seeds = ports.map((p, i) => `t${i + 1}@127.0.0.1:${p}`);
      const tlsOf = (c: { cert: string; key: string }) => ({
        enabled: true,
        cert: c.cert,
        key: c.key,
        ca: pki.ca,
      });
      const a = await node('t1', ports[0], seeds, { tls: tlsOf(t1) });
      const b = await node('t2', ports[1], seeds, { tls: tlsOf(t2) });
      // Right secret, wrong CA: TLS stops it before the HMAC handshake.
      const c = await node('t3', ports[2], seeds, {
        tls: { ...tlsOf(rogue), ca: join(pki.dir, 'rogue-ca.crt') },
      });
      nodes.push(a, b, c);
      await waitUntil(() => running(a, 't2') && running(b, 't1'), 5000, 't1 and t2 up over TLS');
      const sub = await rt.client(b, { protocolVersion: 5 });
      await sub.subscribeAsync('tls/#', { qos: 1 });
      await waitUntil(() => a.cluster!.routes.dump().includes('tls/# -> t2'), 3000, 'route on t1');
      const pub = await rt.client(a, { protocolVersion: 5 });
      await pub.publishAsync('tls/x', 'over-tls', { qos: 1 });
      expect((await sub.inbox.waitFor(1))[0].payload.toString()).toBe('over-tls');
      // Plain TCP to a TLS peer port: no Hello ever comes back.
      const plain = await rawPeer(ports[0], [
        encodeJson(F.Hello, {
          v: PROTOCOL_VERSION,
          node: 'x',
          address: '127.0.0.1:1',
          nonce: 'ab',
          inc: 'z',
        }),
      ]);
      expect(plain.got).toEqual([]);
      await sleep(500);
      expect(running(a, 't3') || running(b, 't3') || running(c, 't1') || running(c, 't2')).toBe(false);
      expect(a.logs.some((l) => /TLS handshake failed/.test(l))).toBe(true);
    } finally {
      await rt.cleanup();
      await Promise.all(nodes.map((n) => n.stop()));
      pki.cleanup();
    }
  });
});
