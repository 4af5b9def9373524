// A scripted MQTT client for driving the pure core in tests: encodes packets
// with mqtt-packet, feeds them to one Connection, parses what the broker
// wrote back and (optionally) acknowledges QoS 1/2 deliveries on its own.

import mqttPacket from 'mqtt-packet';
import type { Packet, IConnackPacket, IPublishPacket, ISubackPacket, IConnectPacket } from 'mqtt-packet';
import { Broker } from '../../core/broker.ts';
import type { BrokerConfig } from '../../core/config.ts';
import type { Connection } from '../../core/connection.ts';
import { manualEnv, RecordingSink } from './manual-env.ts';

export type Version = 3 | 4 | 5;

export function encode(p: Packet, version: Version): Buffer {
  return mqttPacket.generate(p, { protocolVersion: version });
}

/** Cuts a byte string into frames by the fixed header alone; `rest` counts the bytes of an incomplete last frame. */
/** MQTT Variable Byte Integer encoding (§1.5.5). */
export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

export function splitFrames(bytes: Buffer): { frames: Buffer[]; rest: number } {
  const frames: Buffer[] = [];
  let i = 0;
  while (i < bytes.length) {
    let len = 0;
    let mul = 1;
    let j = i + 1;
    let ok = false;
    for (; j < bytes.length && j < i + 5; j++) {
      len += (bytes[j] & 0x7f) * mul;
      mul *= 128;
      if (!(bytes[j] & 0x80)) {
        ok = true;
        break;
      }
    }
    if (!ok) break;
    const end = j + 1 + len;
    if (end > bytes.length) break;
    frames.push(bytes.subarray(i, end));
    i = end;
  }
  return { frames, rest: bytes.length - i };
}

/**
 * Decodes a byte string the broker wrote (one version's grammar), frame by
 * frame: every frame must decode to exactly one packet. `rest` counts bytes
 * left over as an incomplete packet at the end.
 */
export function decodeAll(
  bytes: Buffer,
  version: Version,
): { packets: Packet[]; errors: string[]; rest: number } {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets: Packet[] = [];
  const errors: string[] = [];
  parser.on('packet', (p: Packet) => packets.push(p));
  parser.on('error', (e: Error) => errors.push(e.message));
  const { frames, rest } = splitFrames(bytes);
  for (const [i, f] of frames.entries()) {
    const before = packets.length;
    const nErr = errors.length;
    parser.parse(f);
    if (errors.length === nErr && packets.length !== before + 1)
      errors.push(
        `frame ${i} (${f.subarray(0, 8).toString('hex')}) decoded to ${packets.length - before} packets`,
      );
  }
  return { packets, errors, rest };
}

/** A RecordingSink that also notices writes after close and double closes. */
export class CheckedSink extends RecordingSink {
  writesAfterClose = 0;
  closeCalls = 0;
  /** Every byte ever written, never drained by take(). */
  readonly all: Buffer[] = [];
  override write(bytes: Uint8Array): void {
    if (this.closed) this.writesAfterClose++;
    this.all.push(Buffer.from(bytes));
    super.write(bytes);
  }
  override close(): void {
    this.closeCalls++;
    super.close();
  }
  allBytes(): Buffer {
    return Buffer.concat(this.all);
  }
}

export function newBroker(config: Partial<BrokerConfig> | Record<string, unknown> = {}, seed = 'test') {
  const env = manualEnv(seed);
  const broker = new Broker(env, { sysInterval: 0, ...(config as Partial<BrokerConfig>) });
  return { env, broker };
}

export interface ConnectOptions {
  clean?: boolean;
  keepalive?: number;
  protocolId?: 'MQTT' | 'MQIsdp';
  properties?: IConnectPacket['properties'];
  will?: IConnectPacket['will'];
}

export class TestClient {
  readonly sink = new CheckedSink();
  readonly conn: Connection;
  /** Every packet parsed from the broker's output, in order. */
  readonly received: Packet[] = [];
  readonly parseErrors: string[] = [];
  /** Acknowledge QoS 1/2 PUBLISH, PUBREL and PUBREC from the broker. */
  autoAck = true;
  private parser;
  private nextPid = 1;

  constructor(
    readonly broker: Broker,
    readonly version: Version,
    remote = 'test',
  ) {
    this.conn = broker.accept(this.sink, remote);
    this.parser = mqttPacket.parser({ protocolVersion: version });
    this.parser.on('packet', (p: Packet) => this.received.push(p));
    this.parser.on('error', (e: Error) => this.parseErrors.push(e.message));
  }

  get closed(): boolean {
    return this.sink.closed;
  }

  send(p: Packet): void {
    this.conn.receive(encode(p, this.version));
  }

  sendRaw(bytes: Buffer): void {
    this.conn.receive(bytes);
  }

  pid(): number {
    const p = this.nextPid;
    this.nextPid = p === 65535 ? 1 : p + 1;
    return p;
  }

  /** Parses what the broker wrote since the last poll, acking as configured, until quiet. Returns the new packets. */
  poll(): Packet[] {
    const out: Packet[] = [];
    for (;;) {
      const bytes = this.sink.take();
      if (bytes.length === 0) return out;
      const before = this.received.length;
      this.parser.parse(bytes);
      const fresh = this.received.slice(before);
      out.push(...fresh);
      if (!this.autoAck || this.sink.closed) continue;
      for (const p of fresh) {
        if (this.sink.closed) break;
        if (p.cmd === 'publish' && p.qos === 1) this.send({ cmd: 'puback', messageId: p.messageId! });
        else if (p.cmd === 'publish' && p.qos === 2) this.send({ cmd: 'pubrec', messageId: p.messageId! });
        else if (p.cmd === 'pubrel') this.send({ cmd: 'pubcomp', messageId: p.messageId! });
        else if (p.cmd === 'pubrec') this.send({ cmd: 'pubrel', messageId: p.messageId! });
      }
    }
  }

  connect(clientId: string, o: ConnectOptions = {}): IConnackPacket {
    this.send({
      cmd: 'connect',
      protocolId: o.protocolId ?? (this.version === 3 ? 'MQIsdp' : 'MQTT'),
      protocolVersion: this.version,
      clientId,
      clean: o.clean ?? true,
      keepalive: o.keepalive ?? 0,
      properties: o.properties,
      will: o.will,
    });
    const ack = this.poll().find((p) => p.cmd === 'connack');
    if (!ack) throw new Error(`no CONNACK for ${clientId}`);
    return ack as IConnackPacket;
  }

  subscribe(
    filter: string,
    qos: 0 | 1 | 2 = 1,
    properties?: { subscriptionIdentifier?: number },
  ): ISubackPacket {
    const messageId = this.pid();
    this.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic: filter, qos }], properties });
    const ack = this.poll().find((p) => p.cmd === 'suback' && p.messageId === messageId);
    if (!ack) throw new Error(`no SUBACK for ${filter}`);
    return ack as ISubackPacket;
  }

  /** Sends a PUBLISH; returns what the broker answered on this connection (PUBACK/PUBREC... after auto-acks). */
  publish(
    topic: string,
    payload: Buffer | string,
    qos: 0 | 1 | 2 = 0,
    extra: Partial<IPublishPacket> = {},
  ): Packet[] {
    const p: IPublishPacket = { cmd: 'publish', topic, payload, qos, retain: false, dup: false, ...extra };
    if (qos > 0) p.messageId = this.pid();
    this.send(p);
    return this.poll();
  }

  /** PUBLISH packets received so far (all polls). */
  publishes(): IPublishPacket[] {
    return this.received.filter((p): p is IPublishPacket => p.cmd === 'publish');
  }
}
