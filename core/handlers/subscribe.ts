// SUBSCRIBE → SUBACK (+ retained messages), UNSUBSCRIBE → UNSUBACK (§3.8–3.11).

import type { ISubscribePacket, IUnsubscribePacket } from 'mqtt-packet';
import type { Connection } from '../connection.ts';
import { RC } from '../reason-codes.ts';
import { parseShare, validateTopicFilter, TopicError, hasWildcard, type ParsedFilter } from '../topic.ts';
import type { Subscription } from '../session.ts';
import type { QoS } from '../message.ts';

export function handleSubscribe(conn: Connection, p: ISubscribePacket): void {
  const broker = conn.broker;
  const cfg = broker.config;
  const session = conn.session!;
  const v5 = conn.version === 5;
  const subId = p.properties?.subscriptionIdentifier;
  if (subId !== undefined) {
    if (!cfg.features.subscriptionIdentifierAvailable)
      return conn.protocolClose(
        RC.SubscriptionIdentifiersNotSupported,
        'subscription identifiers not supported',
      );
    if (subId === 0) return conn.protocolClose(RC.ProtocolError, 'subscription identifier 0'); // [MQTT-3.8.2-?] value 0 is a protocol error
  }
  if (p.subscriptions.length === 0) return conn.protocolClose(RC.ProtocolError, 'SUBSCRIBE without filters'); // [MQTT-3.8.3-2]

  const granted: number[] = [];
  const refuse = broker.refuses('subscribe');
  const added: { sub: Subscription; isNew: boolean }[] = [];
  const fail = (rc: number) => granted.push(v5 ? rc : 0x80);

  for (const s of p.subscriptions) {
    if (refuse) {
      fail(RC.UnspecifiedError);
      continue;
    }
    const parsed = parseShare(s.topic);
    if (!parsed) {
      fail(RC.TopicFilterInvalid);
      continue;
    }
    if (parsed.group !== undefined) {
      if (!cfg.features.sharedSubscriptionAvailable) {
        fail(RC.SharedSubscriptionsNotSupported);
        continue;
      }
      if (s.nl) return conn.protocolClose(RC.ProtocolError, 'No Local on a shared subscription'); // [MQTT-3.8.3-4]
    }
    const te = validateTopicFilter(parsed.filter, cfg.limits.maxTopicLevels);
    if (te !== TopicError.None) {
      fail(RC.TopicFilterInvalid);
      continue;
    }
    if (!cfg.features.wildcardSubscriptionAvailable && hasWildcard(parsed.filter)) {
      fail(RC.WildcardSubscriptionsNotSupported);
      continue;
    }
    // The ACL sees the filter inside $share/$queue; retained messages then only come for a permitted filter.
    const authz = broker.env.authorizer;
    if (authz && !authz.maySubscribe(conn.identity(), parsed.filter)) {
      broker.stats.denied.subscribe++;
      fail(RC.NotAuthorized);
      continue;
    }
    // `$queue/f` and `$share/$queue/f` are one subscription: key by the canonical form.
    const key = canonicalFilter(parsed);
    const existing = session.subscriptions.get(key);
    const max = cfg.limits.maxSubscriptionsPerClient;
    if (!existing && max > 0 && session.subscriptions.size >= max) {
      fail(RC.QuotaExceeded);
      continue;
    }
    const qos = Math.min(s.qos, cfg.features.maximumQoS) as QoS;
    const sub: Subscription = {
      session,
      raw: key,
      filter: parsed.filter,
      group: parsed.group,
      qos,
      noLocal: !!s.nl,
      retainAsPublished: !!s.rap,
      retainHandling: (s.rh ?? 0) as 0 | 1 | 2,
      subId,
    };
    broker.subscribe(sub, existing);
    granted.push(qos);
    added.push({ sub, isNew: !existing });
  }

  conn.send({ cmd: 'suback', messageId: p.messageId, granted });

  // Retained messages follow the SUBACK, per Retain Handling [MQTT-3.3.1-9..11].
  // Shared subscriptions do not receive them.
  if (!cfg.features.retainAvailable) return;
  for (const { sub, isNew } of added) {
    if (sub.group !== undefined || sub.retainHandling === 2 || (sub.retainHandling === 1 && !isNew)) continue;
    broker.sendRetained(sub);
  }
}

export function handleUnsubscribe(conn: Connection, p: IUnsubscribePacket): void {
  const broker = conn.broker;
  const session = conn.session!;
  if (p.unsubscriptions.length === 0)
    return conn.protocolClose(RC.ProtocolError, 'UNSUBSCRIBE without filters'); // [MQTT-3.10.3-2]
  const codes: number[] = [];
  for (const raw of p.unsubscriptions) {
    const parsed = parseShare(raw);
    const sub = session.subscriptions.get(parsed ? canonicalFilter(parsed) : raw);
    if (sub) {
      broker.unsubscribe(sub);
      codes.push(RC.Success);
    } else codes.push(RC.NoSubscriptionExisted);
  }
  if (conn.version === 5) conn.send({ cmd: 'unsuback', messageId: p.messageId, granted: codes });
  else conn.send({ cmd: 'unsuback', messageId: p.messageId, granted: [] });
}

function canonicalFilter(p: ParsedFilter): string {
  return p.group === undefined ? p.filter : `$share/${p.group}/${p.filter}`;
}
