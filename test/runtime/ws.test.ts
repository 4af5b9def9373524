// MQTT over WebSocket (ws://127.0.0.1:<wsPort>/mqtt) with mqtt.js.

import http from 'node:http';
import { describe, it, expect } from 'vitest';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { Packet, IDisconnectPacket } from 'mqtt-packet';
import { WebSocket } from 'ws';
import { useRuntime, VERSIONS, sleep, waitUntil } from '../helpers/runtime.ts';

const rt = useRuntime();

describe.each(VERSIONS)('MQTT over WebSocket, protocol version %i', (protocolVersion) => {
  it('QoS 0/1/2 round trip between two WebSocket clients', async () => {
    const srv = await rt.server();
    expect(srv.wsPort).toBeGreaterThan(0);
    const sub = await rt.client(srv, { protocolVersion, transport: 'ws' });
    const pub = await rt.client(srv, { protocolVersion, transport: 'ws' });
    await sub.subscribeAsync('ws/t', { qos: 2 });
    for (const qos of [0, 1, 2] as const) await pub.publishAsync('ws/t', `q${qos}`, { qos });
    await sub.inbox.waitFor(3);
    expect(sub.inbox.messages.map((m) => [m.payload.toString(), m.packet.qos])).toEqual([
      ['q0', 0],
      ['q1', 1],
      ['q2', 2],
    ]);
  });

  it('WebSocket and TCP clients interoperate both ways', async () => {
    const srv = await rt.server();
    const wsc = await rt.client(srv, { protocolVersion, transport: 'ws' });
    const tcp = await rt.client(srv, { protocolVersion });
    await wsc.subscribeAsync('mix/to-ws', { qos: 1 });
    await tcp.subscribeAsync('mix/to-tcp', { qos: 1 });
    await tcp.publishAsync('mix/to-ws', 'from tcp', { qos: 1 });
    await wsc.publishAsync('mix/to-tcp', 'from ws', { qos: 1 });
    expect((await wsc.inbox.waitFor(1))[0].payload.toString()).toBe('from tcp');
    expect((await tcp.inbox.waitFor(1))[0].payload.toString()).toBe('from ws');
  });

  it('a large (200 KiB) message crosses the WebSocket intact', async () => {
    const srv = await rt.server();
    const sub = await rt.client(srv, { protocolVersion, transport: 'ws' });
    const pub = await rt.client(srv, { protocolVersion, transport: 'ws' });
    await sub.subscribeAsync('ws/big', { qos: 1 });
    const big = Buffer.alloc(200 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    await pub.publishAsync('ws/big', big, { qos: 1 });
    const [m] = await sub.inbox.waitFor(1);
    expect(m.payload.equals(big)).toBe(true);
  });

  it('the will is published when the WebSocket client drops', async () => {
    const srv = await rt.server();
    const watcher = await rt.client(srv, { protocolVersion, transport: 'ws' });
    await watcher.subscribeAsync('ws/will', { qos: 1 });
    const c = await rt.client(srv, {
      protocolVersion,
      transport: 'ws',
      will: { topic: 'ws/will', payload: Buffer.from('ws gone'), qos: 1, retain: false },
    });
    c.stream.destroy();
    const [m] = await watcher.inbox.waitFor(1);
    expect(m.payload.toString()).toBe('ws gone');
  });

  it('a persistent session resumes over WebSocket', async () => {
    const srv = await rt.server();
    const clientId = `ws-ps-${protocolVersion}`;
    const opts = {
      protocolVersion,
      transport: 'ws' as const,
      clientId,
      clean: false,
      properties: protocolVersion === 5 ? { sessionExpiryInterval: 30 } : undefined,
    };
    const a = await rt.client(srv, opts);
    await a.subscribeAsync('ws/ps', { qos: 1 });
    await a.endAsync();
    await waitUntil(() => srv.broker.sessions.get(clientId)?.conn === null, 2000, 'offline');
    const pub = await rt.client(srv, { protocolVersion });
    await pub.publishAsync('ws/ps', 'queued', { qos: 1 });
    const b = await rt.client(srv, opts);
    expect(b.connack.sessionPresent).toBe(true);
    expect((await b.inbox.waitFor(1))[0].payload.toString()).toBe('queued');
  });
});

describe('WebSocket listener', () => {
  it('plain HTTP on the WebSocket port gets 426 Upgrade Required', async () => {
    const srv = await rt.server();
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: srv.wsPort, path: '/mqtt' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    expect(status).toBe(426);
  });

  it('a WebSocket on another path is refused', async () => {
    const srv = await rt.server();
    const c = mqtt.connect(`ws://127.0.0.1:${srv.wsPort}/not-mqtt`, {
      reconnectPeriod: 0,
      connectTimeout: 2000,
    });
    const outcome = await new Promise<string>((r) => {
      c.once('connect', () => r('connected'));
      c.once('error', () => r('error'));
      c.once('close', () => r('closed'));
    });
    c.end(true);
    expect(outcome).not.toBe('connected');
    await sleep(50);
    expect(srv.broker.connections.size).toBe(0);
  });

  it('the WebSocket listener can be disabled', async () => {
    const srv = await rt.server({
      listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
    });
    expect(srv.wsPort).toBeUndefined();
    const c = await rt.client(srv, { protocolVersion: 4 });
    expect(c.connack.returnCode).toBe(0);
  });

  it('v5 over WebSocket: a PUBLISH above maxPacketSize gets DISCONNECT 0x95, like over TCP', async () => {
    const srv = await rt.server({ limits: { maxPacketSize: 1024 } });
    const c = await rt.client(srv, { protocolVersion: 5, transport: 'ws' });
    expect(c.connack.properties?.maximumPacketSize).toBe(1024);
    c.publish('ws/big', Buffer.alloc(4000, 1), { qos: 0 });
    await waitUntil(() => c.isClosed(), 3000, 'close');
    expect(c.disconnects.map((d) => d.reasonCode)).toEqual([0x95]);
  });

  it('v5 WebSocket clients get DISCONNECT 0x8B when the server stops', async () => {
    const srv = await rt.server();
    const c = await rt.client(srv, { protocolVersion: 5, transport: 'ws' });
    await srv.stop();
    await waitUntil(() => c.isClosed(), 3000, 'close');
    expect(c.disconnects.map((d) => d.reasonCode)).toEqual([0x8b]);
  });

  it('a WebSocket connection can take over a TCP session and vice versa', async () => {
    const srv = await rt.server();
    const clientId = 'ws-tcp-takeover';
    const tcp = await rt.client(srv, { protocolVersion: 5, clientId });
    const ws = await rt.client(srv, { protocolVersion: 5, clientId, transport: 'ws' });
    await waitUntil(() => tcp.disconnects.length === 1, 2000, 'TCP client DISCONNECT');
    expect(tcp.disconnects[0].reasonCode).toBe(0x8e);
    const tcp2 = await rt.client(srv, { protocolVersion: 5, clientId });
    await waitUntil(() => ws.disconnects.length === 1, 2000, 'WS client DISCONNECT');
    expect(ws.disconnects[0].reasonCode).toBe(0x8e);
    await waitUntil(() => ws.isClosed(), 2000, 'WS close');
    expect(tcp2.isClosed()).toBe(false);
    expect(srv.broker.connectedCount).toBe(1);
  });

  it('v5 over WebSocket: an oversized PUBLISH sent as a single WebSocket frame also gets DISCONNECT 0x95', async () => {
    const srv = await rt.server({ limits: { maxPacketSize: 1024 } });
    const bystander = await rt.client(srv, { protocolVersion: 5 });
    const ws = new WebSocket(`ws://127.0.0.1:${srv.wsPort}/mqtt`, 'mqtt');
    const got: Packet[] = [];
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (p: Packet) => got.push(p));
    let closed = false;
    ws.on('message', (d: Buffer) => parser.parse(d));
    ws.on('close', () => (closed = true));
    ws.on('error', () => {});
    await new Promise((r) => ws.once('open', r));
    try {
      ws.send(
        mqttPacket.generate(
          {
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 5,
            clean: true,
            keepalive: 0,
            clientId: 'ws-one-frame',
          },
          { protocolVersion: 5 },
        ),
      );
      await waitUntil(() => got.some((p) => p.cmd === 'connack'), 2000, 'CONNACK');
      const big = mqttPacket.generate(
        {
          cmd: 'publish',
          topic: 'ws/one',
          payload: Buffer.alloc(4000, 1),
          qos: 0,
          retain: false,
          dup: false,
        },
        { protocolVersion: 5 },
      );
      ws.send(big); // one frame, larger than the listener's maxPayload
      await waitUntil(() => closed, 3000, 'close');
      expect(
        got.filter((p) => p.cmd === 'disconnect').map((p) => (p as IDisconnectPacket).reasonCode),
      ).toEqual([0x95]);
      expect(bystander.isClosed()).toBe(false);
    } finally {
      ws.terminate();
    }
  });
});
