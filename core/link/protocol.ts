// The cluster-link protocol between two independent clusters (docs/cluster-linking.md): length-prefixed
// frames [u32 length][u8 type][body]. Control frames carry JSON; a message is [u32 seq][u16 header
// length][header JSON][payload]. Anything malformed closes the link; decode() never throws further
// than LinkFrameError.

import type { MessageProperties, QoS } from '../message.ts';
import { FrameError, encodeJson, json } from '../cluster/peer-protocol.ts';

export const LINK_PROTOCOL_VERSION = 1;
const MAX_FRAME = 64 * 1024 * 1024;

export enum L {
  /** Dialer → acceptor: who dials, and a nonce for the acceptor's proof. */
  Hello = 1,
  /** Acceptor → dialer: its cluster, its nonce, its proof over the dialer's nonce. */
  Challenge = 2,
  /** Dialer → acceptor: its proof over the acceptor's nonce. */
  Proof = 3,
  /** Acceptor → dialer: the last message seq of this session it took, and its cluster's filters. */
  Welcome = 4,
  /** Acceptor → dialer: filters its cluster subscribes to now, or no more. */
  Routes = 5,
  Msg = 6,
  /** Acceptor → dialer: every message up to seq was published in its cluster. */
  Ack = 7,
  Ping = 8,
  /** Either side: why the link is refused (the other side logs it), then the close. */
  Reject = 9,
}

export interface HelloBody {
  v: number;
  /** The dialer's cluster and node; `session` changes at each start of the dialer (its sequence restarts). */
  cluster: string;
  node: string;
  session: string;
  nonce: string;
}
export interface ChallengeBody {
  cluster: string;
  node: string;
  nonce: string;
  proof: string;
}
export interface ProofBody {
  proof: string;
}
export interface WelcomeBody {
  acked: number;
  filters: string[];
}
export interface RoutesBody {
  add: string[];
  del: string[];
}
export interface AckBody {
  seq: number;
}
export interface RejectBody {
  reason: string;
}

/** A message as it crosses a link: what the receiving cluster publishes. */
export interface LinkMsg {
  seq: number;
  /** The cluster where it was published (the only one that sends it over links). */
  origin: string;
  /** Its id in the origin cluster. */
  mid: string;
  topic: string;
  qos: QoS;
  payload: Buffer;
  /** Remaining message expiry, ms. */
  ttl?: number;
  props?: MessageProperties;
  /** Sent before on an earlier connection that ended without its acknowledgement. */
  resend?: boolean;
}

export type LinkFrame =
  | { type: L.Hello; body: HelloBody }
  | { type: L.Challenge; body: ChallengeBody }
  | { type: L.Proof; body: ProofBody }
  | { type: L.Welcome; body: WelcomeBody }
  | { type: L.Routes; body: RoutesBody }
  | { type: L.Msg; msg: LinkMsg }
  | { type: L.Ack; body: AckBody }
  | { type: L.Ping }
  | { type: L.Reject; body: RejectBody };

/** Anything malformed on a link (the peer protocol's error: the link closes). */
export { FrameError as LinkFrameError };

/** A control frame: the peer protocol's JSON frame with a link frame type. */
export function encodeLink(type: Exclude<L, L.Msg>, body: unknown = {}): Buffer {
  return encodeJson(type as number, body);
}

interface MsgHeader {
  o: string;
  m: string;
  t: string;
  q: QoS;
  e?: number;
  p?: Omit<MessageProperties, 'correlationData'> & { cd?: string };
  r?: 1;
}

export function encodeLinkMsg(m: LinkMsg): Buffer {
  const h: MsgHeader = { o: m.origin, m: m.mid, t: m.topic, q: m.qos };
  if (m.ttl !== undefined) h.e = m.ttl;
  if (m.props) {
    const { correlationData, ...rest } = m.props;
    h.p = correlationData ? { ...rest, cd: correlationData.toString('base64') } : rest;
  }
  if (m.resend) h.r = 1;
  const head = Buffer.from(JSON.stringify(h));
  const out = Buffer.allocUnsafe(4 + 1 + 4 + 2 + head.length + m.payload.length);
  out.writeUInt32BE(out.length - 4, 0);
  out[4] = L.Msg;
  out.writeUInt32BE(m.seq, 5);
  out.writeUInt16BE(head.length, 9);
  head.copy(out, 11);
  m.payload.copy(out, 11 + head.length);
  return out;
}

/** Cuts a byte stream into frames. */
export class LinkReader {
  private buf: Buffer | null = null;

  push(chunk: Buffer, out: LinkFrame[]): void {
    const b = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    let o = 0;
    while (b.length - o >= 4) {
      const len = b.readUInt32BE(o);
      if (len < 1 || len > MAX_FRAME) throw new FrameError(`bad frame length ${len}`);
      if (b.length - o - 4 < len) break;
      out.push(decodeLink(b.subarray(o + 4, o + 4 + len)));
      o += 4 + len;
    }
    this.buf = o < b.length ? Buffer.from(b.subarray(o)) : null;
  }
}

const str = (v: unknown): v is string => typeof v === 'string';
const int = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const strs = (v: unknown): v is string[] => Array.isArray(v) && v.every(str);

/** One frame (type byte and body); throws LinkFrameError on anything malformed. */
export function decodeLink(f: Buffer): LinkFrame {
  const body = f.subarray(1);
  switch (f[0]) {
    case L.Hello:
      return {
        type: L.Hello,
        body: json(body, (x) => int(x.v) && str(x.cluster) && str(x.node) && str(x.session) && str(x.nonce)),
      };
    case L.Challenge:
      return {
        type: L.Challenge,
        body: json(body, (x) => str(x.cluster) && str(x.node) && str(x.nonce) && str(x.proof)),
      };
    case L.Proof:
      return { type: L.Proof, body: json(body, (x) => str(x.proof)) };
    case L.Welcome:
      return { type: L.Welcome, body: json(body, (x) => int(x.acked) && strs(x.filters)) };
    case L.Routes:
      return { type: L.Routes, body: json(body, (x) => strs(x.add) && strs(x.del)) };
    case L.Ack:
      return { type: L.Ack, body: json(body, (x) => int(x.seq)) };
    case L.Ping:
      return { type: L.Ping };
    case L.Reject:
      return { type: L.Reject, body: json(body, (x) => str(x.reason)) };
    case L.Msg:
      return { type: L.Msg, msg: decodeMsg(body) };
    default:
      throw new FrameError(`unknown frame type ${f[0]}`);
  }
}

function decodeMsg(b: Buffer): LinkMsg {
  if (b.length < 6) throw new FrameError('short message');
  const seq = b.readUInt32BE(0);
  const hl = b.readUInt16BE(4);
  if (b.length < 6 + hl) throw new FrameError('short message header');
  const h = json<MsgHeader>(
    b.subarray(6, 6 + hl),
    (x) =>
      str(x.o) &&
      str(x.m) &&
      str(x.t) &&
      x.t.length > 0 &&
      (x.q === 0 || x.q === 1 || x.q === 2) &&
      (x.e === undefined || int(x.e)) &&
      (x.p === undefined || (typeof x.p === 'object' && x.p !== null)),
  ) as MsgHeader;
  const m: LinkMsg = {
    seq,
    origin: h.o,
    mid: h.m,
    topic: h.t,
    qos: h.q,
    payload: Buffer.from(b.subarray(6 + hl)),
  };
  if (h.e !== undefined) m.ttl = h.e;
  if (h.p) {
    const { cd, ...rest } = h.p;
    m.props = cd !== undefined ? { ...rest, correlationData: Buffer.from(String(cd), 'base64') } : rest;
  }
  if (h.r) m.resend = true;
  return m;
}

/** The proof that `prover` (a cluster) knows the link's secret, over the verifier's nonce. */
export function linkProof(
  hmac: (key: string, data: string) => string,
  secret: string,
  nonce: string,
  prover: string,
  verifier: string,
): string {
  return hmac(secret, `mqttlab-link|${nonce}|${prover}|${verifier}`);
}
