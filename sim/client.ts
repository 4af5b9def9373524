// A simulated MQTT client built on the same codec as the broker. It
// connects (directly or through a load balancer), subscribes, publishes,
// acknowledges, resends unacknowledged QoS 1/2 with DUP after reconnecting,
// reconnects with jittered backoff, and records every operation and every
// delivery into the history: the checkers judge the run from these lines.

import mqttPacket from 'mqtt-packet';
import { decodePublish311, encodePublish311 } from '../core/publish-codec.ts';
import type { Packet, IPublishPacket } from 'mqtt-packet';
import type { SimKernel } from './kernel.ts';
import type { ClientConfigEvent, ClientEvent, ProtocolViolationEvent, PubInvokeEvent } from './events.ts';
import type { SimHost } from './host.ts';
import type { SimSocket, StreamEndpoint, CloseReason } from './network.ts';
import type { Rng } from './rng.ts';
import type { QoS } from '../core/message.ts';
import type { Timer } from '../core/env.ts';
import { ClientGuard, wireSize, type ProtocolViolation } from './client-guard.ts';

export interface ClientOptions {
  /** Where to connect: a node name, a load balancer name, or several nodes tried in turn. */
  target: string | string[];
  /** Host the client runs on (default: its own host named after the client id). */
  host?: string;
  version?: 3 | 4 | 5;
  clean?: boolean;
  /** v5 Session Expiry Interval, seconds (default 0 with clean, 0xFFFFFFFF without). */
  sessionExpiry?: number;
  keepalive?: number;
  /** Reconnect backoff; false = stay disconnected. */
  reconnect?: { minMs: number; maxMs: number } | false;
  /** Subscribed on every connect whose session is not present. */
  subscriptions?: { filter: string; qos: QoS }[];
  will?: { topic: string; payload: string; qos: QoS; retain?: boolean; delay?: number };
  /** Connect as soon as created (default true). */
  autoConnect?: boolean;
  username?: string;
  password?: string;
  /** v5 Maximum Packet Size sent in CONNECT; a bigger packet from the server is a protocol violation. */
  maximumPacketSize?: number;
}

type OptionalKeys = 'will' | 'host' | 'username' | 'password' | 'maximumPacketSize';
/** Client options with the defaults filled in. */
export type ResolvedClientOptions = Required<Omit<ClientOptions, OptionalKeys>> &
  Pick<ClientOptions, OptionalKeys>;

/** The defaults both the simulated and the live client apply. */
export function resolveClientOptions(opts: ClientOptions): ResolvedClientOptions {
  const clean = opts.clean ?? true;
  return {
    version: 4,
    clean,
    sessionExpiry: clean ? 0 : 0xffffffff,
    keepalive: 60,
    reconnect: { minMs: 1000, maxMs: 30_000 },
    subscriptions: [],
    autoConnect: true,
    ...opts,
  };
}

/** Options of a scenario publish; `clear` (with retain) sends the empty payload that deletes a retained message. */
export interface PublishOptions {
  retain?: boolean;
  size?: number;
  payload?: string;
  clear?: boolean;
}

/** The payload a scenario publisher sends: its message id, then `|` and the payload or padding to `size` bytes. */
export function messageBody(id: string, opts: PublishOptions): string {
  if (opts.clear) return '';
  return opts.payload !== undefined
    ? `${id}|${opts.payload}`
    : opts.size
      ? `${id}|`.padEnd(opts.size, '.')
      : id;
}

/**
 * The `client.config` history event: what the checkers need to know of a
 * client (session expiry, will) to judge its session and will.
 */
export function clientConfigEvent(
  id: string,
  o: ClientOptions & { version: number; clean: boolean; sessionExpiry: number; keepalive: number },
): ClientConfigEvent {
  const ev: ClientConfigEvent = {
    type: 'client.config',
    c: id,
    version: o.version,
    clean: o.clean,
    expiry: o.version === 5 ? o.sessionExpiry : o.clean ? 0 : 0xffffffff,
    keepalive: o.keepalive,
  };
  if (o.host) ev.h = o.host;
  if (o.will)
    ev.will = {
      topic: o.will.topic,
      qos: o.will.qos,
      delay: o.version === 5 ? (o.will.delay ?? 0) : 0,
      id: payloadId(Buffer.from(o.will.payload)),
    };
  return ev;
}

/** A strict client's answer to a server that broke the protocol: recorded, then the connection is dropped. */
export function violationEvent(
  id: string,
  host: string | undefined,
  node: string | null,
  pv: ProtocolViolation,
): ProtocolViolationEvent {
  // Field order as the history hash has it: the host comes before the violation.
  const head: Pick<ProtocolViolationEvent, 'type' | 'c' | 'h'> = { type: 'protocol-violation', c: id };
  if (host) head.h = host;
  return Object.assign(head, { kind: pv.kind, rule: pv.rule, detail: pv.detail, node });
}

/** The message id a simulated publisher puts in front of its payload (`client:seq|...`); else the payload's first 64 bytes. */
export function payloadId(payload: Buffer): string {
  const bar = payload.indexOf(0x7c);
  return payload.toString('latin1', 0, bar < 0 ? Math.min(64, payload.length) : bar);
}

const PINGREQ = Buffer.from([0xc0, 0x00]);
const ACK_FIRST_BYTE: Partial<Record<string, number>> = {
  puback: 0x40,
  pubrec: 0x50,
  pubrel: 0x62,
  pubcomp: 0x70,
};

/** Whether `b` is exactly one whole MQTT packet (fixed header's Remaining Length matches). */
function onePacket(b: Buffer): boolean {
  let rem = 0;
  let mul = 1;
  for (let i = 1; i < 5 && i < b.length; i++) {
    rem += (b[i] & 0x7f) * mul;
    if ((b[i] & 0x80) === 0) return i + 1 + rem === b.length;
    mul *= 128;
  }
  return false;
}
const ACKS: Record<number, 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'> = {
  0x40: 'puback',
  0x50: 'pubrec',
  0x62: 'pubrel',
  0x70: 'pubcomp',
};

/**
 * One connection attempt's transport endpoint (a class, not an object of
 * three arrow functions: under tsx each named closure was a dictionary-mode
 * object of ~250 bytes, per connection).
 */
class Attempt implements StreamEndpoint {
  constructor(private readonly client: SimClient) {}
  onOpen(sock: SimSocket): void {
    if (this.client.attempt === this) this.client.onOpen(sock);
    else sock.reset();
  }
  onData(bytes: Buffer): void {
    if (this.client.attempt === this) this.client.onData(bytes);
  }
  onClose(reason: CloseReason): void {
    if (this.client.attempt === this) this.client.onClose(reason);
  }
}

type OutState = { pkt: IPublishPacket; id: string; state: 'publish' | 'pubrel' };

export class SimClient implements StreamEndpoint {
  state: 'idle' | 'connecting' | 'connected' | 'closed' = 'idle';
  readonly host: SimHost;
  readonly opts: ResolvedClientOptions;
  /** Judges every packet from the server as a strict client would. */
  private guard: ClientGuard;
  private sock: SimSocket | null = null;
  /**
   * The streaming parser, made when a segment needs it and dropped once it
   * holds nothing (a fresh parser is in the same state): a connected client
   * keeps none (~1.6 KB each: the parser, its buffer list stream and their
   * listeners; 100,000 clients kept 160 MB).
   */
  private parser: ReturnType<typeof mqttPacket.parser> | null = null;
  /** The parser holds the start of an incomplete packet. */
  private partial = false;
  private rng: Rng;
  private seq = 0;
  private nextPid = 1;
  private outbound = new Map<number, OutState>();
  private offline: { pkt: IPublishPacket; id: string }[] = [];
  private rxQos2 = new Set<number>();
  private attempts = 0;
  private targetIdx = 0;
  private kaTimer: Timer | null = null;
  private reconnectTimer: Timer | null = null;
  private lastTx = 0;
  private pingOutstanding = false;
  private wantConnected = false;
  /** The transport endpoint of the current connection attempt; callbacks from older attempts are ignored. */
  attempt: StreamEndpoint | null = null;
  /** Node the current connection landed on. */
  node: string | null = null;
  connects = 0;
  /** Deliveries in arrival order (payload ids), for tests. */
  readonly received: { id: string; topic: string; qos: QoS; dup: boolean; retain: boolean }[] = [];
  readonly acked = new Set<string>();
  onMessage: ((topic: string, payload: Buffer, pkt: IPublishPacket) => void) | null = null;

  constructor(
    readonly world: SimKernel,
    readonly id: string,
    opts: ClientOptions,
  ) {
    this.opts = resolveClientOptions(opts);
    this.host = world.host(opts.host ?? id, true);
    this.rng = world.rng(`client/${id}`);
    this.guard = new ClientGuard(this.opts.clean, this.opts.version, {
      maximumPacketSize: opts.maximumPacketSize,
    });
    world.record(clientConfigEvent(id, this.opts));
    if (this.opts.autoConnect) this.connect();
  }

  /**
   * A parser for the next connection. Packets a replaced parser still emits
   * (the rest of a segment after the connection was dropped mid-segment, as
   * on a protocol violation) are ignored.
   */
  private newParser(): ReturnType<typeof mqttPacket.parser> {
    const parser = mqttPacket.parser({ protocolVersion: this.opts.version });
    parser.on('packet', (p: Packet) => {
      if (parser === this.parser) this.onPacket(p);
    });
    parser.on('error', (e: Error) => {
      if (parser !== this.parser) return;
      this.rec({ type: 'client.error', c: this.id, error: e.message });
      this.sock?.reset();
    });
    return parser;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Records a client event; a client sharing its id with another process (own host) names its host. */
  private rec(ev: ClientEvent): void {
    if (this.opts.host) ev.h = this.opts.host;
    this.world.record(ev);
  }

  get inflight(): number {
    return this.outbound.size + this.offline.length;
  }

  connect(): void {
    this.wantConnected = true;
    if (this.state === 'connecting' || this.state === 'connected') return;
    this.reconnectTimer?.cancel();
    this.reconnectTimer = null;
    const targets = Array.isArray(this.opts.target) ? this.opts.target : [this.opts.target];
    const target = targets[this.targetIdx++ % targets.length];
    this.state = 'connecting';
    this.rec({ type: 'client.connect', c: this.id, target });
    // One endpoint per attempt: an attempt abandoned by kill() or disconnect() while
    // connecting must neither connect later nor close a newer connection.
    const attempt = new Attempt(this);
    this.attempt = attempt;
    this.world.dial(this.host, target, attempt, this.id);
  }

  /** Graceful DISCONNECT; no reconnect. */
  disconnect(reasonCode = 0): void {
    this.wantConnected = false;
    this.reconnectTimer?.cancel();
    if (this.state === 'connected') {
      this.send({ cmd: 'disconnect', reasonCode } as Packet);
      this.rec({ type: 'client.disconnect', c: this.id, rc: reasonCode });
    }
    this.sock?.close();
    this.closed('client');
  }

  /** The client process dies: socket reset, no DISCONNECT, no reconnect. */
  kill(): void {
    this.wantConnected = false;
    this.reconnectTimer?.cancel();
    this.rec({ type: 'client.kill', c: this.id });
    this.sock?.reset();
    this.closed('killed');
  }

  subscribe(filter: string, qos: QoS): void {
    if (!this.opts.subscriptions.some((s) => s.filter === filter))
      this.opts.subscriptions.push({ filter, qos });
    if (this.connected) this.sendSubscribe([{ filter, qos }]);
  }

  /** Publishes a message whose payload starts with a unique id `client:seq`; returns that id. */
  publish(topic: string, qos: QoS, opts: PublishOptions = {}): string {
    const id = `${this.id}:${++this.seq}`;
    const pkt: IPublishPacket = {
      cmd: 'publish',
      topic,
      payload: Buffer.from(messageBody(id, opts)),
      qos,
      retain: !!opts.retain,
      dup: false,
    };
    const ev: PubInvokeEvent = { type: 'pub.invoke', c: this.id, id, topic, qos, retain: !!opts.retain };
    if (opts.clear) ev.clear = true;
    this.rec(ev);
    if (this.connected) this.sendPublish(pkt, id);
    else this.offline.push({ pkt, id });
    return id;
  }

  // ---- transport ------------------------------------------------------

  onOpen(sock: SimSocket): void {
    this.sock = sock;
    this.node = sock.peer.host.name;
    this.guard.opened();
    const o = this.opts;
    const connect: any = {
      cmd: 'connect',
      protocolId: o.version === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: o.version,
      clientId: this.id,
      clean: o.clean,
      keepalive: o.keepalive,
    };
    if (o.version === 5) connect.properties = { sessionExpiryInterval: o.sessionExpiry };
    if (o.version === 5 && o.maximumPacketSize) connect.properties.maximumPacketSize = o.maximumPacketSize;
    if (o.username !== undefined) connect.username = o.username;
    if (o.password !== undefined) connect.password = Buffer.from(o.password);
    if (o.will) {
      connect.will = {
        topic: o.will.topic,
        payload: Buffer.from(o.will.payload),
        qos: o.will.qos,
        retain: !!o.will.retain,
      };
      if (o.version === 5 && o.will.delay) connect.will.properties = { willDelayInterval: o.will.delay };
    }
    this.send(connect);
  }

  onData(bytes: Buffer): void {
    // A whole 4-byte ack in one segment skips the general parser (the benchmark's hot path).
    if (!this.partial && bytes.length === 4 && bytes[1] === 2) {
      const cmd = ACKS[bytes[0]];
      const pid = bytes.readUInt16BE(2);
      if (cmd !== undefined && pid !== 0) {
        this.onPacket({ cmd, messageId: pid } as Packet);
        return;
      }
    }
    if (!this.partial && bytes.length === 2 && bytes[0] === 0xd0 && bytes[1] === 0) {
      this.pingOutstanding = false;
      return;
    }
    // A segment holding exactly one 3.1.1 PUBLISH (the usual case) skips the streaming parser.
    if (!this.partial && this.opts.version < 5 && bytes[0] >> 4 === 3 && onePacket(bytes)) {
      const p = decodePublish311(bytes);
      if (p) {
        this.onPacket(p);
        return;
      }
    }
    const parser = (this.parser ??= this.newParser());
    const left = parser.parse(bytes);
    this.partial = left > 0;
    // Nothing held: the next segment may start on a fresh parser. (A parser
    // left with an error resets itself on its next parse, as a fresh one is.)
    if (left === 0 && this.parser === parser) this.parser = null;
  }

  onClose(reason: CloseReason): void {
    this.closed(reason);
  }

  private closed(reason: string): void {
    if (this.state === 'closed' || this.state === 'idle') {
      if (reason !== 'client' && reason !== 'killed') this.scheduleReconnect();
      return;
    }
    const was = this.state;
    this.state = 'closed';
    this.attempt = null;
    this.sock = null;
    this.kaTimer?.cancel();
    this.kaTimer = null;
    this.pingOutstanding = false;
    this.rec({ type: 'client.closed', c: this.id, reason, node: this.node, was });
    this.parser = null;
    this.partial = false;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const r = this.opts.reconnect;
    if (!r || !this.wantConnected || this.reconnectTimer) return;
    const base = Math.min(r.maxMs, r.minMs * 2 ** Math.min(this.attempts++, 16));
    const delay = base / 2 + this.rng.next() * (base / 2);
    this.reconnectTimer = this.host.setTimer(delay, () => {
      this.reconnectTimer = null;
      if (this.wantConnected && this.state !== 'connected' && this.state !== 'connecting') this.connect();
    });
  }

  private send(p: Packet): void {
    if (!this.sock) return;
    this.guard.sent(p);
    this.lastTx = this.host.now();
    const ack = ACK_FIRST_BYTE[p.cmd];
    if (
      ack !== undefined &&
      (p as { reasonCode?: number }).reasonCode === undefined &&
      !(p as { properties?: unknown }).properties
    ) {
      // The same bytes mqtt-packet generates: 4 bytes, or 6 with reason code 0 and no properties in v5.
      const pid = (p as { messageId: number }).messageId;
      this.sock.write(
        this.opts.version < 5
          ? Buffer.from([ack, 2, pid >> 8, pid & 0xff])
          : Buffer.from([ack, 4, pid >> 8, pid & 0xff, 0, 0]),
      );
      return;
    }
    if (p.cmd === 'publish' && this.opts.version < 5 && Buffer.isBuffer(p.payload)) {
      this.sock.write(encodePublish311(p.topic, p.payload, p.qos, p.retain, p.dup, p.messageId ?? 0));
      return;
    }
    this.sock.write(mqttPacket.generate(p, { protocolVersion: this.opts.version }));
  }

  // ---- protocol -------------------------------------------------------

  private onPacket(p: Packet, size?: number): void {
    const rem = (p as { length?: number }).length;
    const bad = this.guard.received(p, size ?? (rem === undefined ? undefined : wireSize(rem)));
    if (bad) return this.protocolError(bad);
    switch (p.cmd) {
      case 'connack':
        return this.onConnack(p.sessionPresent, (p.reasonCode ?? p.returnCode ?? 0) as number);
      case 'publish':
        return this.onPublish(p);
      case 'puback':
        return this.done(p.messageId!, 1, p.reasonCode ?? 0);
      case 'pubrec': {
        const o = this.outbound.get(p.messageId!);
        if (!o) return;
        if ((p.reasonCode ?? 0) >= 0x80) return this.done(p.messageId!, 2, p.reasonCode!);
        o.state = 'pubrel';
        this.send({ cmd: 'pubrel', messageId: p.messageId });
        return;
      }
      case 'pubcomp':
        return this.done(p.messageId!, 2, p.reasonCode ?? 0);
      case 'pubrel':
        this.rxQos2.delete(p.messageId!);
        this.send({ cmd: 'pubcomp', messageId: p.messageId });
        return;
      case 'suback':
        this.rec({ type: 'sub.ok', c: this.id, granted: (p.granted as number[]).join(',') });
        return;
      case 'pingresp':
        this.pingOutstanding = false;
        return;
      case 'disconnect':
        this.rec({ type: 'client.server-disconnect', c: this.id, rc: p.reasonCode ?? 0 });
        return;
      default:
        return;
    }
  }

  /**
   * The server broke the protocol: recorded, and the connection dropped as
   * strict clients do (HiveMQ's client sends DISCONNECT 0x82 Protocol Error
   * in v5 and closes; in 3.1.1 the only answer is closing [MQTT-4.8.0-1]).
   * The packet is not processed. The client then reconnects by its policy.
   */
  private protocolError(pv: ProtocolViolation): void {
    this.world.record(violationEvent(this.id, this.opts.host, this.node, pv));
    const sock = this.sock;
    if (this.opts.version === 5) this.send({ cmd: 'disconnect', reasonCode: 0x82 } as Packet);
    this.closed('protocol-error');
    sock?.close();
  }

  private onConnack(present: boolean, rc: number): void {
    if (rc !== 0) {
      this.rec({ type: 'client.connack', c: this.id, rc, node: this.node });
      this.sock?.close();
      this.closed('rejected');
      return;
    }
    this.state = 'connected';
    this.connects++;
    this.attempts = 0;
    // A new session [MQTT-3.2.2-5]: the old one's unreleased QoS 2 packet ids mean nothing now.
    if (!present) this.rxQos2.clear();
    this.rec({ type: 'client.connack', c: this.id, rc, present, node: this.node });
    this.armKeepalive();
    if (!present && this.opts.subscriptions.length) this.sendSubscribe(this.opts.subscriptions);
    // Unacknowledged publishes are resent with DUP [MQTT-4.4.0-1]; a new session has no
    // state for them, so they are sent again as new (at-least-once on our side).
    for (const [pid, o] of this.outbound) {
      if (o.state === 'pubrel' && present) this.send({ cmd: 'pubrel', messageId: pid });
      else {
        o.state = 'publish';
        this.send({ ...o.pkt, messageId: pid, dup: true });
      }
    }
    const q = this.offline;
    this.offline = [];
    for (const { pkt, id } of q) this.sendPublish(pkt, id);
  }

  private sendSubscribe(subs: { filter: string; qos: QoS }[]): void {
    this.rec({ type: 'sub.invoke', c: this.id, filters: subs.map((s) => s.filter).join(',') });
    this.send({
      cmd: 'subscribe',
      messageId: this.allocPid(),
      subscriptions: subs.map((s) => ({ topic: s.filter, qos: s.qos })),
    });
  }

  private sendPublish(pkt: IPublishPacket, id: string): void {
    if (pkt.qos === 0) {
      this.send(pkt);
      this.rec({ type: 'pub.ok', c: this.id, id });
      return;
    }
    const pid = this.allocPid();
    this.outbound.set(pid, { pkt, id, state: 'publish' });
    this.send({ ...pkt, messageId: pid });
  }

  private done(pid: number, qos: 1 | 2, rc: number): void {
    const o = this.outbound.get(pid);
    if (!o || o.pkt.qos !== qos) return;
    this.outbound.delete(pid);
    if (rc >= 0x80) this.rec({ type: 'pub.fail', c: this.id, id: o.id, rc });
    else {
      this.acked.add(o.id);
      this.rec({ type: 'pub.ok', c: this.id, id: o.id, node: this.node });
    }
  }

  private onPublish(p: IPublishPacket): void {
    const payload = p.payload as Buffer;
    const id = payloadId(payload);
    const pid = p.messageId ?? 0;
    if (p.qos === 2) {
      if (this.rxQos2.has(pid)) {
        this.send({ cmd: 'pubrec', messageId: pid });
        return;
      }
      this.rxQos2.add(pid);
    }
    this.received.push({ id, topic: p.topic, qos: p.qos, dup: p.dup, retain: p.retain });
    this.rec({
      type: 'deliver',
      c: this.id,
      id,
      topic: p.topic,
      qos: p.qos,
      dup: p.dup,
      retain: p.retain,
      node: this.node,
    });
    this.onMessage?.(p.topic, payload, p);
    if (p.qos === 1) this.send({ cmd: 'puback', messageId: pid });
    else if (p.qos === 2) this.send({ cmd: 'pubrec', messageId: pid });
  }

  /**
   * Keep alive [MQTT-3.1.2-23]: a PINGREQ when nothing was sent for a whole
   * keep-alive period, timed from the last packet sent (not from the last
   * check, which would leave gaps of up to 2 K and get a healthy client cut
   * off by the broker's 1.5 K limit).
   */
  private armKeepalive(delayMs = this.opts.keepalive * 1000): void {
    const ka = this.opts.keepalive;
    if (ka <= 0) return;
    this.kaTimer = this.host.setTimer(delayMs, () => {
      this.kaTimer = null;
      if (this.state !== 'connected') return;
      if (this.pingOutstanding) {
        // No PINGRESP within a keep-alive period: the connection is dead.
        this.rec({ type: 'client.keepalive-timeout', c: this.id, node: this.node });
        const sock = this.sock;
        this.closed('keepalive');
        sock?.reset();
        return;
      }
      const idle = this.host.now() - this.lastTx;
      if (idle >= ka * 1000 - 1) {
        this.pingOutstanding = true;
        if (this.sock) {
          this.lastTx = this.host.now();
          this.sock.write(PINGREQ);
        }
        this.armKeepalive();
      } else this.armKeepalive(ka * 1000 - idle);
    });
  }

  private allocPid(): number {
    for (;;) {
      const pid = this.nextPid;
      this.nextPid = pid === 65535 ? 1 : pid + 1;
      if (!this.outbound.has(pid)) return pid;
    }
  }
}
