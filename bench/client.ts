// The load generator's MQTT client: a raw node:net socket, packets encoded
// with mqtt-packet once and copied, inbound bytes cut into packets by their
// fixed header only (no full parse per message), so the generator costs a
// few instructions per message and the broker stays the bottleneck.

import net from 'node:net';
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';

export interface Target {
  host: string;
  port: number;
}

export class BenchClient {
  readonly socket: net.Socket;
  /** PUBLISH packets received. */
  received = 0;
  /** PUBACKs received (for publishers' QoS 1 windows). */
  acked = 0;
  /** Called per received PUBLISH with the frame and the offset of its payload (latency probes). */
  onPublish: ((frame: Buffer, payloadAt: number) => void) | null = null;
  /** Called after each inbound chunk was processed (a pump can refill windows). */
  onData: (() => void) | null = null;
  private rest: Buffer | null = null;
  private waiters: { type: number; resolve: (b: Buffer) => void }[] = [];
  private closed = false;
  private pubacks: Buffer[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.data(b));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters) w.resolve(Buffer.alloc(0));
      this.waiters = [];
    });
  }

  /** Connects (MQTT 3.1.1, clean session unless `clean` is false) and waits for CONNACK. */
  static async connect(t: Target, clientId: string, keepalive = 0, clean = true): Promise<BenchClient> {
    const socket = net.connect(t.port, t.host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new BenchClient(socket);
    const ack = c.expect(2);
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId,
        clean,
        keepalive,
      } as Packet),
    );
    const b = await ack;
    if (b.length < 4 || b[3] !== 0) throw new Error(`CONNACK refused for ${clientId}`);
    return c;
  }

  async subscribe(topic: string, qos: 0 | 1): Promise<void> {
    const ack = this.expect(9);
    this.socket.write(
      mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] } as Packet),
    );
    const b = await ack;
    if (b.length < 5 || b[4] >= 0x80) throw new Error(`SUBACK refused ${topic}`);
  }

  write(b: Buffer): void {
    if (!this.closed) this.socket.write(b);
  }

  /** Bytes written but not yet taken by the kernel. */
  get backlog(): number {
    return this.socket.writableLength;
  }

  close(): void {
    this.socket.destroy();
  }

  private expect(type: number): Promise<Buffer> {
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  private data(chunk: Buffer): void {
    let buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let off = 0;
    const end = buf.length;
    while (end - off >= 2) {
      let len = 0;
      let mul = 1;
      let i = off + 1;
      for (; i < end; i++) {
        const b = buf[i];
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) break;
      }
      if (i >= end) break;
      const total = i + 1 - off + len;
      if (end - off < total) break;
      const type = buf[off] >> 4;
      if (type === 3) {
        this.received++;
        const qos = (buf[off] >> 1) & 3;
        const tlen = buf.readUInt16BE(i + 1);
        let p = i + 3 + tlen;
        if (qos > 0) {
          // PUBACK at once; all of one chunk's acks go out in one write.
          const ack = Buffer.allocUnsafe(4);
          ack[0] = 0x40;
          ack[1] = 2;
          ack[2] = buf[p];
          ack[3] = buf[p + 1];
          this.pubacks.push(ack);
          p += 2;
        }
        if (this.onPublish) this.onPublish(buf.subarray(off, off + total), p - off);
      } else if (type === 4) {
        this.acked++;
      } else {
        const frame = buf.subarray(off, off + total);
        const k = this.waiters.findIndex((w) => w.type === type);
        if (k >= 0) this.waiters.splice(k, 1)[0].resolve(Buffer.from(frame));
      }
      off += total;
    }
    this.rest = off < end ? Buffer.from(buf.subarray(off)) : null;
    if (this.pubacks.length) {
      this.socket.write(this.pubacks.length === 1 ? this.pubacks[0] : Buffer.concat(this.pubacks));
      this.pubacks = [];
    }
    this.onData?.();
  }
}

/** Encoded QoS 0 PUBLISH repeated `n` times: one write sends a batch. */
export function qos0Batch(topic: string, payload: Buffer, n: number): { buf: Buffer; each: number } {
  const one = mqttPacket.generate({
    cmd: 'publish',
    topic,
    payload,
    qos: 0,
    retain: false,
    dup: false,
  } as Packet);
  const buf = Buffer.allocUnsafe(one.length * n);
  for (let i = 0; i < n; i++) one.copy(buf, i * one.length);
  return { buf, each: one.length };
}

/** QoS 1 PUBLISH template and the offset of its packet id. */
export function qos1Template(topic: string, payload: Buffer): { buf: Buffer; pidAt: number } {
  const buf = mqttPacket.generate({
    cmd: 'publish',
    topic,
    payload,
    qos: 1,
    messageId: 1,
    retain: false,
    dup: false,
  } as Packet);
  let i = 1;
  while (buf[i] & 0x80) i++;
  return { buf, pidAt: i + 1 + 2 + Buffer.byteLength(topic) };
}
