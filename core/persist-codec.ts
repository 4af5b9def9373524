// Binary records of what a node keeps on disk: a persistent session's
// state, one owed message, one retained message. Length-prefixed fields,
// a version byte first so the format can grow; no JSON on this path.

import type { Message, MessageProperties, QoS } from './message.ts';
import type { SubSpec } from './subscription.ts';

const V1 = 1;

class Writer {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  /** Unsigned varint (LEB128), up to 2^53. */
  uv(v: number): void {
    this.room(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  f64(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.uv(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.uv(n);
    this.room(n);
    this.pos += this.buf.write(s, this.pos);
  }

  done(): Uint8Array {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

export class CodecError extends Error {}

class Reader {
  private pos = 0;
  constructor(private buf: Buffer) {}

  /** Whether bytes are left (a field newer records add at the end). */
  get more(): boolean {
    return this.pos < this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new CodecError('truncated record');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  uv(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new CodecError('varint too long');
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  bytes(): Buffer {
    const n = this.uv();
    this.need(n);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }

  str(): string {
    const n = this.uv();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

function reader(b: Uint8Array): Reader {
  const r = new Reader(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  if (r.u8() !== V1) throw new CodecError('unknown record version');
  return r;
}

// ---- messages ---------------------------------------------------------------

const HAS_EXPIRY = 1;
const HAS_PROPS = 2;
const HAS_MID = 4;
const RETAIN = 8;

function writeMessage(w: Writer, m: Message): void {
  w.u8(
    (m.expiresAt !== undefined ? HAS_EXPIRY : 0) |
      (m.props ? HAS_PROPS : 0) |
      (m.mid !== undefined ? HAS_MID : 0) |
      (m.retain ? RETAIN : 0),
  );
  w.u8(m.qos);
  w.str(m.topic);
  w.bytes(m.payload);
  w.str(m.from);
  w.f64(m.receivedAt);
  if (m.expiresAt !== undefined) w.f64(m.expiresAt);
  if (m.mid !== undefined) w.str(m.mid);
  if (m.props) writeProps(w, m.props);
}

function readMessage(r: Reader): Message {
  const flags = r.u8();
  const qos = r.u8() as QoS;
  const m: Message = {
    topic: r.str(),
    payload: r.bytes(),
    qos,
    retain: (flags & RETAIN) !== 0,
    from: r.str(),
    receivedAt: r.f64(),
  };
  if (flags & HAS_EXPIRY) m.expiresAt = r.f64();
  if (flags & HAS_MID) m.mid = r.str();
  if (flags & HAS_PROPS) m.props = readProps(r);
  return m;
}

// Property presence bits.
const P_PFI = 1;
const P_CT = 2;
const P_RT = 4;
const P_CD = 8;
const P_UP = 16;

function writeProps(w: Writer, p: MessageProperties): void {
  w.u8(
    (p.payloadFormatIndicator !== undefined ? P_PFI : 0) |
      (p.contentType !== undefined ? P_CT : 0) |
      (p.responseTopic !== undefined ? P_RT : 0) |
      (p.correlationData !== undefined ? P_CD : 0) |
      (p.userProperties ? P_UP : 0),
  );
  if (p.payloadFormatIndicator !== undefined) w.u8(p.payloadFormatIndicator ? 1 : 0);
  if (p.contentType !== undefined) w.str(p.contentType);
  if (p.responseTopic !== undefined) w.str(p.responseTopic);
  if (p.correlationData !== undefined) w.bytes(p.correlationData);
  if (p.userProperties) {
    // Flattened pairs, repeated keys kept in order.
    const pairs: [string, string][] = [];
    for (const [k, v] of Object.entries(p.userProperties)) {
      if (Array.isArray(v)) for (const x of v) pairs.push([k, x]);
      else pairs.push([k, v]);
    }
    w.uv(pairs.length);
    for (const [k, v] of pairs) {
      w.str(k);
      w.str(v);
    }
  }
}

function readProps(r: Reader): MessageProperties {
  const f = r.u8();
  const p: MessageProperties = {};
  if (f & P_PFI) p.payloadFormatIndicator = r.u8() === 1;
  if (f & P_CT) p.contentType = r.str();
  if (f & P_RT) p.responseTopic = r.str();
  if (f & P_CD) p.correlationData = r.bytes();
  if (f & P_UP) {
    const up: Record<string, string | string[]> = {};
    for (let n = r.uv(); n > 0; n--) {
      const k = r.str();
      const v = r.str();
      const cur = Object.hasOwn(up, k) ? up[k] : undefined;
      // defineProperty: a user property named "__proto__" stays a property, not the object's prototype.
      if (cur === undefined)
        Object.defineProperty(up, k, { value: v, enumerable: true, writable: true, configurable: true });
      else if (Array.isArray(cur)) cur.push(v);
      else
        Object.defineProperty(up, k, {
          value: [cur, v],
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    p.userProperties = up;
  }
  return p;
}

// ---- records ----------------------------------------------------------------

/** A retained message. */
export function encodeRetained(m: Message): Uint8Array {
  const w = new Writer();
  w.u8(V1);
  writeMessage(w, m);
  return w.done();
}

export function decodeRetained(b: Uint8Array): Message {
  return readMessage(reader(b));
}

/** A message a persistent session owes its client, with the QoS it is delivered at. */
export interface OwedRecord {
  msg: Message;
  qos: QoS;
  retain: boolean;
  subIds?: number[];
  /** In flight under this packet id (resent with it after a restart). */
  pid?: number;
  /** QoS 2 after PUBREC: only the PUBREL is owed. */
  released?: boolean;
  /** QoS 2 completed (PUBCOMP): nothing is owed; its message id is remembered, so a copy arriving again is dropped. */
  completed?: boolean;
}

const O_PID = 8;
const O_RELEASED = 16;
const O_COMPLETED = 32;

export function encodeOwed(o: OwedRecord): Uint8Array {
  const w = new Writer();
  w.u8(V1);
  const f =
    (o.pid !== undefined ? O_PID : 0) | (o.released ? O_RELEASED : 0) | (o.completed ? O_COMPLETED : 0);
  w.u8(o.qos | (o.retain ? 4 : 0) | f);
  const ids = o.subIds ?? [];
  w.uv(ids.length);
  for (const id of ids) w.uv(id);
  if (o.pid !== undefined) w.uv(o.pid);
  writeMessage(w, o.msg);
  return w.done();
}

export function decodeOwed(b: Uint8Array): OwedRecord {
  const r = reader(b);
  const f = r.u8();
  const n = r.uv();
  const subIds: number[] = [];
  for (let i = 0; i < n; i++) subIds.push(r.uv());
  const pid = f & O_PID ? r.uv() : undefined;
  const o: OwedRecord = { qos: (f & 3) as QoS, retain: (f & 4) !== 0, msg: readMessage(r) };
  if (subIds.length) o.subIds = subIds;
  if (pid !== undefined) o.pid = pid;
  if (f & O_RELEASED) o.released = true;
  if (f & O_COMPLETED) o.completed = true;
  return o;
}

/** A persistent session's state apart from its owed messages. */
export interface SessionRecord {
  expiry: number;
  connectedAt: number;
  /** Broker clock when its last connection closed; 0 while connected. */
  disconnectedAt: number;
  protocolVersion: 3 | 4 | 5;
  subs: SubSpec[];
  /** Inbound QoS 2 packet ids between PUBREC and PUBREL. */
  in2: number[];
  /** Inbound QoS 2 ids whose PUBREC was not sent yet, with their message ids (a resend is routed again as that). */
  in2held?: { pid: number; mid: string }[];
}

export function encodeSession(s: SessionRecord): Uint8Array {
  const w = new Writer();
  w.u8(V1);
  w.uv(s.expiry);
  w.f64(s.connectedAt);
  w.f64(s.disconnectedAt);
  w.u8(s.protocolVersion);
  w.uv(s.subs.length);
  for (const x of s.subs) {
    w.str(x.key);
    w.u8(x.qos | (x.nl ? 4 : 0) | (x.rap ? 8 : 0) | (x.rh << 4));
    w.uv(x.subId ?? 0);
  }
  w.uv(s.in2.length);
  for (const p of s.in2) w.uv(p);
  if (s.in2held?.length) {
    w.uv(s.in2held.length);
    for (const h of s.in2held) {
      w.uv(h.pid);
      w.str(h.mid);
    }
  }
  return w.done();
}

export function decodeSession(b: Uint8Array): SessionRecord {
  const r = reader(b);
  const expiry = r.uv();
  const connectedAt = r.f64();
  const disconnectedAt = r.f64();
  const protocolVersion = r.u8() as 3 | 4 | 5;
  const subs: SubSpec[] = [];
  for (let n = r.uv(); n > 0; n--) {
    const key = r.str();
    const f = r.u8();
    const subId = r.uv();
    const spec: SubSpec = {
      key,
      qos: (f & 3) as QoS,
      nl: (f & 4) !== 0,
      rap: (f & 8) !== 0,
      rh: ((f >> 4) & 3) as 0 | 1 | 2,
    };
    if (subId) spec.subId = subId;
    subs.push(spec);
  }
  const in2: number[] = [];
  for (let n = r.uv(); n > 0; n--) in2.push(r.uv());
  const rec: SessionRecord = { expiry, connectedAt, disconnectedAt, protocolVersion, subs, in2 };
  if (r.more) {
    rec.in2held = [];
    for (let n = r.uv(); n > 0; n--) rec.in2held.push({ pid: r.uv(), mid: r.str() });
  }
  return rec;
}
