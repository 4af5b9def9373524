// One client network connection: bytes in → packets → handlers; packets
// out → bytes. Owns what dies with the socket: protocol version, keep
// alive, topic aliases, the client's limits. Everything that survives a
// reconnect lives in Session.

import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import type { ByteSink, Timer } from './env.ts';
import type { BrokerApi, CloseCause } from './broker-api.ts';
import type { Session, Delivery, SessionOutlet } from './session.ts';
import { Framer, FrameError } from './framer.ts';
import { checkPacket } from './packet-check.ts';
import { mayHaveBadUtf8, stringsValid } from './raw-strings.ts';
import { RC } from './reason-codes.ts';
import { ACKS, cachedPublish, decodePublish311, encodeAck, publishPacket } from './publish-codec.ts';
import { PubAcks, type PubAckCmd } from './pub-acks.ts';
import { decodeConnect311 } from './connect-codec.ts';
import { handleConnect } from './handlers/connect.ts';
import { handlePublish, handlePubrel } from './handlers/publish.ts';
import { handleSubscribe, handleUnsubscribe } from './handlers/subscribe.ts';
import type { Identity } from './auth.ts';
import { TokenBucket } from './rate-limit.ts';

/** 'auth': CONNECT received, waiting for the authenticator; later packets are held until it answers. */
export type ConnState = 'new' | 'auth' | 'connected' | 'closed';

/** Packets a client may send behind its CONNECT while authentication runs (more closes the connection). */
const MAX_HELD_PACKETS = 256;

const PINGREQ = { cmd: 'pingreq' } as Packet;
const PINGRESP = Buffer.from([0xd0, 0x00]);

type ParserSettings = { protocolVersion: number; bridgeMode?: boolean };
/** Parser settings of plain 3.1, 3.1.1 and 5.0 clients, shared by their connections. */
const PARSER_SETTINGS: Record<number, ParserSettings | undefined> = {
  3: { protocolVersion: 3 },
  4: { protocolVersion: 4 },
  5: { protocolVersion: 5 },
};

/** Every connection's timer callback: one function, the connection its argument (no closure per connection). */
function connectionTimer(c: Connection): void {
  c.onTimer();
}

export type { CloseCause };

export class Connection implements SessionOutlet {
  state: ConnState = 'new';
  version: 3 | 4 | 5 = 4;
  session: Session | null = null;
  clientId = '';
  keepalive = 0;
  lastRx = 0;
  /** The client's limits from CONNECT (v5), bounding what we send. */
  clientReceiveMaximum = 65535;
  clientMaxPacketSize = 268_435_460;
  clientTopicAliasMaximum = 0;
  /** v5 Request Problem Information: reason strings allowed on acks. */
  problemInfo = true;
  inAliases: Map<number, string> | null = null;
  /** Listener the transport accepted this on (its own connect-rate bucket). */
  listener = 'default';
  /** Verified TLS client certificate CN: the user name, no password asked. */
  certUser: string | undefined = undefined;
  /** Authenticated user name (undefined = anonymous): what the ACL sees. */
  username: string | undefined = undefined;
  private msgBucket: TokenBucket | null = null;
  /** ACL verdicts of recent publish topics: the rules are walked once per topic, not per message. */
  private pubVerdicts: Map<string, boolean> | null = null;
  /** Packets that arrived while the authenticator had not answered yet, replayed after CONNACK [MQTT-3.1.4-5]. */
  private held: Buffer[] | null = null;
  private heldBytes = 0;
  private outAliases: Map<string, number> | null = null;
  private timer: Timer | null = null;
  /** When the timer is due on the clock: one that fires much later found this process frozen (paused, stalled). */
  private timerDue = 0;
  private framer: Framer;
  /** The general parser, made on demand: an idle client (CONNECT done, nothing since) holds none (~1.6 KB each). */
  private parser: ReturnType<typeof mqttPacket.parser> | null = null;
  /** What mqtt-packet's parser reads from its settings, as the CONNECT left them (shared unless a bridge). */
  private parserSettings: ParserSettings = PARSER_SETTINGS[4]!;
  private pending: Packet | null = null;
  /** Cut off as a slow consumer: nothing more is written. */
  private slow = false;
  private parseError: string | null = null;

  /** The peer's address; see `remote`. */
  private remoteText: string | undefined;

  constructor(
    readonly broker: BrokerApi,
    private readonly sink: ByteSink,
    remote?: string,
  ) {
    this.remoteText = remote;
    this.framer = new Framer(broker.config.limits.maxPacketSize);
    this.lastRx = broker.env.clock.now();
    this.arm(broker.config.connectTimeoutMs);
  }

  /** The peer's address ("host:port"), asked of the transport on first use. */
  get remote(): string {
    return (this.remoteText ??= this.sink.peerAddress?.() ?? '');
  }

  /** Transport delivered bytes. */
  receive(bytes: Buffer): void {
    if (this.state === 'closed') return;
    this.lastRx = this.broker.env.clock.now();
    this.broker.stats.bytesIn += bytes.length;
    this.framer.push(bytes, this.onFrame, this);
    if (this.framer.error && (this.state as ConnState) !== 'closed') {
      if (this.framer.error === FrameError.TooLarge)
        this.protocolClose(RC.PacketTooLarge, 'packet exceeds Maximum Packet Size');
      else this.protocolClose(RC.MalformedPacket, 'bad Remaining Length');
    }
  }

  /** Transport closed underneath us (peer closed, reset, error). */
  transportClosed(): void {
    if (this.state !== 'closed') this.teardown('transport');
  }

  private onFrame(frame: Buffer): boolean {
    if (this.state === 'auth') return this.hold(frame);
    // The acks of the QoS flows are fixed 4-byte packets: decode them without the general parser.
    if (frame.length === 4 && frame[1] === 2 && this.state === 'connected') {
      const cmd = ACKS[frame[0]];
      const pid = frame.readUInt16BE(2);
      if (cmd !== undefined && pid !== 0) {
        this.broker.stats.packetsIn++;
        this.dispatch({ cmd, messageId: pid } as Packet);
        return (this.state as ConnState) !== 'closed';
      }
    }
    // PINGREQ is most of an idle connection's traffic.
    if (frame.length === 2 && frame[0] === 0xc0 && frame[1] === 0 && this.state === 'connected') {
      this.broker.stats.packetsIn++;
      this.dispatch(PINGREQ);
      return true;
    }
    // PUBLISH of 3.1.1 clients, the bulk of the traffic, and their CONNECT skip the general parser
    // (its per-byte debug calls, and a stream and buffer list made per connection).
    let p: Packet | null =
      this.state === 'connected'
        ? this.version < 5
          ? decodePublish311(frame)
          : null
        : this.state === 'new'
          ? decodeConnect311(frame)
          : null;
    if (p === null) {
      this.pending = null;
      this.parseError = null;
      const parser = this.parser ?? this.makeParser();
      parser.parse(frame);
      p = this.pending as Packet | null;
      this.pending = null;
      if (this.parseError !== null || p === null) {
        this.malformed(frame, this.parseError ?? 'unparseable packet');
        return false;
      }
    }
    if (p.cmd === 'connect') {
      // The parser takes its settings from this CONNECT; keep them, not a parser.
      const version = p.protocolVersion ?? 4;
      const bridgeMode = (p as { bridgeMode?: boolean }).bridgeMode;
      this.parserSettings = (bridgeMode === undefined && PARSER_SETTINGS[version]) || {
        protocolVersion: version,
        bridgeMode,
      };
      this.parser?.removeAllListeners();
      this.parser = null;
    }
    this.broker.stats.packetsIn++;
    const problem =
      checkPacket(p) ??
      (mayHaveBadUtf8(p) &&
      !stringsValid(frame, p, p.cmd === 'connect' ? (p.protocolVersion ?? 4) : this.version)
        ? { rc: RC.MalformedPacket, reason: 'ill-formed UTF-8 string' }
        : null);
    if (problem) {
      if (this.state === 'new' && p.cmd !== 'connect') this.teardown('protocol');
      else this.protocolClose(problem.rc, problem.reason);
      return false;
    }
    this.dispatch(p);
    return this.state !== 'closed';
  }

  private hold(frame: Buffer): boolean {
    this.held ??= [];
    this.heldBytes += frame.length;
    if (this.held.length >= MAX_HELD_PACKETS || this.heldBytes > this.broker.config.limits.maxPacketSize) {
      this.protocolClose(RC.QuotaExceeded, 'too much data before CONNACK');
      return false;
    }
    this.held.push(Buffer.from(frame));
    return true;
  }

  /** Authentication succeeded: handle what the client sent meanwhile, in order. A refused CONNECT discards it instead. */
  replayHeld(): void {
    const held = this.held;
    this.held = null;
    this.heldBytes = 0;
    if (!held) return;
    for (const f of held) if (this.state !== 'connected' || !this.onFrame(f)) return;
  }

  identity(): Identity {
    return { username: this.username, clientId: this.clientId };
  }

  /** ACL check of a publish topic, cached per connection. */
  mayPublish(topic: string): boolean {
    const authz = this.broker.env.authorizer;
    if (!authz) return true;
    const cache = (this.pubVerdicts ??= new Map());
    let v = cache.get(topic);
    if (v === undefined) {
      v = authz.mayPublish(this.identity(), topic);
      if (cache.size >= 256) cache.clear();
      cache.set(topic, v);
    }
    return v;
  }

  /** Counts one inbound PUBLISH against the client's message rate; false = over it. */
  takeMessageToken(): boolean {
    return this.msgBucket === null || this.msgBucket.take();
  }

  private makeParser(): ReturnType<typeof mqttPacket.parser> {
    const parser = mqttPacket.parser({ ...this.parserSettings });
    parser.on('packet', (p: Packet) => (this.pending = p));
    parser.on('error', (e: Error) => (this.parseError = e.message));
    return (this.parser = parser);
  }

  private malformed(frame: Buffer, why: string): void {
    if (this.state === 'new') {
      if (why === 'Invalid protocol version') {
        // [MQTT-3.1.2-2]: answer in a version the client can read, then close.
        this.writeRaw(Buffer.from([0x20, 0x02, 0x00, 0x01]));
        this.teardown('rejected');
        return;
      }
      if (frame[0] >> 4 !== 1) {
        this.teardown('protocol'); // first packet must be CONNECT [MQTT-3.1.0-1]
        return;
      }
    }
    this.protocolClose(RC.MalformedPacket, why);
  }

  private dispatch(p: Packet): void {
    if (this.state === 'new') {
      if (p.cmd !== 'connect') return this.teardown('protocol');
      handleConnect(this, p);
      return;
    }
    switch (p.cmd) {
      case 'publish':
        return handlePublish(this, p);
      case 'puback':
        this.session!.complete(p.messageId!, 1);
        return;
      case 'pubrec':
        if (!this.session!.received(p.messageId!, p.reasonCode ?? 0))
          this.sendAck('pubrel', p.messageId!, RC.PacketIdentifierNotFound);
        return;
      case 'pubcomp':
        this.session!.complete(p.messageId!, 2);
        return;
      case 'pubrel':
        return handlePubrel(this, p.messageId!);
      case 'subscribe':
        return handleSubscribe(this, p);
      case 'unsubscribe':
        return handleUnsubscribe(this, p);
      case 'pingreq':
        this.writeRaw(PINGRESP);
        return;
      case 'disconnect':
        return this.onDisconnect(p.reasonCode ?? 0, p.properties?.sessionExpiryInterval);
      case 'connect':
        return this.protocolClose(RC.ProtocolError, 'second CONNECT'); // [MQTT-3.1.0-2]
      default:
        // AUTH without an authentication method, or a server-only packet.
        return this.protocolClose(RC.ProtocolError, `unexpected ${p.cmd}`);
    }
  }

  private onDisconnect(rc: number, expiry: number | undefined): void {
    const s = this.session!;
    if (expiry !== undefined) {
      if (s.expiryInterval === 0 && expiry !== 0) {
        // [MQTT-3.14.2-2]
        return this.protocolClose(RC.ProtocolError, 'Session Expiry Interval was 0 at CONNECT');
      }
      s.expiryInterval = Math.min(expiry, this.broker.config.limits.maxSessionExpiry);
    }
    this.teardown(rc === RC.DisconnectWithWill ? 'client-disconnect-with-will' : 'client-disconnect');
  }

  /** Marks the client as connected and starts keep-alive supervision. */
  established(session: Session, keepalive: number): void {
    this.state = 'connected';
    this.session = session;
    const rate = this.broker.config.security.maxMessageRate;
    if (rate > 0) this.msgBucket = new TokenBucket(rate, rate, this.broker.env.clock);
    this.keepalive = keepalive;
    this.arm(keepalive > 0 ? keepalive * 1500 : 0);
  }

  private arm(ms: number): void {
    this.timer?.cancel();
    this.timer = ms > 0 ? this.broker.env.clock.setTimer(ms, connectionTimer, this) : null;
    this.timerDue = this.broker.env.clock.now() + ms;
  }

  /** The connect timeout or keep-alive timer fired (called through connectionTimer). */
  onTimer(): void {
    this.timer = null;
    if (this.state === 'closed') return;
    const now = this.broker.env.clock.now();
    if (this.state === 'new' || this.state === 'auth') {
      this.teardown('connect-timeout');
      return;
    }
    // One timer per connection, re-armed lazily, instead of one per packet.
    const limit = this.keepalive * 1500;
    // Time this process was frozen is not the client's silence: what it sent meanwhile is still to be read
    // (a DISCONNECT among it must discard the will). EMQX likewise checks the socket's received bytes.
    const frozen = now - this.timerDue;
    if (frozen > 1000) this.lastRx += frozen;
    const idle = now - this.lastRx;
    if (idle >= limit) {
      this.protocolClose(RC.KeepAliveTimeout, 'keep alive timeout', 'keepalive');
    } else this.arm(limit - idle);
  }

  /** Closes with a v5 DISCONNECT carrying `rc` (3.1.1: just closes). */
  protocolClose(rc: number, reason: string, cause: CloseCause = 'protocol', serverReference?: string): void {
    if (this.state === 'closed') return;
    if (this.state === 'connected' && this.version === 5) {
      this.send({
        cmd: 'disconnect',
        reasonCode: rc,
        properties: serverReference ? { reasonString: reason, serverReference } : { reasonString: reason },
      });
    } else if ((this.state === 'new' || this.state === 'auth') && this.version === 5 && rc >= 0x80) {
      this.send({
        cmd: 'connack',
        sessionPresent: false,
        reasonCode: rc,
        properties: { reasonString: reason },
      });
    }
    this.broker.countClose(rc);
    this.teardown(cause);
  }

  /** Ends the connection; the broker decides about will and session. */
  /** Evacuation: v5 DISCONNECT 0x9C Use Another Server with `serverReference` (3.1.1: closed). */
  evict(serverReference: string): void {
    this.protocolClose(RC.UseAnotherServer, 'node evacuation', 'shutdown', serverReference || undefined);
  }

  /** The client connected again (here or on another node): v5 clients are told why [MQTT-3.1.4-3]. */
  takenOver(): void {
    if (this.version === 5) this.send({ cmd: 'disconnect', reasonCode: RC.SessionTakenOver });
    this.teardown('takeover');
  }

  teardown(cause: CloseCause): void {
    if (this.state === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'closed';
    this.timer?.cancel();
    this.timer = null;
    this.held = null;
    this.parser?.removeAllListeners();
    this.parser = null;
    this.sink.close();
    this.broker.connectionClosed(this, wasConnected, cause);
  }

  send(p: Packet): void {
    let buf = mqttPacket.generate(p, { protocolVersion: this.version });
    if (buf.length > this.clientMaxPacketSize) {
      // Reason String and User Properties are the parts we may leave out [MQTT-3.1.2-25]; otherwise it cannot be sent.
      const props = (p as { properties?: Record<string, unknown> }).properties;
      if (!props) return;
      const { reasonString: _r, userProperties: _u, ...rest } = props;
      buf = mqttPacket.generate({ ...p, properties: rest } as Packet, { protocolVersion: this.version });
      if (buf.length > this.clientMaxPacketSize) return;
    }
    this.writeRaw(buf);
  }

  writeRaw(buf: Buffer): void {
    if (this.slow) return;
    this.broker.stats.bytesOut += buf.length;
    this.broker.stats.packetsOut++;
    this.sink.write(buf);
    const backlog = this.sink.buffered?.();
    if (backlog !== undefined && backlog > this.broker.config.limits.maxWriteBuffer) this.slowConsumer();
  }

  /**
   * More than maxWriteBuffer bytes left unread: the client is cut off (a 'slow-consumer' drop) rather
   * than its backlog held without bound. Its session stays; the will goes as for any broken connection.
   */
  private slowConsumer(): void {
    this.slow = true;
    this.broker.countDropped('slow-consumer');
    if (this.sink.abort) this.sink.abort();
    else this.sink.close();
  }

  refusing = false; // a 3.1.1 publish was refused: it closes after the acks before it (core/handlers/publish.ts)
  /** Acknowledgements of the client's QoS 1/2 publishes, in order (see PubAcks). Made on first use. */
  private pubAcks: PubAcks | null = null;

  /** Queues an acknowledgement; `ready` false: it waits (set `ready` on the returned entry, then flushPubAcks). */
  queuePubAck(cmd: PubAckCmd, pid: number, rc: number, ready: boolean): { ready: boolean; rc: number } {
    const a = (this.pubAcks ??= new PubAcks()).push(cmd, pid, rc);
    a.ready = ready;
    if (ready) this.flushPubAcks();
    return a;
  }

  flushPubAcks(): void {
    const q = this.pubAcks;
    if (q === null) return;
    if (q.flush((cmd, pid, rc) => this.state === 'connected' && this.sendAck(cmd, pid, rc)))
      this.pubAcks = null;
  }

  sendAck(cmd: PubAckCmd | 'pubrel', pid: number, rc: number): void {
    if (cmd === 'close') return this.protocolClose(rc, 'session store backlog'); // see `refusing`
    if (this.version < 5 || rc === 0) {
      const b = encodeAck(cmd, pid, this.version === 5);
      if (b.length <= this.clientMaxPacketSize) this.writeRaw(b);
      return;
    }
    this.send(
      this.version === 5 && rc !== 0 ? { cmd, messageId: pid, reasonCode: rc } : { cmd, messageId: pid },
    );
  }

  /**
   * Encodes and writes one PUBLISH. Returns false (nothing written) when it
   * would exceed the client's Maximum Packet Size.
   */
  sendPublish(d: Delivery, pid: number, dup: boolean): boolean {
    const msg = d.msg;
    // Fan-out fast path: the bytes are the same for every subscriber except the packet id.
    if (
      !d.subIds &&
      (this.version < 5 || (this.clientTopicAliasMaximum === 0 && msg.expiresAt === undefined))
    ) {
      return this.sendCached(d, pid, dup);
    }
    const v5 = this.version === 5;
    const pkt = publishPacket(d, pid, dup, v5 ? this.broker.env.clock.now() : null);
    let newAlias = false;
    if (v5 && this.clientTopicAliasMaximum > 0) {
      const map = (this.outAliases ??= new Map());
      let alias = map.get(msg.topic) ?? 0;
      if (alias) pkt.topic = '';
      else if (map.size < this.clientTopicAliasMaximum) {
        alias = map.size + 1;
        map.set(msg.topic, alias);
        newAlias = true;
      }
      if (alias) pkt.properties!.topicAlias = alias;
    }
    const buf = mqttPacket.generate(pkt, { protocolVersion: this.version });
    if (buf.length > this.clientMaxPacketSize) {
      if (newAlias) this.outAliases!.delete(msg.topic);
      return false;
    }
    this.broker.stats.messagesOut++;
    this.writeRaw(buf);
    return true;
  }

  private sendCached(d: Delivery, pid: number, dup: boolean): boolean {
    const out = cachedPublish(d, pid, dup, this.version, this.clientMaxPacketSize);
    if (out === null) return false;
    this.broker.stats.messagesOut++;
    this.writeRaw(out);
    return true;
  }
}
