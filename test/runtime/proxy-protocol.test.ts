// PROXY protocol v1/v2 on the TCP listener: hand-built headers (well formed,
// split across packets, malformed) through the parser and through real
// sockets to a running broker, whose admin client list then shows the
// client's own address; and real HAProxy with the generated config
// (send-proxy-v2) in front of a node.

import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { describe, it, expect } from 'vitest';
import { parseProxyHeader } from '../../runtime/proxy-protocol.ts';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import { HaproxyProcess, findHaproxy, type LbConfig } from '../../sim/live/haproxy.ts';
import { freePorts } from '../helpers/ports.ts';
import { waitUntil } from '../helpers/runtime.ts';
import { getJson } from '../helpers/processes.ts';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** A v2 header: command (0 LOCAL, 1 PROXY), family/transport byte, address block. */
function v2(cmd: number, famTransport: number, body: Buffer, version = 2): Buffer {
  const h = Buffer.alloc(16);
  SIG.copy(h);
  h[12] = (version << 4) | cmd;
  h[13] = famTransport;
  h.writeUInt16BE(body.length, 14);
  return Buffer.concat([h, body]);
}
function v4Body(src: string, dst: string, sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  src.split('.').forEach((o, i) => (b[i] = Number(o)));
  dst.split('.').forEach((o, i) => (b[4 + i] = Number(o)));
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}
const connect = (clientId: string) =>
  mqttPacket.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    clientId,
  });

describe('PROXY header parser', () => {
  const mqttBytes = connect('x');

  it('reads v1 TCP4/TCP6/UNKNOWN lines and hands back the bytes after them', () => {
    const r = parseProxyHeader(
      Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 4242 1883\r\n'), mqttBytes]),
    );
    expect(r).toEqual({ state: 'done', source: { address: '203.0.113.7', port: 4242 }, rest: mqttBytes });
    const r6 = parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 65535 1883\r\n'));
    expect(r6).toMatchObject({ state: 'done', source: { address: '2001:db8::1', port: 65535 } });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toMatchObject({
      state: 'done',
      source: undefined,
    });
  });

  it('waits for more bytes while a header is incomplete, whichever byte it is cut at', () => {
    for (const h of [
      Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'),
      v2(1, 0x11, v4Body('1.2.3.4', '5.6.7.8', 1, 2)),
    ]) {
      for (let i = 1; i < h.length; i++)
        expect(parseProxyHeader(h.subarray(0, i)).state, `cut at ${i}`).toBe('more');
      expect(parseProxyHeader(h)).toMatchObject({ state: 'done', source: { address: '1.2.3.4', port: 1 } });
    }
  });

  it('reads v2 PROXY over IPv4 and IPv6 (TLVs skipped), LOCAL and UNSPEC as "the socket itself"', () => {
    const tlv = Buffer.from([0x01, 0x00, 0x02, 0x68, 0x32]); // ALPN "h2"
    const r = parseProxyHeader(
      Buffer.concat([
        v2(1, 0x11, Buffer.concat([v4Body('198.51.100.9', '10.0.0.1', 50000, 1883), tlv])),
        mqttBytes,
      ]),
    );
    expect(r).toEqual({ state: 'done', source: { address: '198.51.100.9', port: 50000 }, rest: mqttBytes });
    const six = Buffer.alloc(36);
    Buffer.from('20010db8000000000000000000000005', 'hex').copy(six, 0);
    six.writeUInt16BE(1234, 32);
    expect(parseProxyHeader(v2(1, 0x21, six))).toMatchObject({
      state: 'done',
      source: { address: '2001:db8::5', port: 1234 },
    });
    expect(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0)))).toMatchObject({
      state: 'done',
      source: undefined,
    });
    expect(parseProxyHeader(v2(1, 0x00, Buffer.alloc(0)))).toMatchObject({
      state: 'done',
      source: undefined,
    });
  });

  it('refuses malformed headers with a one-line reason', () => {
    const bad: [Buffer, RegExp][] = [
      [mqttBytes, /no PROXY protocol header/],
      [Buffer.from('GET / HTTP/1.1\r\n'), /no PROXY protocol header/],
      [Buffer.from('PROXY TCP4 1.2.3.999 5.6.7.8 1 2\r\n'), /bad PROXY v1 source address/],
      [Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n'), /bad PROXY v1 port/],
      [Buffer.from('PROXY TCP4 1.2.3.4\r\n'), /bad PROXY v1 header/],
      [Buffer.from('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'), /bad PROXY v1 header/],
      [Buffer.from('PROXY TCP4 ' + '1'.repeat(120)), /longer than 107 bytes/],
      [v2(1, 0x11, v4Body('1.2.3.4', '5.6.7.8', 1, 2), 3), /bad PROXY v2 version 3/],
      [v2(5, 0x11, v4Body('1.2.3.4', '5.6.7.8', 1, 2)), /bad PROXY v2 command 5/],
      [v2(1, 0x11, Buffer.alloc(4)), /IPv4 addresses need 12 bytes/],
      [v2(1, 0x21, Buffer.alloc(12)), /IPv6 addresses need 36 bytes/],
      [v2(1, 0x31, Buffer.alloc(216)), /family 3 is not IPv4 or IPv6/],
      [v2(1, 0x12, v4Body('1.2.3.4', '5.6.7.8', 1, 2)), /transport 2 is not a stream/],
      [
        Buffer.concat([v2(1, 0x11, Buffer.alloc(0)).subarray(0, 14), Buffer.from([0xff, 0xff])]),
        /65535 bytes/,
      ],
    ];
    for (const [b, re] of bad) {
      const r = parseProxyHeader(b);
      expect(r.state, b.toString('latin1').slice(0, 30)).toBe('error');
      if (r.state === 'error') {
        expect(r.reason).toMatch(re);
        expect(r.reason).not.toContain('\n');
      }
    }
  });

  it('optional: a connection starting with MQTT is taken as it is; one starting with a header still has it read', () => {
    expect(parseProxyHeader(mqttBytes, true)).toEqual({ state: 'done', source: undefined, rest: mqttBytes });
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), true)).toMatchObject({
      source: { address: '1.2.3.4' },
    });
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'), true).state).toBe('error');
  });
});

/** Sends `chunks` (each its own write, 20 ms apart) on a raw socket; resolves with what came back once closed or after CONNACK. */
async function rawSend(
  port: number,
  chunks: Buffer[],
): Promise<{ socket: net.Socket; got: Buffer; closed: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const res = {
    socket,
    got: Buffer.alloc(0),
    closed: new Promise<void>((r) => socket.once('close', () => r())),
  };
  socket.on('data', (b) => (res.got = Buffer.concat([res.got, b])));
  for (const c of chunks) {
    socket.write(c);
    await new Promise((r) => setTimeout(r, 20));
  }
  return res;
}

async function remotes(adminPort: number): Promise<Record<string, string>> {
  const { body } = await getJson(adminPort, '/api/clients');
  return Object.fromEntries(
    body.clients.filter((c: any) => c.connected).map((c: any) => [c.clientId, c.remote]),
  );
}

describe('TCP listener with listeners.tcp.proxyProtocol', () => {
  async function withServer(
    proxyProtocol: boolean | 'optional',
    fn: (s: RunningServer, warnings: string[]) => Promise<void>,
  ): Promise<void> {
    const warnings: string[] = [];
    const s = await startServer(
      {
        sysInterval: 0,
        listeners: { tcp: { host: '127.0.0.1', port: 0, proxyProtocol }, ws: { enabled: false } },
        admin: { enabled: true, host: '127.0.0.1', port: 0 },
      },
      { info() {}, warn: (m) => m.includes('listener') && warnings.push(m) },
    );
    try {
      await fn(s, warnings);
    } finally {
      await s.stop();
    }
  }

  it("on: v1 and v2 headers (also split across writes) give the client list the clients' own addresses", () =>
    withServer(true, async (s) => {
      const a = await rawSend(s.tcpPort!, [
        Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 4242 1883\r\n'),
        connect('pp-v1'),
      ]);
      const h2 = v2(1, 0x11, v4Body('198.51.100.9', '10.0.0.1', 50000, 1883));
      const b = await rawSend(s.tcpPort!, [
        h2.subarray(0, 10),
        Buffer.concat([h2.subarray(10), connect('pp-v2')]),
      ]);
      const c = await rawSend(s.tcpPort!, [Buffer.concat([v2(0, 0, Buffer.alloc(0)), connect('pp-local')])]);
      await waitUntil(() => s.broker.stats.connectedCount === 3, 3000, 'three clients connected');
      for (const r of [a, b, c]) expect(r.got[0]).toBe(0x20); // CONNACK
      const byId = await remotes(s.adminPort!);
      expect(byId['pp-v1']).toBe('203.0.113.7:4242');
      expect(byId['pp-v2']).toBe('198.51.100.9:50000');
      expect(byId['pp-local']).toBe(`127.0.0.1:${c.socket.localPort}`); // LOCAL: the socket's own peer
      for (const r of [a, b, c]) r.socket.destroy();
    }));

  it('on: malformed or missing headers close that connection with one log line; the broker carries on', () =>
    withServer(true, async (s, warnings) => {
      const bad = [
        Buffer.from('PROXY TCP4 1.2.3.999 5.6.7.8 1 2\r\n'),
        connect('direct'),
        v2(1, 0x11, Buffer.alloc(3)),
        Buffer.from('PROXY ' + 'x'.repeat(200)),
      ];
      for (const b of bad) {
        const r = await rawSend(s.tcpPort!, [b]);
        await r.closed;
        expect(r.got.length).toBe(0);
      }
      expect(warnings).toHaveLength(bad.length);
      for (const w of warnings) {
        expect(w).toMatch(/^tcp listener: connection from 127\.0\.0\.1:\d+ closed: /);
        expect(w).not.toContain('\n');
      }
      expect(warnings.join('\n')).toMatch(
        /bad PROXY v1 source address[\s\S]*no PROXY protocol header[\s\S]*IPv4 addresses need 12 bytes[\s\S]*longer than 107/,
      );
      const ok = await rawSend(s.tcpPort!, [
        Buffer.from('PROXY TCP4 192.0.2.1 10.0.0.1 1000 1883\r\n'),
        connect('after'),
      ]);
      await waitUntil(() => ok.got.length > 0, 3000, 'CONNACK');
      expect((await remotes(s.adminPort!)).after).toBe('192.0.2.1:1000');
      ok.socket.destroy();
    }));

  it('optional: direct MQTT clients and headed ones both connect', () =>
    withServer('optional', async (s) => {
      const direct = await mqtt.connectAsync({
        host: '127.0.0.1',
        port: s.tcpPort!,
        clientId: 'direct',
        reconnectPeriod: 0,
      });
      const headed = await rawSend(s.tcpPort!, [
        Buffer.concat([Buffer.from('PROXY TCP4 192.0.2.55 10.0.0.1 7 1883\r\n'), connect('headed')]),
      ]);
      await waitUntil(() => s.broker.stats.connectedCount === 2, 3000, 'two clients');
      const byId = await remotes(s.adminPort!);
      expect(byId.direct).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(byId.headed).toBe('192.0.2.55:7');
      await direct.endAsync();
      headed.socket.destroy();
    }));
});

const haproxy = findHaproxy();

describe.skipIf(!haproxy)(
  'real HAProxy with the generated config (send-proxy-v2) (skipped when haproxy is not installed: apt-get install haproxy)',
  () => {
    it('a client behind the balancer appears with its own address and port in the admin client list', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-pp-'));
      const node = await startServer(
        {
          node: 'p1',
          sysInterval: 0,
          listeners: { tcp: { host: '127.0.0.1', port: 0, proxyProtocol: true }, ws: { enabled: false } },
          admin: { enabled: true, host: '127.0.0.1', port: 0 },
        },
        { info() {}, warn() {} },
      );
      const [port, statsPort] = await freePorts(2);
      const config: LbConfig = {
        name: 'lb_pp',
        bindPort: port,
        statsPort,
        mode: 'round-robin',
        checkIntervalMs: 100,
        rise: 1,
        fall: 2,
        shutdownSessionsOnDown: false,
        proxyProtocol: true,
        backends: [{ name: 'p1', port: node.tcpPort!, adminPort: node.adminPort! }],
      };
      const lb = new HaproxyProcess(haproxy!, path.join(dir, 'lb.cfg'), config);
      try {
        await lb.start();
        expect(fs.readFileSync(lb.configFile, 'utf8')).toMatch(/send-proxy-v2/);
        const end = Date.now() + 10_000;
        while (!(await lb.states())?.get('p1')) {
          if (Date.now() > end) throw new Error(`backend never up: ${lb.out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const c = await mqtt.connectAsync({
          host: '127.0.0.1',
          port,
          clientId: 'behind-lb',
          reconnectPeriod: 0,
          connectTimeout: 5000,
        });
        const local = (c.stream as net.Socket).localPort;
        await waitUntil(
          () => node.broker.sessions.get('behind-lb')?.conn != null,
          3000,
          'client on the node',
        );
        const byId = await remotes(node.adminPort!);
        // HAProxy's own connection to the node comes from another port: this is the client's.
        expect(byId['behind-lb']).toBe(`127.0.0.1:${local}`);
        await c.endAsync();
      } finally {
        await lb.stop();
        await node.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
