// The peer protocol between cluster nodes: length-prefixed frames
// [u32 length][u8 type][body]. Control frames carry JSON; the hot frame
// (a forwarded message) is a compact binary record (message-record.ts). Anything malformed,
// unknown or oversized closes the link; it never throws past decode().
// The frames themselves are in core/cluster/peer-frames.ts.

import type { QoS } from '../message.ts';
import {
  F,
  MAX_FRAME,
  FrameError,
  type Frame,
  type HelloBody,
  type AuthBody,
  type RoutesBody,
  type MembersBody,
  type LeaveBody,
  type RegisterBody,
  type RStateBody,
  type RDoneBody,
  type ROutBody,
  type REndBody,
  type OrphanBody,
  type RWillBody,
  type OrphanReqBody,
  type OrphanReplyBody,
  type OrphanGivenBody,
  type HandoffBody,
  type RebalanceBody,
  type HeldBody,
} from './peer-frames.ts';
import { decodeMessage, decodeRecord } from './message-record.ts';
import { decodeRelay } from './relay-frame.ts';

export * from './peer-frames.ts';
export * from './wire-message.ts';
export { encodeMessage, encodeRMsg, encodeRetain, knownOfSeq, restamp } from './message-record.ts';
export { encodeRelay } from './relay-frame.ts';

/** Heartbeat (the most frequent frame on an idle cluster): binary [f64 t][u32 ack]. */
export function encodePing(t: number, ack: number): Buffer {
  const out = Buffer.allocUnsafe(17);
  out.writeUInt32BE(13, 0);
  out[4] = F.Ping;
  out.writeDoubleBE(t, 5);
  out.writeUInt32BE(ack >>> 0, 13);
  return out;
}

/** Wraps an encoded frame for reliable delivery. */
export function encodeSeq(seq: number, frame: Buffer): Buffer {
  const out = Buffer.allocUnsafe(frame.length + 5);
  out.writeUInt32BE(frame.length + 1, 0); // type + seq + inner (type and body)
  out[4] = F.Seq;
  out.writeUInt32BE(seq, 5);
  frame.copy(out, 9, 4);
  return out;
}

export function encodeJson(type: F, body: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(body));
  const out = Buffer.allocUnsafe(5 + json.length);
  out.writeUInt32BE(1 + json.length, 0);
  out[4] = type;
  json.copy(out, 5);
  return out;
}

/** Splits a peer byte stream into frames. */
export class FrameReader {
  private buf: Buffer | null = null;

  /** Returns the complete frames in `chunk` (plus what was buffered); throws FrameError on garbage. */
  push(chunk: Buffer, now: number, out: Frame[]): void {
    let b = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    let o = 0;
    while (b.length - o >= 4) {
      const len = b.readUInt32BE(o);
      if (len < 1 || len > MAX_FRAME) throw new FrameError(`bad frame length ${len}`);
      if (b.length - o - 4 < len) break;
      // Heartbeats are most of an idle link's frames: read them in place.
      if (len === 13 && b[o + 4] === F.Ping)
        out.push({ type: F.Ping, body: { t: b.readDoubleBE(o + 5), ack: b.readUInt32BE(o + 13) } });
      else out.push(decode(b.subarray(o + 4, o + 4 + len), now));
      o += 4 + len;
    }
    this.buf = o < b.length ? Buffer.from(b.subarray(o)) : null;
    b = null as unknown as Buffer;
  }
}

/** A JSON frame body that `check` accepts; FrameError otherwise (also used by core/link/protocol.ts). */
export function json<T>(body: Buffer, check: (x: any) => boolean): T {
  let x: unknown;
  try {
    x = JSON.parse(body.toString('utf8'));
  } catch {
    throw new FrameError('bad JSON');
  }
  if (typeof x !== 'object' || x === null || !check(x)) throw new FrameError('bad frame body');
  return x as T;
}

const str = (v: unknown) => typeof v === 'string';
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const strs = (v: unknown) => Array.isArray(v) && v.every(str);
const qosOk = (v: unknown) => v === 0 || v === 1 || v === 2;
const pids = (v: unknown) => Array.isArray(v) && v.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535);
const subOk = (x: any) =>
  x &&
  str(x.key) &&
  qosOk(x.qos) &&
  typeof x.nl === 'boolean' &&
  typeof x.rap === 'boolean' &&
  qosOk(x.rh) &&
  (x.subId === undefined || num(x.subId)) &&
  (x.e === undefined || num(x.e));
const wireOk = (x: any) =>
  x &&
  str(x.topic) &&
  str(x.payload) &&
  qosOk(x.qos) &&
  typeof x.retain === 'boolean' &&
  str(x.from) &&
  num(x.receivedAt) &&
  (x.dq === undefined || qosOk(x.dq)) &&
  (x.mid === undefined || str(x.mid)) &&
  (x.groups === undefined || (Array.isArray(x.groups) && x.groups.every(str))) &&
  (x.sentAs === undefined || pids([x.sentAs])) &&
  (x.known === undefined || num(x.known));
const handoffOk = (x: any) =>
  str(x.clientId) &&
  Array.isArray(x.subs) &&
  x.subs.every(subOk) &&
  Array.isArray(x.msgs) &&
  x.msgs.every(wireOk) &&
  num(x.expiry) &&
  (x.seen === undefined || strs(x.seen)) &&
  (x.in2 === undefined || pids(x.in2)) &&
  (x.rel === undefined || pids(x.rel)) &&
  (x.willIn === undefined || num(x.willIn)) &&
  (x.will === undefined || (wireOk(x.will) && num(x.willDelay))) &&
  (x.willExpiry === undefined || num(x.willExpiry)) &&
  (x.willLost === undefined || (str(x.willLost) && num(x.willAt))) &&
  (x.willOrigin === undefined || str(x.willOrigin)) &&
  (x.noWill === undefined || typeof x.noWill === 'boolean') &&
  (x.user === undefined || str(x.user)) &&
  (x.migrate === undefined || x.migrate === true) &&
  (x.at === undefined || num(x.at));
const rwillOk = (x: any) =>
  str(x.clientId) &&
  num(x.at) &&
  (x.will === undefined || (wireOk(x.will) && num(x.delay))) &&
  (x.lost === undefined || str(x.lost)) &&
  (x.gone === undefined || typeof x.gone === 'boolean');
const stepOk = (v: unknown) => v === 'sent' || v === 'released' || v === 'completed';

export function decode(f: Buffer, now: number): Frame {
  const type = f[0] as F;
  const body = f.subarray(1);
  switch (type) {
    case F.Hello:
      return {
        type,
        body: json<HelloBody>(
          body,
          (x) =>
            num(x.v) &&
            str(x.node) &&
            str(x.address) &&
            str(x.nonce) &&
            str(x.inc) &&
            (x.role === undefined || x.role === 'replicant'),
        ),
      };
    case F.Auth:
      return { type, body: json<AuthBody>(body, (x) => str(x.mac)) };
    case F.Ping:
      if (body.length !== 12) throw new FrameError('bad heartbeat');
      return { type, body: { t: body.readDoubleBE(0), ack: body.readUInt32BE(8) } };
    case F.Routes:
      return {
        type,
        body: json<RoutesBody>(
          body,
          (x) =>
            typeof x.full === 'boolean' &&
            strs(x.add) &&
            strs(x.del) &&
            (x.of === undefined || (str(x.of) && x.full === true)) &&
            (x.e === undefined || (Number.isInteger(x.e) && x.e >= 0 && x.e <= 0xffffffff)),
        ),
      };
    case F.Members:
      return {
        type,
        body: json<MembersBody>(
          body,
          (x) =>
            Array.isArray(x.members) &&
            x.members.every(
              (m: any) => m && str(m.node) && str(m.address) && (m.state === 'running' || m.state === 'left'),
            ),
        ),
      };
    case F.Leave:
      return { type, body: json<LeaveBody>(body, (x) => str(x.node) && (x.by === undefined || str(x.by))) };
    case F.Register:
      return {
        type,
        body: json<RegisterBody>(
          body,
          (x) =>
            str(x.clientId) &&
            num(x.at) &&
            str(x.node) &&
            typeof x.live === 'boolean' &&
            (x.fresh === undefined || x.fresh === true),
        ),
      };
    case F.RState:
      return {
        type,
        body: json<RStateBody>(
          body,
          (x) =>
            str(x.clientId) &&
            num(x.at) &&
            num(x.expiry) &&
            Array.isArray(x.subs) &&
            x.subs.every(subOk) &&
            (x.in2 === undefined || pids(x.in2)) &&
            (x.user === undefined || str(x.user)),
        ),
      };
    case F.RMsg:
    case F.Moved: {
      if (body.length < 3) throw new FrameError('short RMsg');
      const n = body.readUInt16BE(0);
      if (3 + n > body.length) throw new FrameError('client id overruns frame');
      const clientId = body.toString('utf8', 2, 2 + n);
      const dq = body[2 + n];
      if (dq > 2) throw new FrameError('bad QoS');
      const rec = decodeRecord(body.subarray(3 + n), now);
      if (rec.groups.length || rec.flags & 224) throw new FrameError('bad RMsg record');
      return { type, body: { clientId, dq: dq as QoS, msg: rec.msg } };
    }
    case F.RDone:
      return { type, body: json<RDoneBody>(body, (x) => str(x.clientId) && strs(x.mids)) };
    case F.REnd:
    case F.Refused:
      return { type, body: json<REndBody>(body, (x) => str(x.clientId)) };
    case F.Orphan:
      return {
        type,
        body: json<OrphanBody>(body, (x) => str(x.owner) && Array.isArray(x.msgs) && x.msgs.every(wireOk)),
      };
    case F.OrphanGiven:
      return {
        type,
        body: json<OrphanGivenBody>(
          body,
          (x) =>
            str(x.owner) &&
            Array.isArray(x.given) &&
            x.given.every((g: any) => str(g?.mid) && strs(g.groups)),
        ),
      };
    case F.RWill:
      return { type, body: json<RWillBody>(body, rwillOk) };
    case F.OrphanReq:
      return { type, body: json<OrphanReqBody>(body, (x) => str(x.clientId) && str(x.owner)) };
    case F.OrphanReply:
      return {
        type,
        body: json<OrphanReplyBody>(
          body,
          (x) => str(x.clientId) && str(x.owner) && Array.isArray(x.msgs) && x.msgs.every(wireOk),
        ),
      };
    case F.Handoff:
      return { type, body: json<HandoffBody>(body, handoffOk) };
    case F.Held:
      return {
        type,
        body: json<HeldBody>(
          body,
          (x) =>
            str(x.owner) &&
            (x.inc === undefined || str(x.inc)) &&
            (x.ended === undefined || x.ended === true) &&
            Array.isArray(x.replicas) &&
            x.replicas.every(
              (r: any) => r && handoffOk(r) && num(r.at) && (r.lastSent === undefined || pids([r.lastSent])),
            ) &&
            Array.isArray(x.wills) &&
            x.wills.every((w: any) => w && rwillOk(w) && w.will !== undefined),
        ),
      };
    case F.Rebalance:
      return {
        type,
        body: json<RebalanceBody>(
          body,
          (x) =>
            ['load?', 'load', 'evict', 'stop'].includes(x.op) &&
            (x.round === undefined || num(x.round)) &&
            (x.conns === undefined || num(x.conns)) &&
            (x.rate === undefined || (num(x.rate) && x.rate > 0)) &&
            (x.waitMs === undefined || num(x.waitMs)) &&
            (x.holdMs === undefined || num(x.holdMs)) &&
            (x.to === undefined || strs(x.to)),
        ),
      };
    case F.ROut:
      return {
        type,
        body: json<ROutBody>(
          body,
          (x) => str(x.clientId) && pids([x.pid]) && stepOk(x.step) && (x.mid === undefined || str(x.mid)),
        ),
      };
    case F.Seq: {
      if (body.length < 5 || body[4] === F.Seq) throw new FrameError('bad sequenced frame');
      return { type, seq: body.readUInt32BE(0), inner: decode(body.subarray(4), now) };
    }
    case F.Relay:
      return decodeRelay(body, (raw) => decode(raw, now));
    case F.Forward:
    case F.Retain: {
      try {
        return decodeMessage(type, body, now);
      } catch (e) {
        if (e instanceof FrameError) throw e;
        throw new FrameError('truncated message frame');
      }
    }
    default:
      throw new FrameError(`unknown frame type ${type}`);
  }
}
