// The Relay frame of the core/replicant roles (replicant.ts): [u16 n][JSON RelayHeader][inner frame without
// its length]. Its decoder takes the protocol's own decoder for the inner frame (peer-protocol.ts).

import { F, FrameError, type Frame, type RelayHeader } from './peer-frames.ts';

/** `inner` is an encoded frame (with its length); the header says from or to whom. */
export function encodeRelay(head: RelayHeader, inner: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(head));
  const out = Buffer.allocUnsafe(4 + 1 + 2 + h.length + inner.length - 4);
  out.writeUInt32BE(out.length - 4, 0);
  out[4] = F.Relay;
  out.writeUInt16BE(h.length, 5);
  h.copy(out, 7);
  inner.copy(out, 7 + h.length, 4);
  return out;
}

const str = (v: unknown): v is string => typeof v === 'string';
const target = (t: unknown) =>
  Array.isArray(t) && t.length === 2 && str(t[0]) && Array.isArray(t[1]) && t[1].every(str);

/** The body of a Relay frame (after its type byte); `decode` decodes the inner frame. */
export function decodeRelay(body: Buffer, decode: (raw: Buffer) => Frame): Frame {
  if (body.length < 3) throw new FrameError('short relay frame');
  const n = body.readUInt16BE(0);
  if (2 + n >= body.length) throw new FrameError('relay header overruns frame');
  let head: RelayHeader;
  try {
    head = JSON.parse(body.toString('utf8', 2, 2 + n));
  } catch {
    throw new FrameError('bad JSON');
  }
  const ok =
    typeof head === 'object' &&
    head !== null &&
    str(head.from) &&
    (head.to === undefined || (Array.isArray(head.to) && head.to.every(target)));
  if (!ok) throw new FrameError('bad relay header');
  const raw = body.subarray(2 + n);
  if (raw[0] === F.Seq || raw[0] === F.Relay || raw[0] === F.Hello || raw[0] === F.Auth)
    throw new FrameError('bad relayed frame');
  return { type: F.Relay, head, inner: decode(raw), raw: Buffer.from(raw) };
}
