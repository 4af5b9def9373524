// PUBLISH without properties (MQTT 3.1/3.1.1) and the acknowledgements, decoded and encoded by
// hand: the hot path of every message. Produces and accepts exactly what
// mqtt-packet does; anything unusual is left to mqtt-packet (returns null).

import mqttPacket from 'mqtt-packet';
import type { IPublishPacket } from 'mqtt-packet';
import type { Delivery } from './session.ts';
import { remainingExpiry } from './message.ts';

/**
 * Decodes one whole 3.1.1 PUBLISH frame; null when it is not one or is
 * malformed (the general parser then reports the error). The payload
 * shares the frame's memory, as mqtt-packet's does.
 */
export function decodePublish311(frame: Buffer): IPublishPacket | null {
  const b0 = frame[0];
  if (b0 >> 4 !== 3) return null;
  const qos = (b0 >> 1) & 3;
  if (qos === 3) return null;
  let i = 1;
  while (frame[i] & 0x80) i++;
  const start = i + 1; // variable header
  if (start + 2 > frame.length) return null;
  const tlen = frame.readUInt16BE(start);
  let p = start + 2 + tlen;
  if (p > frame.length) return null;
  const topic = frame.toString('utf8', start + 2, p);
  let messageId: number | undefined;
  if (qos > 0) {
    if (p + 2 > frame.length) return null;
    messageId = frame.readUInt16BE(p);
    p += 2;
  }
  const pkt: IPublishPacket = {
    cmd: 'publish',
    retain: (b0 & 1) !== 0,
    qos: qos as 0 | 1 | 2,
    dup: (b0 & 8) !== 0,
    topic,
    payload: frame.subarray(p),
  };
  if (messageId !== undefined) pkt.messageId = messageId;
  (pkt as { length?: number }).length = frame.length - start;
  return pkt;
}

/** Encodes a 3.1.1 PUBLISH byte for byte like mqtt-packet's generate (packet id 1 when QoS > 0: a template). */
export function encodePublish311(
  topic: string,
  payload: Buffer,
  qos: 0 | 1 | 2,
  retain: boolean,
  dup: boolean,
  pid: number,
): Buffer {
  const tlen = Buffer.byteLength(topic);
  const rem = 2 + tlen + (qos > 0 ? 2 : 0) + payload.length;
  let hdr = 2;
  for (let r = rem; r >= 128; r = Math.floor(r / 128)) hdr++;
  const buf = Buffer.allocUnsafe(hdr + rem);
  buf[0] = 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  let o = 1;
  let r = rem;
  do {
    let d = r % 128;
    r = Math.floor(r / 128);
    if (r > 0) d |= 0x80;
    buf[o++] = d;
  } while (r > 0);
  buf.writeUInt16BE(tlen, o);
  o += 2;
  o += buf.write(topic, o, 'utf8');
  if (qos > 0) {
    buf.writeUInt16BE(pid, o);
    o += 2;
  }
  payload.copy(buf, o);
  return buf;
}

/**
 * The fan-out fast path: a PUBLISH without per-subscriber properties has the same bytes for every
 * subscriber but the packet id, so they are encoded once per message (and QoS, retain, DUP,
 * protocol) and copied with the id patched in. Null when it exceeds the client's Maximum Packet Size.
 */
export function cachedPublish(
  d: Delivery,
  pid: number,
  dup: boolean,
  version: 3 | 4 | 5,
  maxPacketSize: number,
): Buffer | null {
  const msg = d.msg;
  const key = (version === 5 ? 12 : 0) + d.qos * 4 + (d.retain ? 2 : 0) + (dup ? 1 : 0);
  const cache = (msg.encoded ??= []);
  let t = cache[key];
  if (t === undefined) {
    let buf: Buffer;
    if (version < 5) buf = encodePublish311(msg.topic, msg.payload, d.qos, d.retain, dup, 1);
    else {
      const pkt = publishPacket(d, d.qos ? 1 : 0, dup, null);
      pkt.properties = msg.props ? { ...msg.props } : {};
      buf = mqttPacket.generate(pkt, { protocolVersion: version });
    }
    let off = 1;
    while (buf[off] & 0x80) off++;
    off += 1 + 2 + buf.readUInt16BE(off + 1);
    cache[key] = t = { buf, pidOffset: off };
  }
  if (t.buf.length > maxPacketSize) return null;
  let out = t.buf;
  if (d.qos > 0) {
    out = Buffer.allocUnsafe(t.buf.length);
    t.buf.copy(out);
    out.writeUInt16BE(pid, t.pidOffset);
  }
  return out;
}

export type AckCmd = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';

const ACK_BYTE = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const;

/** First byte → type of the 4-byte acknowledgements (PUBREL carries its mandatory flags 0b0010). */
export const ACKS: Record<number, AckCmd> = {
  0x40: 'puback',
  0x50: 'pubrec',
  0x62: 'pubrel',
  0x70: 'pubcomp',
};

/** A fixed-size acknowledgement, the same bytes mqtt-packet makes (v5: reason code 0 and empty properties). */
export function encodeAck(cmd: AckCmd, pid: number, v5: boolean): Buffer {
  const b = Buffer.allocUnsafe(v5 ? 6 : 4);
  b[0] = ACK_BYTE[cmd];
  b[1] = v5 ? 4 : 2;
  b.writeUInt16BE(pid, 2);
  if (v5) b[4] = b[5] = 0;
  return b;
}

/**
 * A PUBLISH as mqtt-packet encodes it. `now` (v5 only, null for 3.1.1): the properties, with the
 * expiry left and the subscription identifiers; the connection adds its topic alias after them.
 */
export function publishPacket(d: Delivery, pid: number, dup: boolean, now: number | null): IPublishPacket {
  const msg = d.msg;
  const pkt: IPublishPacket = {
    cmd: 'publish',
    topic: msg.topic,
    payload: msg.payload,
    qos: d.qos,
    retain: d.retain,
    dup,
    messageId: pid || undefined,
  };
  if (now !== null) {
    const props: NonNullable<IPublishPacket['properties']> = msg.props ? { ...msg.props } : {};
    const exp = remainingExpiry(msg, now);
    if (exp !== undefined) props.messageExpiryInterval = exp;
    if (d.subIds) props.subscriptionIdentifier = d.subIds.length === 1 ? d.subIds[0] : d.subIds;
    pkt.properties = props;
  }
  return pkt;
}
