// A message as it travels in JSON frames (handoffs, orphans, replicated wills): the payload in
// base64, the expiry as time left, properties as JSON.

import type { Message, QoS } from '../message.ts';
import { FrameError, type WireMessage } from './peer-frames.ts';

export function toWire(msg: Message, now: number, dq?: QoS, sentAs?: number): WireMessage {
  const w: WireMessage = {
    topic: msg.topic,
    payload: msg.payload.toString('base64'),
    qos: msg.qos,
    retain: msg.retain,
    from: msg.from,
    receivedAt: msg.receivedAt,
  };
  if (msg.expiresAt !== undefined) w.expiresIn = Math.max(0, msg.expiresAt - now);
  if (msg.props) w.props = JSON.parse(JSON.stringify(msg.props, propReplacer));
  if (dq !== undefined) w.dq = dq;
  if (msg.mid !== undefined) w.mid = msg.mid;
  if (sentAs !== undefined) w.sentAs = sentAs;
  return w;
}

/**
 * A message a failed peer never confirmed, with the share groups its forward was for and the epoch of the
 * peer's subscriptions its sender knew (orphans).
 */
export function toOrphanWire(
  msg: Message,
  groups: readonly string[] | undefined,
  now: number,
  known?: number,
): WireMessage {
  const w = toWire(msg, now);
  if (groups?.length) w.groups = [...groups];
  if (known !== undefined) w.known = known;
  return w;
}

export function fromWire(w: WireMessage, now: number): Message {
  const m: Message = {
    topic: String(w.topic),
    payload: Buffer.from(String(w.payload), 'base64'),
    qos: (w.qos & 3) as QoS,
    retain: !!w.retain,
    from: String(w.from),
    receivedAt: Number(w.receivedAt),
  };
  if (typeof w.expiresIn === 'number') m.expiresAt = now + w.expiresIn;
  if (w.props) m.props = parseProps(JSON.stringify(w.props));
  if (typeof w.mid === 'string') m.mid = w.mid;
  return m;
}

/** correlationData is a Buffer: carry it as base64 inside the props JSON. */
export function propReplacer(this: unknown, k: string, v: unknown): unknown {
  if (k === 'correlationData' && v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') {
    return { b64: Buffer.from((v as { data: number[] }).data).toString('base64') };
  }
  return v;
}

export function parseProps(s: string): Message['props'] {
  let p: any;
  try {
    p = JSON.parse(s);
  } catch {
    throw new FrameError('bad properties');
  }
  if (typeof p !== 'object' || p === null) throw new FrameError('bad properties');
  if (p.correlationData && typeof p.correlationData.b64 === 'string')
    p.correlationData = Buffer.from(p.correlationData.b64, 'base64');
  return p;
}
