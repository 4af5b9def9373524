// Keep alive supervision, PINGREQ/PINGRESP, the CONNECT timeout and a
// graceful server stop, over real TCP.

import net from 'node:net';
import { describe, it, expect } from 'vitest';
import type { IDisconnectPacket } from 'mqtt-packet';
import { isolated, VERSIONS, sleep, waitUntil } from '../helpers/runtime.ts';

// Every test waits on real timers: run them concurrently, each with its own broker.

describe.concurrent.each(VERSIONS)('keep alive, protocol version %i', (protocolVersion) => {
  it(
    'a client silent for 1.5 x keep alive is disconnected',
    isolated(async (rt) => {
      const srv = await rt.server();
      const bystander = await rt.client(srv, { protocolVersion });
      const r = await rt.raw(srv, protocolVersion);
      await r.connect({ keepalive: 1 });
      const t0 = Date.now();
      await sleep(900);
      expect(r.closed).toBe(false); // not before the grace period
      await r.waitClosed(3000);
      const elapsed = r.closedAt - t0;
      expect(elapsed).toBeGreaterThanOrEqual(1300);
      expect(elapsed).toBeLessThan(2600);
      if (protocolVersion === 5) {
        const d = r.of<IDisconnectPacket>('disconnect');
        expect(d).toHaveLength(1);
        expect(d[0].reasonCode).toBe(0x8d);
      } else {
        expect(r.of('disconnect')).toHaveLength(0);
      }
      expect(srv.broker.stats.closedByReason['0x8d']).toBe(1);
      expect(bystander.isClosed()).toBe(false);
    }),
  );

  it(
    'PINGREQ keeps the connection alive and is answered with PINGRESP',
    isolated(async (rt) => {
      const srv = await rt.server();
      const r = await rt.raw(srv, protocolVersion);
      await r.connect({ keepalive: 1 });
      for (let i = 0; i < 5; i++) {
        await sleep(500);
        r.send({ cmd: 'pingreq' });
      }
      await waitUntil(() => r.of('pingresp').length === 5, 1000, '5 PINGRESP');
      expect(r.closed).toBe(false);
    }),
  );

  it(
    'mqtt.js with keepalive 1 stays connected and gets PINGRESPs',
    isolated(async (rt) => {
      const srv = await rt.server();
      const c = await rt.client(srv, { protocolVersion, keepalive: 1 });
      await sleep(2200);
      expect(c.isClosed()).toBe(false);
      expect(c.packetsIn.filter((p) => p.cmd === 'pingresp').length).toBeGreaterThanOrEqual(1);
    }),
  );

  it(
    'keep alive 0 disables supervision',
    isolated(async (rt) => {
      const srv = await rt.server();
      const r = await rt.raw(srv, protocolVersion);
      await r.connect({ keepalive: 0 });
      await sleep(1700);
      expect(r.closed).toBe(false);
    }),
  );
});

describe.concurrent('CONNECT timeout', () => {
  it(
    'a socket that never sends CONNECT is closed after connectTimeoutMs',
    isolated(async (rt) => {
      const srv = await rt.server({ connectTimeoutMs: 300 });
      const bystander = await rt.client(srv, { protocolVersion: 5 });
      const r = await rt.raw(srv, 4);
      const t0 = Date.now();
      await r.waitClosed(2000);
      expect(r.closedAt - t0).toBeGreaterThanOrEqual(200);
      expect(r.closedAt - t0).toBeLessThan(1500);
      expect(r.packets).toHaveLength(0);
      expect(bystander.isClosed()).toBe(false);
      expect(srv.broker.connections.size).toBe(1);
    }),
  );

  it(
    'a socket that sends half a CONNECT is closed after connectTimeoutMs',
    isolated(async (rt) => {
      const srv = await rt.server({ connectTimeoutMs: 300 });
      const r = await rt.raw(srv, 4);
      r.write(Buffer.from([0x10, 0x20, 0x00, 0x04, 0x4d])); // header + start of "MQTT"
      await r.waitClosed(2000);
      expect(r.packets).toHaveLength(0);
    }),
  );

  it(
    'a socket that connects in time is not affected by the CONNECT timeout',
    isolated(async (rt) => {
      const srv = await rt.server({ connectTimeoutMs: 300 });
      const r = await rt.raw(srv, 4);
      await r.connect({ keepalive: 0 });
      await sleep(600);
      expect(r.closed).toBe(false);
    }),
  );
});

describe('server stop', () => {
  it(
    'v5 clients get DISCONNECT 0x8B (server shutting down); v3.1.1 clients are closed',
    isolated(async (rt) => {
      const srv = await rt.server();
      const v5 = await rt.client(srv, { protocolVersion: 5 });
      const v4 = await rt.client(srv, { protocolVersion: 4 });
      await srv.stop();
      await waitUntil(() => v5.isClosed() && v4.isClosed(), 2000, 'both to close');
      expect(v5.disconnects.map((d) => d.reasonCode)).toEqual([0x8b]);
      // The listening port is released.
      const refused = await new Promise<boolean>((r) => {
        const s = net.connect(srv.tcpPort!, '127.0.0.1');
        s.once('connect', () => (s.destroy(), r(false)));
        s.once('error', () => r(true));
      });
      expect(refused).toBe(true);
    }),
  );
});
