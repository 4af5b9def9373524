// The codec decodes strings leniently (ill-formed UTF-8 becomes U+FFFD).
// When a decoded packet shows U+FFFD anywhere, we walk the packet's raw
// bytes and check every UTF-8 string field strictly: ill-formed UTF-8 is a
// Malformed Packet [MQTT-1.5.4-1], a real U+FFFD is not.

import type { Packet } from 'mqtt-packet';
import { isValidUtf8 } from './topic.ts';

const R = '\uFFFD';

function hasR(v: unknown): boolean {
  if (typeof v === 'string') return v.includes(R);
  if (Array.isArray(v)) return v.some(hasR);
  if (v && typeof v === 'object' && !Buffer.isBuffer(v))
    return Object.entries(v).some(([k, x]) => k.includes(R) || hasR(x));
  return false;
}

/** Cheap test on the decoded packet: could any string field be ill-formed? */
export function mayHaveBadUtf8(p: Packet): boolean {
  const a = p as unknown as Record<string, unknown>;
  switch (p.cmd) {
    case 'publish':
      return p.topic.includes(R) || (p.properties !== undefined && hasR(p.properties));
    case 'connect':
      return (
        hasR(p.clientId) ||
        hasR(p.username) ||
        hasR(p.properties) ||
        (p.will !== undefined && (hasR(p.will.topic) || hasR(p.will.properties)))
      );
    case 'subscribe':
      return p.subscriptions.some((s) => hasR(s.topic)) || hasR(p.properties);
    case 'unsubscribe':
      return hasR(p.unsubscriptions) || hasR(p.properties);
    default:
      return hasR(a.properties);
  }
}

class Walker {
  ok = true;
  constructor(
    private f: Buffer,
    public i: number,
  ) {}
  u8(): number {
    return this.f[this.i++];
  }
  u16(): number {
    const v = this.f.readUInt16BE(this.i);
    this.i += 2;
    return v;
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 4; k++) {
      const b = this.f[this.i++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) break;
    }
    return v;
  }
  str(): void {
    const len = this.u16();
    if (!isValidUtf8(this.f.subarray(this.i, this.i + len))) this.ok = false;
    this.i += len;
  }
  bin(): void {
    this.i += this.u16();
  }
  props(): void {
    const len = this.varint();
    const end = this.i + len;
    while (this.i < end && this.ok) {
      const id = this.varint();
      switch (id) {
        case 0x01:
        case 0x17:
        case 0x19:
        case 0x24:
        case 0x25:
        case 0x28:
        case 0x29:
        case 0x2a:
          this.i += 1;
          break;
        case 0x13:
        case 0x21:
        case 0x22:
        case 0x23:
          this.i += 2;
          break;
        case 0x02:
        case 0x11:
        case 0x18:
        case 0x27:
          this.i += 4;
          break;
        case 0x0b:
          this.varint();
          break;
        case 0x09:
        case 0x16:
          this.bin();
          break;
        case 0x26:
          this.str();
          this.str();
          break;
        default: // 0x03 0x08 0x12 0x15 0x1a 0x1c 0x1f: UTF-8 strings
          this.str();
      }
    }
    this.i = end;
  }
}

function bodyStart(frame: Buffer): number {
  let i = 1;
  while (i < 5 && frame[i] & 0x80) i++;
  return i + 1;
}

/** Strictly checks every UTF-8 string field of the packet in `frame`. */
export function stringsValid(frame: Buffer, p: Packet, version: number): boolean {
  const v5 = version === 5;
  const w = new Walker(frame, bodyStart(frame));
  try {
    switch (p.cmd) {
      case 'connect': {
        w.str(); // protocol name
        w.u8();
        const flags = w.u8();
        w.u16();
        if (p.protocolVersion === 5) w.props();
        w.str(); // client id
        if (flags & 0x04) {
          if (p.protocolVersion === 5) w.props();
          w.str(); // will topic
          w.bin(); // will payload
        }
        if (flags & 0x80) w.str(); // user name
        break;
      }
      case 'publish':
        w.str();
        if (p.qos > 0) w.u16();
        if (v5) w.props();
        break;
      case 'subscribe':
      case 'unsubscribe':
        w.u16();
        if (v5) w.props();
        while (w.ok && w.i < frame.length) {
          w.str();
          if (p.cmd === 'subscribe') w.u8();
        }
        break;
      default:
        // Acks and DISCONNECT: id/reason code, then properties.
        if (v5 && frame.length > w.i) {
          if (p.cmd !== 'disconnect' && p.cmd !== 'auth') w.u16();
          if (w.i < frame.length) w.u8();
          if (w.i < frame.length) w.props();
        }
    }
  } catch {
    return false;
  }
  return w.ok;
}
