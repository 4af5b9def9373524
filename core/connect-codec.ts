// CONNECT of MQTT 3.1 and 3.1.1 decoded by hand: every connection starts
// with one, and mqtt-packet's parser costs a stream, an event emitter and
// a buffer list per connection. Produces exactly what mqtt-packet's parser
// does; anything unusual (5.0, bridge mode, a malformed packet) is left to
// mqtt-packet (returns null), which then reports the error.

import type { IConnectPacket } from 'mqtt-packet';

/** Decodes one whole 3.1/3.1.1 CONNECT frame; null when it is not one or is malformed. */
export function decodeConnect311(frame: Buffer): IConnectPacket | null {
  if (frame[0] !== 0x10) return null;
  let i = 1;
  while (frame[i] & 0x80) i++;
  const start = i + 1; // variable header
  const end = frame.length; // the Framer cut the frame at Remaining Length
  // Protocol name, level, flags, keep alive.
  if (start + 2 > end) return null;
  const nameLen = frame.readUInt16BE(start);
  let p = start + 2 + nameLen;
  if (p + 4 > end) return null;
  const protocolId = frame.toString('utf8', start + 2, p);
  if (protocolId !== 'MQTT' && protocolId !== 'MQIsdp') return null;
  const protocolVersion = frame[p];
  if (protocolVersion !== 3 && protocolVersion !== 4) return null;
  const flags = frame[p + 1];
  if (flags & 0x01) return null; // reserved bit [MQTT-3.1.2-3]
  const willFlag = (flags & 0x04) !== 0;
  const willRetain = (flags & 0x20) !== 0;
  const willQos = (flags >> 3) & 3;
  if (!willFlag && (willRetain || willQos !== 0)) return null;
  const keepalive = frame.readUInt16BE(p + 2);
  p += 4;
  // Payload: client id, will topic and payload, user name, password.
  if (p + 2 > end) return null;
  let len = frame.readUInt16BE(p);
  if (p + 2 + len > end) return null;
  const clientId = frame.toString('utf8', p + 2, p + 2 + len);
  p += 2 + len;
  let will: IConnectPacket['will'];
  if (willFlag) {
    if (p + 2 > end) return null;
    len = frame.readUInt16BE(p);
    if (p + 2 + len > end) return null;
    const topic = frame.toString('utf8', p + 2, p + 2 + len);
    p += 2 + len;
    if (p + 2 > end) return null;
    len = frame.readUInt16BE(p);
    if (p + 2 + len > end) return null;
    // A copy: the will outlives the frame, which shares the socket's read buffer.
    const payload = Buffer.from(frame.subarray(p + 2, p + 2 + len));
    p += 2 + len;
    will = { retain: willRetain, qos: willQos as 0 | 1 | 2, topic, payload };
  }
  let username: string | undefined;
  if (flags & 0x80) {
    if (p + 2 > end) return null;
    len = frame.readUInt16BE(p);
    if (p + 2 + len > end) return null;
    username = frame.toString('utf8', p + 2, p + 2 + len);
    p += 2 + len;
  }
  let password: Buffer | undefined;
  if (flags & 0x40) {
    if (p + 2 > end) return null;
    len = frame.readUInt16BE(p);
    if (p + 2 + len > end) return null;
    password = Buffer.from(frame.subarray(p + 2, p + 2 + len));
  }
  // Fields in mqtt-packet's order (its Packet class first); bytes after the last field are ignored, as it does.
  const pkt = {
    cmd: 'connect',
    retain: false,
    qos: 0,
    dup: false,
    length: end - start,
    topic: null,
    payload: null,
    protocolId,
    protocolVersion,
  } as unknown as IConnectPacket;
  if (will) pkt.will = will;
  pkt.clean = (flags & 0x02) !== 0;
  pkt.keepalive = keepalive;
  pkt.clientId = clientId;
  if (username !== undefined) pkt.username = username;
  if (password !== undefined) pkt.password = password;
  return pkt;
}
