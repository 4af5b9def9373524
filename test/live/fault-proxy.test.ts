// The live runner's fault proxy with plain loopback sockets: what passes,
// what is held and delivered later in order, what a cut does to new
// connections, the TCP user timeout, resets, and reading the dialing node's
// name from a real cluster Hello frame.

import net from 'node:net';
import { describe, it, expect, afterEach } from 'vitest';
import { FaultProxy, helloNode } from '../../sim/live/fault-proxy.ts';
import { encodeJson, F } from '../../core/cluster/peer-protocol.ts';
import { waitUntil, sleep } from '../helpers/runtime.ts';

/** Test dialers name themselves with a first line "name\n". */
const byLine = (b: Buffer) => {
  const i = b.indexOf(0x0a);
  return i < 0 ? undefined : b.toString('utf8', 0, i);
};

interface Far {
  server: net.Server;
  port: number;
  conns: { sock: net.Socket; data: string; closed: boolean }[];
}

/** The "far node": records what each accepted connection receives. */
async function far(): Promise<Far> {
  const f: Far = { server: net.createServer(), port: 0, conns: [] };
  f.server.on('connection', (sock) => {
    const c = { sock, data: '', closed: false };
    f.conns.push(c);
    sock.on('data', (b) => (c.data += b.toString()));
    sock.on('close', () => (c.closed = true));
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', () => r()));
  f.port = (f.server.address() as net.AddressInfo).port;
  return f;
}

interface Dialer {
  sock: net.Socket;
  data: string;
  closed: boolean;
  error: string | null;
}

function dial(port: number, name: string): Dialer {
  const sock = net.connect(port, '127.0.0.1');
  const d: Dialer = { sock, data: '', closed: false, error: null };
  sock.on('data', (b) => (d.data += b.toString()));
  sock.on('close', () => (d.closed = true));
  sock.on('error', (e: NodeJS.ErrnoException) => (d.error = e.code ?? e.message));
  sock.write(`${name}\n`);
  return d;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function setup(opts: { userTimeoutMs?: number; connectTimeoutMs?: number } = {}) {
  const b = await far();
  const proxy = new FaultProxy({ identify: byLine, ...opts });
  const port = await proxy.front('b', b.port);
  cleanup.push(
    () => proxy.close(),
    () =>
      new Promise<void>((r) => {
        for (const c of b.conns) c.sock.destroy();
        b.server.close(() => r());
      }),
  );
  return { b, proxy, port };
}

describe('fault proxy', () => {
  it("passes bytes both ways while open, the dialer's name line included", async () => {
    const { b, port } = await setup();
    const a = dial(port, 'a');
    cleanup.push(() => void a.sock.destroy());
    a.sock.write('ping');
    await waitUntil(() => b.conns[0]?.data === 'a\nping', 2000, 'upstream data');
    b.conns[0].sock.write('pong');
    await waitUntil(() => a.data === 'pong', 2000, 'downstream data');
  });

  it('a cut holds bytes in both directions; heal delivers them in order; nothing is lost or reordered', async () => {
    const { b, proxy, port } = await setup();
    const a = dial(port, 'a');
    cleanup.push(() => void a.sock.destroy());
    await waitUntil(() => b.conns.length === 1 && b.conns[0].data === 'a\n', 2000, 'connection');
    proxy.set('a', 'b', 'cut');
    for (let i = 0; i < 5; i++) a.sock.write(`u${i};`);
    b.conns[0].sock.write('d0;d1;');
    await sleep(150);
    expect(b.conns[0].data).toBe('a\n');
    expect(a.data).toBe('');
    expect(a.closed).toBe(false);
    proxy.heal();
    await waitUntil(
      () => b.conns[0].data === 'a\nu0;u1;u2;u3;u4;' && a.data === 'd0;d1;',
      2000,
      'held bytes after heal',
    );
  });

  it('a one-way cut a>b holds only what a sends; b to a flows', async () => {
    const { b, proxy, port } = await setup();
    const a = dial(port, 'a');
    cleanup.push(() => void a.sock.destroy());
    await waitUntil(() => b.conns[0]?.data === 'a\n', 2000, 'connection');
    proxy.set('a', 'b', 'cut', true);
    expect(proxy.state('a', 'b')).toBe('cut');
    expect(proxy.state('b', 'a')).toBe('open');
    a.sock.write('up');
    b.conns[0].sock.write('down');
    await waitUntil(() => a.data === 'down', 2000, 'b to a');
    await sleep(100);
    expect(b.conns[0].data).toBe('a\n');
    proxy.set('a', 'b', 'open', true);
    await waitUntil(() => b.conns[0].data === 'a\nup', 2000, 'a to b after repair');
  });

  it('a new connection across a cut never reaches the far side and is dropped after the connect timeout', async () => {
    const { b, proxy, port } = await setup({ connectTimeoutMs: 300 });
    proxy.set('a', 'b', 'cut');
    const a = dial(port, 'a');
    cleanup.push(() => void a.sock.destroy());
    await sleep(150);
    expect(b.conns.length).toBe(0);
    expect(a.closed).toBe(false); // a blackholed handshake: no answer, no refusal
    await waitUntil(() => a.closed, 3000, 'dialer dropped after the connect timeout');
    expect(b.conns.length).toBe(0);
    expect(proxy.stats.connectTimeouts).toBe(1);
  });

  it('a connection waiting across a cut goes through when healed in time', async () => {
    const { b, proxy, port } = await setup({ connectTimeoutMs: 5000 });
    proxy.set('b', 'a', 'cut', true); // only the answer path: still no handshake
    const a = dial(port, 'a');
    cleanup.push(() => void a.sock.destroy());
    a.sock.write('early');
    await sleep(100);
    expect(b.conns.length).toBe(0);
    proxy.heal();
    await waitUntil(() => b.conns[0]?.data === 'a\nearly', 2000, 'connection after heal');
  });

  it('bytes held across a cut longer than the user timeout reset the connection on both sides', async () => {
    const { b, proxy, port } = await setup({ userTimeoutMs: 300 });
    const a = dial(port, 'a');
    cleanup.push(() => void a.sock.destroy());
    await waitUntil(() => b.conns[0]?.data === 'a\n', 2000, 'connection');
    proxy.set('a', 'b', 'cut');
    await sleep(400); // an idle connection across a cut is not timed out: nothing is unacknowledged
    expect(a.closed).toBe(false);
    a.sock.write('lost');
    await waitUntil(() => a.closed && b.conns[0].closed, 3000, 'both sides closed by the user timeout');
    expect(b.conns[0].data).toBe('a\n');
    expect(proxy.stats.userTimeouts).toBe(1);
  });

  it('hold (clog) delays bytes without a timeout; new connections still open; unclog delivers in order', async () => {
    const { b, proxy, port } = await setup({ userTimeoutMs: 200 });
    const a = dial(port, 'a');
    cleanup.push(() => void a.sock.destroy());
    await waitUntil(() => b.conns[0]?.data === 'a\n', 2000, 'connection');
    proxy.set('a', 'b', 'hold');
    a.sock.write('x1;');
    a.sock.write('x2;');
    const a2 = dial(port, 'a');
    cleanup.push(() => void a2.sock.destroy());
    await waitUntil(() => b.conns.length === 2, 2000, 'second connection opened through the clog');
    await sleep(400);
    expect(a.closed).toBe(false);
    expect(b.conns[0].data).toBe('a\n');
    proxy.unclog();
    await waitUntil(
      () => b.conns[0].data === 'a\nx1;x2;' && b.conns[1].data === 'a\n',
      2000,
      'held bytes after unclog',
    );
  });

  it('a cut outranks a clog on the same pair; unclog leaves the cut', async () => {
    const { proxy } = await setup();
    proxy.set('a', 'b', 'cut');
    proxy.set('a', 'b', 'hold');
    expect(proxy.state('a', 'b')).toBe('cut');
    proxy.unclog();
    expect(proxy.state('a', 'b')).toBe('cut');
    proxy.set('c', 'b', 'hold');
    proxy.unclog();
    expect(proxy.state('c', 'b')).toBe('open');
  });

  it('closes: a FIN crosses when open; reset() aborts every connection between two nodes', async () => {
    const { b, proxy, port } = await setup();
    const a = dial(port, 'a');
    const c = dial(port, 'c');
    cleanup.push(
      () => void a.sock.destroy(),
      () => void c.sock.destroy(),
    );
    await waitUntil(
      () => b.conns.length === 2 && b.conns.every((x) => x.data.endsWith('\n')),
      2000,
      'two connections',
    );
    a.sock.end();
    const ofA = b.conns.find((x) => x.data === 'a\n')!;
    const ofC = b.conns.find((x) => x.data === 'c\n')!;
    await waitUntil(() => ofA.closed || ofA.sock.readableEnded, 2000, "a's FIN at b");
    expect(proxy.reset('c', 'b')).toBe(1);
    await waitUntil(() => c.closed && ofC.closed, 2000, 'reset of c<->b');
  });

  it('a refused upstream (the far node is down) closes the dialer', async () => {
    const { b, port } = await setup();
    await new Promise<void>((r) => b.server.close(() => r()));
    const a = dial(port, 'a');
    cleanup.push(() => void a.sock.destroy());
    await waitUntil(() => a.closed, 2000, 'dialer closed');
  });

  it('reads the dialing node from a cluster Hello frame, split anywhere', () => {
    const hello = encodeJson(F.Hello, { v: 1, node: 'n2', address: '127.0.0.1:4371', nonce: 'ab', inc: 'x' });
    for (let cut = 0; cut < hello.length; cut++) expect(helloNode(hello.subarray(0, cut))).toBeUndefined();
    expect(helloNode(hello)).toBe('n2');
    expect(helloNode(Buffer.concat([hello, Buffer.from('more')]))).toBe('n2');
    expect(helloNode(encodeJson(F.Auth, { mac: 'x' }))).toBeNull();
    expect(helloNode(Buffer.from([0, 0, 0, 3, 1, 0x7b, 0x7d]))).toBeNull(); // {} names no node
  });
});
