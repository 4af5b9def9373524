// The binary message record of the peer protocol (core/cluster/peer-protocol.ts): Forward, Retain,
// RMsg and Moved frames carry one. Flags, [known], topic, from, mid, receivedAt, [expiry], [props
// JSON], group keys, payload; a Forward frame is one record.

import type { Message, QoS } from '../message.ts';
import { F, FrameError, type ForwardFrame, type Frame, type RetainVersion } from './peer-frames.ts';
import { parseProps, propReplacer } from './wire-message.ts';

/**
 * Binary message record: flags, [known], topic, from, receivedAt, [expiry], [props JSON],
 * group keys, payload. A Forward frame is one record; `known` (flag 128) is the receiver's newest
 * subscription epoch the sender had heard of (route-replication.ts), absent when it had heard none.
 */
export function encodeMessage(
  type: F.Forward,
  msg: Message,
  now: number,
  groups: string[] = [],
  known?: number,
): Buffer {
  return encodeRecord(type, known, msg, now, groups, 0);
}

/** Offset of `known` in a Forward frame (length, type, flags). */
const KNOWN_AT = 6;
/** How far encodeSeq moves a frame's bytes (past its length: F.Seq and the sequence number). */
const SEQ_SHIFT = 5;

/** A Forward frame for another peer: the same record with that peer's `known` (a copy). */
export function restamp(forward: Buffer, known: number | undefined): Buffer {
  const has = (forward[5] & 128) !== 0;
  if (has && known !== undefined) {
    const out = Buffer.from(forward);
    out.writeUInt32BE(known, KNOWN_AT);
    return out;
  }
  if (!has && known === undefined) return forward;
  const len = forward.readUInt32BE(0) + (has ? -4 : 4);
  const out = Buffer.allocUnsafe(4 + len);
  out.writeUInt32BE(len, 0);
  out[4] = forward[4];
  out[5] = has ? forward[5] & 127 : forward[5] | 128;
  if (known !== undefined) out.writeUInt32BE(known, KNOWN_AT);
  forward.copy(out, has ? KNOWN_AT : KNOWN_AT + 4, has ? KNOWN_AT + 4 : KNOWN_AT);
  return out;
}

/** The `known` of a Forward frame wrapped by encodeSeq (undefined: none). */
export function knownOfSeq(f: Buffer): number | undefined {
  const t = 4 + SEQ_SHIFT; // the inner frame's type, then its flags
  return f[t] === F.Forward && f[t + 1] & 128 ? f.readUInt32BE(KNOWN_AT + SEQ_SHIFT) : undefined;
}

/**
 * Retain: `[f64 l][u32 c][node]` (the write's version) in front of the message record; `deleted` makes it a
 * tombstone (empty payload), `notForwarded` tells the receiver to serve subscribers the sender did not know of.
 */
export function encodeRetain(
  msg: Message,
  v: RetainVersion,
  now: number,
  deleted: boolean,
  notForwarded: boolean,
): Buffer {
  const rec = encodeRecord(F.Retain, undefined, msg, now, [], (deleted ? 32 : 0) | (notForwarded ? 64 : 0));
  const n = Buffer.from(v.n);
  const len = 1 + 8 + 4 + 2 + n.length + rec.length - 5;
  const out = Buffer.allocUnsafe(4 + len);
  out.writeUInt32BE(len, 0);
  out[4] = F.Retain;
  out.writeDoubleBE(v.l, 5);
  out.writeUInt32BE(v.c >>> 0, 13);
  const o = putStr(out, 17, n);
  rec.copy(out, o, 5);
  return out;
}

/**
 * RMsg: one message queued for one replicated session, `[clientId][dq]` in
 * front of the message record. The record is built once per message and
 * shared by every session it is replicated for.
 */
export function encodeRMsg(
  clientId: string,
  dq: QoS,
  msg: Message,
  now: number,
  type: F.RMsg | F.Moved = F.RMsg,
): Buffer {
  let rec = lastRecord;
  if (lastRecordMsg !== msg || lastRecordAt !== now) {
    rec = encodeRecord(F.RMsg, undefined, msg, now, [], 0);
    lastRecord = rec;
    lastRecordMsg = msg;
    lastRecordAt = now;
  }
  const id = Buffer.from(clientId);
  const recBody = rec!.length - 5;
  const len = 1 + 2 + id.length + 1 + recBody;
  const out = Buffer.allocUnsafe(4 + len);
  out.writeUInt32BE(len, 0);
  out[4] = type;
  const o = putStr(out, 5, id);
  out[o] = dq;
  rec!.copy(out, o + 1, 5);
  return out;
}
let lastRecord: Buffer | null = null;
let lastRecordMsg: Message | null = null;
let lastRecordAt = 0;

function encodeRecord(
  type: F,
  known: number | undefined,
  msg: Message,
  now: number,
  groups: string[],
  extraFlags: number,
): Buffer {
  // Strings are written into the record in place (no intermediate Buffer per string).
  const topicLen = Buffer.byteLength(msg.topic);
  const fromLen = Buffer.byteLength(msg.from);
  const mid = msg.mid ?? '';
  const midLen = Buffer.byteLength(mid);
  const props = msg.props ? Buffer.from(JSON.stringify(msg.props, propReplacer)) : null;
  let len = 1 + 1 + 2 + topicLen + 2 + fromLen + 2 + midLen + 8 + 1 + 4 + msg.payload.length;
  if (known !== undefined) len += 4;
  if (msg.expiresAt !== undefined) len += 4;
  if (props) len += 4 + props.length;
  for (const g of groups) len += 2 + Buffer.byteLength(g);
  const out = Buffer.allocUnsafe(4 + len);
  let o = 0;
  out.writeUInt32BE(len, o);
  o += 4;
  out[o++] = type;
  out[o++] =
    (msg.retain ? 1 : 0) |
    (msg.qos << 1) |
    (props ? 8 : 0) |
    (msg.expiresAt !== undefined ? 16 : 0) |
    (known !== undefined ? 128 : 0) |
    extraFlags;
  if (known !== undefined) {
    out.writeUInt32BE(known, o);
    o += 4;
  }
  o = putString(out, o, msg.topic, topicLen);
  o = putString(out, o, msg.from, fromLen);
  o = putString(out, o, mid, midLen);
  out.writeDoubleBE(msg.receivedAt, o);
  o += 8;
  if (msg.expiresAt !== undefined) {
    out.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.round(msg.expiresAt - now))), o);
    o += 4;
  }
  if (props) {
    out.writeUInt32BE(props.length, o);
    o += 4;
    props.copy(out, o);
    o += props.length;
  }
  out[o++] = groups.length;
  for (const g of groups) o = putString(out, o, g, Buffer.byteLength(g));
  out.writeUInt32BE(msg.payload.length, o);
  o += 4;
  msg.payload.copy(out, o);
  return out;
}

/** A string of `n` UTF-8 bytes with its u16 length. */
function putString(out: Buffer, o: number, s: string, n: number): number {
  out.writeUInt16BE(n, o);
  if (n) out.write(s, o + 2, n, 'utf8');
  return o + 2 + n;
}

const EMPTY = Buffer.alloc(0);
/** The groups of a record that has none (most): shared, never written to. */
const NO_GROUPS: string[] = Object.freeze([]) as unknown as string[];

function putStr(out: Buffer, o: number, b: Buffer): number {
  out.writeUInt16BE(b.length, o);
  b.copy(out, o + 2);
  return o + 2 + b.length;
}

export function decodeMessage(type: F.Forward | F.Retain, b: Buffer, now: number): Frame {
  if (type === F.Forward) {
    const { msg, groups, known, flags } = decodeRecord(b, now);
    if (flags & 96) throw new FrameError('bad Forward record');
    const f: ForwardFrame = { type, msg, groups };
    if (known !== undefined) f.known = known;
    return f;
  }
  if (b.length < 14) throw new FrameError('short Retain frame');
  const l = b.readDoubleBE(0);
  const c = b.readUInt32BE(8);
  const nl = b.readUInt16BE(12);
  if (!Number.isFinite(l) || 14 + nl > b.length) throw new FrameError('bad retained version');
  const v: RetainVersion = { l, c, n: b.toString('utf8', 14, 14 + nl) };
  const { msg, groups, flags } = decodeRecord(b.subarray(14 + nl), now);
  if (groups.length || flags & 128) throw new FrameError('bad Retain record');
  return { type, msg, v, deleted: (flags & 32) !== 0, notForwarded: (flags & 64) !== 0 };
}

/**
 * Reads a record front to back. A class, not closures in decodeRecord: the hot path of every
 * forwarded message allocates no function objects (tsx/esbuild also names each closure per call).
 */
class Cursor {
  o = 0;
  constructor(readonly b: Buffer) {}

  need(n: number): void {
    if (this.o + n > this.b.length) throw new FrameError('message record overruns frame');
  }

  u32(): number {
    this.need(4);
    const v = this.b.readUInt32BE(this.o);
    this.o += 4;
    return v;
  }

  str(): string {
    this.need(2);
    const n = this.b.readUInt16BE(this.o);
    this.need(2 + n);
    const s = this.b.toString('utf8', this.o + 2, this.o + 2 + n);
    this.o += 2 + n;
    return s;
  }
}

export function decodeRecord(
  b: Buffer,
  now: number,
): { msg: Message; groups: string[]; flags: number; known?: number } {
  if (b.length < 1 + 6 + 8 + 1 + 4) throw new FrameError('short message record');
  const c = new Cursor(b);
  const flags = b[c.o++];
  const qos = ((flags >> 1) & 3) as QoS;
  if (qos > 2) throw new FrameError('bad QoS');
  const known = flags & 128 ? c.u32() : undefined;
  const topic = c.str();
  const from = c.str();
  const mid = c.str();
  c.need(8);
  const receivedAt = b.readDoubleBE(c.o);
  c.o += 8;
  const msg: Message = { topic, from, receivedAt, qos, retain: (flags & 1) === 1, payload: EMPTY };
  if (mid) msg.mid = mid;
  if (flags & 16) msg.expiresAt = now + c.u32();
  if (flags & 8) {
    const n = c.u32();
    c.need(n);
    msg.props = parseProps(b.toString('utf8', c.o, c.o + n));
    c.o += n;
  }
  c.need(1);
  const ng = b[c.o++];
  const groups: string[] = ng ? [] : NO_GROUPS;
  for (let i = 0; i < ng; i++) groups.push(c.str());
  const n = c.u32();
  if (c.o + n !== b.length) throw new FrameError('payload length mismatch');
  msg.payload = Buffer.from(b.subarray(c.o, c.o + n));
  return known === undefined ? { msg, groups, flags } : { msg, groups, flags, known };
}
