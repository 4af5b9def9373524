// CONNECT → CONNACK (§3.1, §3.2): validation, connect rate and bans,
// authentication (possibly asynchronous: the CONNACK waits for it), the will
// ACL check, client id assignment, keep alive negotiation, session
// creation, resume or takeover.

import type { IConnectPacket, IConnackPacket } from 'mqtt-packet';
import type { Connection } from '../connection.ts';
import { RC, connackCode311 } from '../reason-codes.ts';
import { validateTopicName, TopicError, isValidUtf8 } from '../topic.ts';
import type { Message } from '../message.ts';
import { NEVER_EXPIRE } from '../config.ts';
import type { AuthResult } from '../auth.ts';
import { faultCode, faultReason } from '../disk-fault.ts';

export function handleConnect(conn: Connection, p: IConnectPacket): void {
  new ConnectAttempt(conn, p).run();
}

/**
 * One CONNECT being answered. A class, not closures inside handleConnect: the TypeScript loader
 * names every local function with a property definition, which costs on each of many connects.
 */
class ConnectAttempt {
  private readonly v5: boolean;
  private clientId = '';
  private assigned: string | undefined = undefined;
  private will: Message | null = null;
  private willDelay = 0;
  private willExpiry: number | undefined = undefined;
  private keepalive = 0;
  private serverKeepAlive: number | undefined = undefined;
  private expiry = 0;
  private expiryCapped = false;

  constructor(
    private readonly conn: Connection,
    private readonly p: IConnectPacket,
  ) {
    conn.version = (p.protocolVersion ?? 4) as 3 | 4 | 5;
    this.v5 = conn.version === 5;
  }

  run(): void {
    const { conn, p, v5 } = this;
    const broker = conn.broker;
    const cfg = broker.config;
    const props = p.properties ?? {};

    // Flood protection first: it must stay cheap.
    if (!broker.connectAllowed(conn.listener)) {
      broker.stats.auth.connectRateExceeded++;
      return this.reject(RC.ConnectionRateExceeded, 'connection rate exceeded');
    }
    // No EnhancedAuthenticator (core/auth.ts) is implemented: every method is unknown.
    if (v5 && props.authenticationMethod !== undefined)
      return this.reject(RC.BadAuthenticationMethod, 'enhanced authentication is not supported');

    // Client identifier [MQTT-3.1.3-5..9].
    let clientId = p.clientId ?? '';
    if (clientId.length > cfg.limits.maxClientIdLength)
      return this.reject(RC.ClientIdentifierNotValid, 'client id too long');
    if (clientId.length === 0) {
      if (conn.version === 3 || (conn.version === 4 && !p.clean))
        return this.reject(RC.ClientIdentifierNotValid, 'empty client id needs clean session');
      clientId = broker.assignClientId();
      if (v5) this.assigned = clientId;
    }
    this.clientId = clientId;

    if (broker.flapping && broker.flapping.banned(clientId) > 0) {
      broker.stats.auth.banned++;
      return this.reject(RC.Banned, 'client id banned for flapping');
    }
    const away = broker.redirect();
    if (away !== null) return this.reject(RC.UseAnotherServer, 'node is being evacuated', away);
    if (broker.refuses('register'))
      return this.reject(RC.ServerUnavailable, 'cluster netsplit: connects refused');
    // A takeover frees the slot it needs, so a client behind a half-open connection can always come back.
    if (broker.connectedCount >= cfg.limits.maxConnections && !broker.sessions.get(clientId)?.conn)
      return this.reject(RC.QuotaExceeded, 'maximum connections reached');

    // The client's own limits bound what we send it.
    if (v5) {
      if (props.receiveMaximum !== undefined) conn.clientReceiveMaximum = props.receiveMaximum;
      if (props.maximumPacketSize !== undefined) conn.clientMaxPacketSize = props.maximumPacketSize;
      if (props.topicAliasMaximum !== undefined) conn.clientTopicAliasMaximum = props.topicAliasMaximum;
      if (props.requestProblemInformation === false) conn.problemInfo = false;
      if (conn.clientReceiveMaximum === 0 || conn.clientMaxPacketSize === 0)
        return this.reject(RC.ProtocolError, 'Receive Maximum and Maximum Packet Size must not be 0');
    }

    // Will message [MQTT-3.1.2-8..18].
    if (p.will) {
      const w = p.will;
      const te = validateTopicName(w.topic, cfg.limits.maxTopicLevels);
      if (te !== TopicError.None) return this.reject(RC.TopicNameInvalid, 'invalid will topic');
      if ((w.qos ?? 0) > cfg.features.maximumQoS)
        return this.reject(RC.QoSNotSupported, 'will QoS not supported');
      if (w.retain && !cfg.features.retainAvailable)
        return this.reject(RC.RetainNotSupported, 'retain not available');
      const payload = typeof w.payload === 'string' ? Buffer.from(w.payload) : (w.payload ?? Buffer.alloc(0));
      const wp = w.properties ?? {};
      if (wp.payloadFormatIndicator && !isValidUtf8(payload))
        return this.reject(RC.PayloadFormatInvalid, 'will payload is not UTF-8');
      const now = broker.env.clock.now();
      this.will = {
        topic: w.topic,
        payload,
        qos: (w.qos ?? 0) as 0 | 1 | 2,
        retain: !!w.retain,
        from: clientId,
        receivedAt: now,
        props: pickProps(wp),
      };
      this.willExpiry = wp.messageExpiryInterval;
      this.willDelay = wp.willDelayInterval ?? 0;
    }

    // Keep alive: v5 lets the server impose its own (Server Keep Alive).
    let keepalive = p.keepalive ?? 0;
    const maxKa = cfg.limits.maxKeepalive;
    if (maxKa > 0 && (keepalive === 0 || keepalive > maxKa)) {
      // 3.1.x has no way to tell the client, which would be cut off while pinging on its own schedule (Mosquitto does the same).
      if (!v5) return this.reject(RC.ClientIdentifierNotValid, 'keep alive exceeds the server maximum');
      keepalive = maxKa;
      this.serverKeepAlive = maxKa;
    }
    this.keepalive = keepalive;

    // Session expiry: v5 from the property; 3.1.x persistent sessions from config.
    let expiry: number;
    if (v5) expiry = props.sessionExpiryInterval ?? 0;
    else expiry = p.clean ? 0 : cfg.session.v3SessionExpiry;
    if (expiry > cfg.limits.maxSessionExpiry) {
      expiry = cfg.limits.maxSessionExpiry;
      this.expiryCapped = true;
    }
    this.expiry = expiry;

    // A verified client certificate is the identity; otherwise ask the authenticator, if any.
    if (conn.certUser !== undefined) return this.finish(conn.certUser);
    const authn = broker.env.authenticator;
    if (!authn) return this.finish(p.username);
    conn.state = 'auth';
    conn.clientId = clientId;
    const password =
      p.password === undefined
        ? undefined
        : Buffer.isBuffer(p.password)
          ? p.password
          : Buffer.from(p.password);
    authn.authenticate({ clientId, username: p.username, password, remote: conn.remote }, (r) =>
      this.authenticated(r),
    );
  }

  private authenticated(r: AuthResult): void {
    const { conn, p } = this;
    if (conn.state !== 'auth') return; // closed (or timed out) meanwhile
    if (!r.ok) {
      conn.broker.stats.auth.failed++;
      return this.reject(
        r.reason === 'bad-credentials' ? RC.BadUserNameOrPassword : RC.NotAuthorized,
        r.reason === 'bad-credentials' ? 'bad user name or password' : 'not authorized',
      );
    }
    this.finish(p.username);
    if ((conn.state as string) === 'connected') conn.replayHeld(); // else still waiting for its session from the store
  }

  private reject(rc: number, reason: string, serverReference?: string): void {
    const { conn } = this;
    const props = serverReference ? { reasonString: reason, serverReference } : { reasonString: reason };
    const ack: IConnackPacket = this.v5
      ? { cmd: 'connack', sessionPresent: false, reasonCode: rc, properties: props }
      : { cmd: 'connack', sessionPresent: false, returnCode: connackCode311(rc) };
    conn.send(ack);
    conn.broker.countConnack(rc);
    conn.teardown('rejected');
  }

  private finish(username: string | undefined): void {
    const { conn, clientId } = this;
    const broker = conn.broker;
    conn.username = username;
    if (broker.flapping?.record(clientId)) {
      broker.stats.auth.flappingBans++;
      broker.stats.auth.banned++;
      return this.reject(RC.Banned, 'client id banned for flapping');
    }
    if (
      this.will &&
      broker.env.authorizer &&
      !broker.env.authorizer.mayPublish({ username, clientId }, this.will.topic)
    ) {
      broker.stats.denied.will++;
      // 3.1.1 has no code for it: accept the client, never publish the will.
      if (this.v5) return this.reject(RC.NotAuthorized, 'will topic not authorized');
      this.will = null;
    }
    // A full or failing disk: no new persistent session (one held here resumes) (core/disk-fault.ts).
    const fault =
      this.expiry > 0 && (this.p.clean || !broker.sessions.has(clientId)) ? broker.store?.fault() : null;
    if (fault) return this.reject(faultCode(fault), `data dir: ${faultReason(fault)}`); // counted by its CONNACK code
    // Its session may be in the external store: the CONNECT waits for it, as for an authenticator.
    const loads = broker.loads;
    if (!loads?.needed(clientId, !!this.p.clean)) return this.accept(username);
    conn.state = 'auth';
    loads.load(
      clientId,
      () => conn.state === 'auth',
      (ok) => {
        if (conn.state !== 'auth') return; // closed (or timed out) meanwhile
        if (!ok) return this.reject(RC.ServerUnavailable, 'session store unavailable');
        this.accept(username);
        conn.replayHeld();
      },
    );
  }

  private accept(username: string | undefined): void {
    const { conn, p, clientId, will, expiry } = this;
    const broker = conn.broker;
    const cfg = broker.config;
    conn.clientId = clientId;
    // With authentication on, a session belongs to its user: another user with the same client id starts afresh.
    // (Also a session another node replicated here.)
    const owned = broker.secured || conn.certUser !== undefined;
    const prior = owned ? broker.priorOwner(clientId) : undefined;
    const clean = !!p.clean || (prior !== undefined && prior.user !== username);
    const { session, present } = broker.openSession(conn, clientId, clean, expiry);
    if (owned && session.owner !== username) {
      session.owner = username;
      broker.journal.stateChanged(session);
    }
    session.protocolVersion = conn.version;
    session.will = will ? { msg: will, delay: this.willDelay, expirySec: this.willExpiry } : null;
    if (will || present) broker.journal.willChanged(session);

    if (this.v5) {
      const ack: IConnackPacket = { cmd: 'connack', sessionPresent: present };
      const f = cfg.features;
      const ap: NonNullable<IConnackPacket['properties']> = {
        receiveMaximum: cfg.limits.receiveMaximum,
        maximumPacketSize: cfg.limits.maxPacketSize,
        topicAliasMaximum: cfg.limits.topicAliasMaximum,
        retainAvailable: f.retainAvailable,
        wildcardSubscriptionAvailable: f.wildcardSubscriptionAvailable,
        subscriptionIdentifiersAvailable: f.subscriptionIdentifierAvailable,
        sharedSubscriptionAvailable: f.sharedSubscriptionAvailable,
      };
      // Maximum QoS may only be sent as 0 or 1 [MQTT-3.2.2-9].
      if (f.maximumQoS < 2) ap.maximumQoS = f.maximumQoS;
      if (ap.topicAliasMaximum === 0) delete ap.topicAliasMaximum;
      if (this.assigned !== undefined) ap.assignedClientIdentifier = this.assigned;
      if (this.serverKeepAlive !== undefined) ap.serverKeepAlive = this.serverKeepAlive;
      if (this.expiryCapped && expiry !== NEVER_EXPIRE) ap.sessionExpiryInterval = expiry;
      ack.reasonCode = RC.Success;
      ack.properties = ap;
      conn.send(ack);
    } else conn.writeRaw(present ? CONNACK_311_PRESENT : CONNACK_311);
    broker.countConnack(RC.Success);
    conn.established(session, this.keepalive);
    session.resend();
    session.pump();
  }
}

/** 3.1/3.1.1 CONNACK, accepted, without and with a session present: the bytes mqtt-packet generates. */
const CONNACK_311 = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const CONNACK_311_PRESENT = Buffer.from([0x20, 0x02, 0x01, 0x00]);

export function pickProps(p: {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
}): Message['props'] {
  if (
    p.payloadFormatIndicator === undefined &&
    p.contentType === undefined &&
    p.responseTopic === undefined &&
    p.correlationData === undefined &&
    p.userProperties === undefined
  )
    return undefined;
  const out: NonNullable<Message['props']> = {};
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = p.correlationData;
  if (p.userProperties !== undefined) out.userProperties = p.userProperties;
  return out;
}
