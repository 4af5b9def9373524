// Inbound PUBLISH and PUBREL (§3.3, §4.3): message rate, topic aliases,
// validation, the ACL (on the resolved topic), the QoS 1 ack and the QoS 2
// exactly-once handshake.

import type { IPublishPacket } from 'mqtt-packet';
import type { Connection } from '../connection.ts';
import { RC } from '../reason-codes.ts';
import { validateTopicName, TopicError, isValidUtf8 } from '../topic.ts';
import type { Message, QoS } from '../message.ts';
import { pickProps } from './connect.ts';
import { faultCode, faultReason } from '../disk-fault.ts';
import { whenKept } from '../qos2-guard.ts';

export function handlePublish(conn: Connection, p: IPublishPacket): void {
  const broker = conn.broker;
  const cfg = broker.config;
  const session = conn.session!;
  const qos = p.qos;
  const pid = p.messageId ?? 0;
  const props = p.properties;

  if (!conn.takeMessageToken()) {
    broker.stats.auth.messageRateExceeded++;
    return conn.protocolClose(RC.MessageRateTooHigh, 'message rate too high');
  }
  if (qos > cfg.features.maximumQoS) return conn.protocolClose(RC.QoSNotSupported, 'QoS not supported'); // [MQTT-3.2.2-11]
  if (p.retain && !cfg.features.retainAvailable)
    return conn.protocolClose(RC.RetainNotSupported, 'retain not available'); // [MQTT-3.2.2-14]

  // Topic aliases (inbound) [MQTT-3.3.2-7..12].
  let topic = p.topic;
  const alias = props?.topicAlias;
  if (alias !== undefined) {
    if (alias === 0 || alias > cfg.limits.topicAliasMaximum)
      return conn.protocolClose(RC.TopicAliasInvalid, 'topic alias out of range');
    const map = (conn.inAliases ??= new Map());
    if (topic.length > 0) map.set(alias, topic);
    else {
      const t = map.get(alias);
      if (t === undefined) return conn.protocolClose(RC.ProtocolError, 'unknown topic alias');
      topic = t;
    }
  } else if (topic.length === 0) return conn.protocolClose(RC.ProtocolError, 'empty topic without alias');

  const te = validateTopicName(topic, cfg.limits.maxTopicLevels);
  if (te !== TopicError.None) {
    if (te === TopicError.TooManyLevels && qos > 0) {
      // Not malformed, just beyond our limit: refuse this message only.
      broker.countDropped('topic-levels');
      conn.queuePubAck(
        qos === 1 ? 'puback' : 'pubrec',
        pid,
        conn.version === 5 ? RC.TopicNameInvalid : 0,
        true,
      );
      return;
    }
    if (te === TopicError.TooManyLevels) return;
    return conn.protocolClose(RC.TopicNameInvalid, 'invalid topic name');
  }

  const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
  if (props?.payloadFormatIndicator && !isValidUtf8(payload)) {
    if (qos === 0) return;
    conn.queuePubAck(qos === 1 ? 'puback' : 'pubrec', pid, RC.PayloadFormatInvalid, true);
    return;
  }

  broker.stats.messagesIn++;

  if (qos === 2) {
    if (session.inboundQos2.has(pid)) {
      // A resend of a message we already own: acknowledge, do not route again [MQTT-4.3.3-9].
      conn.queuePubAck('pubrec', pid, 0, true);
      return;
    }
    if (session.inboundQos2.size >= cfg.limits.receiveMaximum)
      return conn.protocolClose(RC.ReceiveMaximumExceeded, 'receive maximum exceeded'); // [MQTT-3.3.4-9]
  }

  if (topic.startsWith('$SYS/') || topic === '$SYS') {
    // Clients must not forge broker statistics.
    broker.countDropped('sys-topic');
    if (qos > 0)
      conn.queuePubAck(qos === 1 ? 'puback' : 'pubrec', pid, conn.version === 5 ? RC.NotAuthorized : 0, true);
    return;
  }

  // Checked on the topic an alias resolved to, never on the alias.
  if (!conn.mayPublish(topic)) {
    broker.stats.denied.publish++;
    if (qos === 0) return;
    if (conn.version === 5) conn.queuePubAck(qos === 1 ? 'puback' : 'pubrec', pid, RC.NotAuthorized, true);
    else if (cfg.security.v3DeniedPublish === 'disconnect')
      conn.protocolClose(RC.NotAuthorized, 'publish not authorized');
    else conn.queuePubAck(qos === 1 ? 'puback' : 'pubrec', pid, 0, true); // [MQTT-3.3.5-2]: acknowledged, not delivered
    return;
  }

  // Refused: during a netsplit (if so configured), or at QoS 1/2 while the external store (Redis) holds
  // as many acknowledgements as it may (docs/redis-store.md): refused, not taken, so never lost.
  const netsplit = broker.refuses('publish');
  const backlog = !netsplit && qos > 0 && (conn.refusing || !!broker.loads?.backlogged);
  if (netsplit || backlog) {
    broker.countDropped(netsplit ? 'netsplit' : 'store-backlog');
    if (qos === 0) return;
    // 3.1.1 has no way to refuse a publish: close instead of acknowledging what was not taken (with the
    // store backlogged, once the acknowledgements before it went out: the client then resends only the rest).
    if (conn.version !== 5) {
      if (netsplit) return conn.protocolClose(RC.ServerUnavailable, 'cluster netsplit');
      // Its later QoS 1/2 publishes on this connection are not taken either.
      if (!conn.refusing) conn.queuePubAck('close', 0, RC.ServerUnavailable, true);
      conn.refusing = true;
      return;
    }
    conn.queuePubAck(
      qos === 1 ? 'puback' : 'pubrec',
      pid,
      netsplit ? RC.UnspecifiedError : RC.QuotaExceeded,
      true,
    );
    return;
  }
  // A full or failing disk: refused rather than acknowledged without being kept (core/disk-fault.ts).
  const fault = qos > 0 ? broker.store?.fault() : null;
  if (fault) {
    broker.countDropped(faultReason(fault));
    if (conn.version !== 5) return conn.protocolClose(faultCode(fault), `data dir: ${faultReason(fault)}`);
    conn.queuePubAck(qos === 1 ? 'puback' : 'pubrec', pid, faultCode(fault), true);
    return;
  }
  const now = broker.env.clock.now();
  const msg: Message = {
    topic,
    payload,
    qos: qos as QoS,
    retain: p.retain,
    from: conn.clientId,
    receivedAt: now,
  };
  if (props) {
    const mp = pickProps(props);
    if (mp) msg.props = mp;
    if (props.messageExpiryInterval !== undefined) msg.expiresAt = now + props.messageExpiryInterval * 1000;
  }
  if (qos === 0) {
    broker.publish(msg);
    return;
  }
  if (qos === 2) session.addInboundQos2(pid);
  // With a data dir the packet id and the message id (clustered) are on disk before the message is routed,
  // the id counted as taken only once the peers confirmed (SessionStore.held2): a resend after a restart
  // (no PUBREC came) is routed as the same message, which its copies drop, also if the disk failed between.
  const store = qos === 2 ? broker.store : null;
  if (store) {
    msg.mid = store.resentMid(session.clientId, pid);
    broker.assignMid(msg);
    store.holdInbound2(session, pid, msg);
  }
  const ack = conn.queuePubAck(qos === 1 ? 'puback' : 'pubrec', pid, 0, false);
  if (store && broker.commit()) broker.whenDurable(() => route(conn, msg, pid, ack));
  else route(conn, msg, pid, ack);
}

/** Routes a QoS 1/2 message; its acknowledgement goes once the peers and the disk hold what it caused. */
function route(conn: Connection, msg: Message, pid: number, ack: { ready: boolean; rc: number }): void {
  const { broker, session } = conn;
  const qos = msg.qos;
  const store = qos === 2 ? broker.store : null;
  // Clustered with ack mode 'replicated', the acknowledgement waits until peers confirm the message and,
  // for QoS 2, that they know this packet id is taken (so a resend after a failover is not routed twice).
  const { result: receivers, tracker } = broker.tracked(() => {
    if (qos === 2) broker.journal.stateChanged(session!);
    return broker.publish(msg);
  });
  if (!tracker) store?.releaseInbound2(session!, pid); // no peer to wait for: synced with the message
  if (conn.version === 5 && receivers === 0) ack.rc = RC.NoMatchingSubscribers;
  // With a store, what this publish wrote (owed messages, retained, QoS 2 id) is synced before the acknowledgement.
  const onDisk = broker.commit();
  let waits = 1 + (tracker ? 1 : 0) + (onDisk ? 1 : 0); // 1: this call, which goes on below
  const go = (): void => {
    if (--waits > 0) return;
    if (tracker && store?.releaseInbound2(session!, pid)) {
      waits = 1;
      return broker.whenDurable(go);
    }
    ack.ready = true;
    conn.flushPubAcks();
  };
  if (tracker) tracker.done = go;
  if (onDisk) broker.whenDurable(go);
  go();
}

export function handlePubrel(conn: Connection, pid: number): void {
  const s = conn.session!;
  if (!s.deleteInboundQos2(pid)) return conn.sendAck('pubcomp', pid, RC.PacketIdentifierNotFound);
  const broker = conn.broker;
  // The released id reaches the replicas and the disk before the PUBCOMP: after it the client may reuse the
  // id for a new message, which a copy still holding it (after a failover or restart) would take for a resend.
  const gate = whenKept(broker, () => broker.journal.stateChanged(s));
  if (!gate) return conn.sendAck('pubcomp', pid, 0);
  const ack = conn.queuePubAck('pubcomp', pid, 0, false);
  gate(() => {
    ack.ready = true;
    conn.flushPubAcks();
  });
}
