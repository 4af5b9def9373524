// PUBLISH without properties (MQTT 3.1/3.1.1) decoded and encoded by hand:
// the hot path of every message. Produces and accepts exactly what
// mqtt-packet does; anything unusual is left to mqtt-packet (returns null).

import type { IPublishPacket } from 'mqtt-packet';

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
