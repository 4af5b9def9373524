// Shared setup for the runtime integration tests: start real servers on
// loopback (free ports), connect real mqtt.js clients or raw sockets, wait for
// what they receive with a bound on time, and always clean everything up.

import net from 'node:net';
import mqtt from 'mqtt';
import type { MqttClient, IClientOptions } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { Packet, IPublishPacket, IConnackPacket, IDisconnectPacket, IConnectPacket } from 'mqtt-packet';
import { afterEach } from 'vitest';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import type { Logger } from '../../core/env.ts';

export type { RunningServer };

export const silentLog: Logger = { info() {}, warn() {} };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms until it is true; rejects after `timeoutMs`. */
export async function waitUntil(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export interface Received {
  topic: string;
  payload: Buffer;
  packet: IPublishPacket;
  at: number;
}

/** Every application message a client received, in order. */
export class Inbox {
  readonly messages: Received[] = [];

  push(topic: string, payload: Buffer, packet: IPublishPacket): void {
    this.messages.push({ topic, payload, packet, at: Date.now() });
  }

  get length(): number {
    return this.messages.length;
  }

  /** Resolves once at least `n` messages arrived (optionally only those matching `filter`). */
  async waitFor(n: number, timeoutMs = 3000, filter?: (m: Received) => boolean): Promise<Received[]> {
    const pick = () => (filter ? this.messages.filter(filter) : this.messages);
    await waitUntil(() => pick().length >= n, timeoutMs, `${n} message(s) (got ${pick().length})`);
    return pick().slice();
  }

  payloads(): string[] {
    return this.messages.map((m) => m.payload.toString());
  }

  topics(): string[] {
    return this.messages.map((m) => m.topic);
  }
}

export type TestClient = MqttClient & {
  inbox: Inbox;
  /** Every packet the client received from the broker. */
  packetsIn: Packet[];
  connack: IConnackPacket;
  /** DISCONNECT packets sent by the broker (v5). */
  disconnects: IDisconnectPacket[];
  /** True once the transport closed. */
  isClosed: () => boolean;
  whenClosed: Promise<void>;
};

export interface ConnectFailure {
  error: Error & { code?: number };
  code: number | undefined;
  packetsIn: Packet[];
}

const DEFAULT_LISTENERS = {
  tcp: { host: '127.0.0.1', port: 0 },
  ws: { host: '127.0.0.1', port: 0, path: '/mqtt' },
};

let idSeq = 0;
export const uniqueId = (prefix = 'c'): string => `${prefix}-${process.pid}-${++idSeq}`;

/**
 * Registers an afterEach that ends every client, socket and server created
 * through the returned functions during the test. Not for concurrent tests:
 * use `isolated` there.
 */
export function useRuntime() {
  const h = createRuntime();
  afterEach(() => h.cleanup());
  return h;
}

/** Wraps a test body with its own harness, cleaned up when it ends (safe for it.concurrent). */
export function isolated(fn: (rt: Runtime) => Promise<void>): () => Promise<void> {
  return async () => {
    const h = createRuntime();
    try {
      await fn(h);
    } finally {
      await h.cleanup();
    }
  };
}

export type Runtime = ReturnType<typeof createRuntime>;

export function createRuntime() {
  const servers: RunningServer[] = [];
  const clients: MqttClient[] = [];
  const sockets: net.Socket[] = [];

  async function cleanup(): Promise<void> {
    const cs = clients.splice(0);
    const ss = sockets.splice(0);
    const svs = servers.splice(0);
    await Promise.all(
      cs.map(
        (c) =>
          new Promise<void>((r) => {
            const t = setTimeout(r, 500);
            c.end(true, {}, () => {
              clearTimeout(t);
              r();
            });
          }),
      ),
    );
    for (const s of ss) s.destroy();
    await Promise.all(svs.map((s) => Promise.race([s.stop(), sleep(3000)])));
  }

  async function server(overrides: Record<string, unknown> = {}): Promise<RunningServer> {
    const s = await startServer({ listeners: DEFAULT_LISTENERS, sysInterval: 0, ...overrides }, silentLog);
    servers.push(s);
    return s;
  }

  /** Creates an mqtt.js client with an inbox attached before any packet can arrive. */
  function make(srv: RunningServer, opts: IClientOptions & { transport?: 'tcp' | 'ws' } = {}): TestClient {
    const { transport = 'tcp', ...rest } = opts;
    const url = transport === 'ws' ? `ws://127.0.0.1:${srv.wsPort}/mqtt` : `mqtt://127.0.0.1:${srv.tcpPort}`;
    const c = mqtt.connect(url, {
      reconnectPeriod: 0,
      connectTimeout: 10_000, // generous: scrypt checks and a loaded machine
      clientId: rest.clientId ?? uniqueId(),
      ...rest,
    }) as TestClient;
    clients.push(c);
    c.inbox = new Inbox();
    c.packetsIn = [];
    c.disconnects = [];
    let closed = false;
    c.isClosed = () => closed;
    c.whenClosed = new Promise<void>((r) =>
      c.on('close', () => {
        closed = true;
        r();
      }),
    );
    c.on('message', (topic, payload, packet) => c.inbox.push(topic, payload, packet));
    c.on('packetreceive', (p) => c.packetsIn.push(p));
    c.on('disconnect', (p) => c.disconnects.push(p));
    c.on('error', () => {}); // asserted through connect()/tryConnect() or packets
    return c;
  }

  /** Connects and resolves on CONNACK success; rejects on refusal or close. */
  function client(
    srv: RunningServer,
    opts: IClientOptions & { transport?: 'tcp' | 'ws' } = {},
  ): Promise<TestClient> {
    const c = make(srv, opts);
    return new Promise((resolve, reject) => {
      const onConnect = (ack: IConnackPacket) => {
        off();
        c.connack = ack;
        resolve(c);
      };
      const onError = (e: Error) => {
        off();
        reject(e);
      };
      const onClose = () => {
        off();
        reject(new Error('closed before CONNACK'));
      };
      const off = () => {
        c.off('connect', onConnect);
        c.off('error', onError);
        c.off('close', onClose);
      };
      c.on('connect', onConnect);
      c.on('error', onError);
      c.on('close', onClose);
    });
  }

  /** Connects expecting a refusal; resolves with the error and its CONNACK code. */
  async function tryConnect(
    srv: RunningServer,
    opts: IClientOptions = {},
  ): Promise<{ client: TestClient } | ConnectFailure> {
    const c = make(srv, opts);
    return new Promise((resolve) => {
      c.once('connect', (ack) => {
        c.connack = ack;
        resolve({ client: c });
      });
      c.once('error', (e: Error & { code?: number }) =>
        resolve({ error: e, code: e.code, packetsIn: c.packetsIn }),
      );
      c.once('close', () => resolve({ error: new Error('closed'), code: undefined, packetsIn: c.packetsIn }));
    });
  }

  /** A raw TCP socket speaking MQTT through mqtt-packet. */
  async function raw(srv: RunningServer, protocolVersion: 4 | 5 = 4): Promise<RawClient> {
    const r = new RawClient(protocolVersion);
    sockets.push(r.socket);
    await r.open(srv.tcpPort!);
    return r;
  }

  return { server, client, tryConnect, raw, make, cleanup };
}

export class RawClient {
  readonly socket = new net.Socket();
  readonly packets: Packet[] = [];
  parseErrors: string[] = [];
  closed = false;
  closedAt = 0;
  readonly whenClosed: Promise<void>;
  private parser: ReturnType<typeof mqttPacket.parser>;

  constructor(readonly protocolVersion: 4 | 5) {
    this.parser = mqttPacket.parser({ protocolVersion });
    this.parser.on('packet', (p: Packet) => this.packets.push(p));
    this.parser.on('error', (e: Error) => this.parseErrors.push(e.message));
    this.socket.on('data', (b) => this.parser.parse(b));
    this.socket.on('error', () => {});
    this.whenClosed = new Promise((r) =>
      this.socket.on('close', () => {
        this.closed = true;
        this.closedAt = Date.now();
        r();
      }),
    );
  }

  open(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.connect(port, '127.0.0.1', () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
  }

  send(p: Packet): void {
    this.write(mqttPacket.generate(p, { protocolVersion: this.protocolVersion }));
  }

  write(b: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(b);
  }

  /** Sends CONNECT and waits for the CONNACK. */
  async connect(opts: Partial<IConnectPacket> = {}): Promise<IConnackPacket> {
    this.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: this.protocolVersion,
      clean: true,
      keepalive: 0,
      clientId: uniqueId('raw'),
      ...opts,
    } as IConnectPacket);
    return (await this.waitFor('connack')) as IConnackPacket;
  }

  of<T extends Packet = Packet>(cmd: Packet['cmd']): T[] {
    return this.packets.filter((p) => p.cmd === cmd) as T[];
  }

  /** First received packet of `cmd` (matching `pred`), waiting up to `timeoutMs`. */
  async waitFor<T extends Packet = Packet>(
    cmd: Packet['cmd'],
    pred: (p: T) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<T> {
    let found: T | undefined;
    await waitUntil(
      () => (found = this.packets.find((p) => p.cmd === cmd && pred(p as T)) as T | undefined) !== undefined,
      timeoutMs,
      `a ${cmd} packet`,
    );
    return found!;
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    await waitUntil(() => this.closed, timeoutMs, 'the broker to close the socket');
  }
}

/** Sends a raw PUBLISH without going through mqtt.js validation. */
export function publishPacket(
  topic: string,
  payload: string | Buffer,
  qos: 0 | 1 | 2 = 0,
  messageId?: number,
  extra: Partial<IPublishPacket> = {},
): IPublishPacket {
  return {
    cmd: 'publish',
    topic,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    qos,
    retain: false,
    dup: false,
    messageId,
    ...extra,
  };
}

/**
 * Encodes a CONNECT with mqtt-packet, then patches the protocol level and/or
 * connect flags, for packets mqtt-packet refuses to generate. Assumes a
 * one-byte Remaining Length (packet under 128 bytes).
 */
export function patchedConnect(
  p: Partial<IConnectPacket>,
  patch: { level?: number; flags?: (f: number) => number },
): Buffer {
  const b = Buffer.from(
    mqttPacket.generate(
      {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 0,
        clientId: 'x',
        ...p,
      } as IConnectPacket,
      {
        protocolVersion: p.protocolVersion ?? 4,
      },
    ),
  );
  if (b[1] & 0x80) throw new Error('patchedConnect: packet too long');
  if (patch.level !== undefined) b[8] = patch.level;
  if (patch.flags) b[9] = patch.flags(b[9]);
  return b;
}

/** Both protocol versions as test parameters. */
export const VERSIONS = [4, 5] as const;
