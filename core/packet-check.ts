// mqtt-packet decodes leniently: a property whose length overruns the
// packet comes back as null, a repeated property as an array, a missing
// Packet Identifier as undefined. Each of those is a Malformed Packet or a
// Protocol Error [MQTT-2.2.2, 4.13]; this check catches them before any
// handler sees the packet, so nothing malformed is stored or forwarded.

import type { Packet } from 'mqtt-packet';
import { RC } from './reason-codes.ts';

type Kind = 'num' | 'str' | 'buf' | 'bool' | 'user';

const PROPS: Record<string, Kind> = {
  payloadFormatIndicator: 'bool',
  messageExpiryInterval: 'num',
  contentType: 'str',
  responseTopic: 'str',
  correlationData: 'buf',
  subscriptionIdentifier: 'num',
  sessionExpiryInterval: 'num',
  assignedClientIdentifier: 'str',
  serverKeepAlive: 'num',
  authenticationMethod: 'str',
  authenticationData: 'buf',
  requestProblemInformation: 'bool',
  willDelayInterval: 'num',
  requestResponseInformation: 'bool',
  responseInformation: 'str',
  serverReference: 'str',
  reasonString: 'str',
  receiveMaximum: 'num',
  topicAliasMaximum: 'num',
  topicAlias: 'num',
  maximumQoS: 'num',
  retainAvailable: 'bool',
  userProperties: 'user',
  maximumPacketSize: 'num',
  wildcardSubscriptionAvailable: 'bool',
  subscriptionIdentifiersAvailable: 'bool',
  sharedSubscriptionAvailable: 'bool',
};

export interface PacketProblem {
  rc: number;
  reason: string;
}

const malformed = (reason: string): PacketProblem => ({ rc: RC.MalformedPacket, reason });
const protocol = (reason: string): PacketProblem => ({ rc: RC.ProtocolError, reason });

function ok(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case 'num':
      return typeof v === 'number' && Number.isFinite(v);
    case 'str':
      return typeof v === 'string';
    case 'buf':
      return Buffer.isBuffer(v);
    case 'bool':
      return typeof v === 'boolean';
    case 'user':
      if (typeof v !== 'object' || v === null) return false;
      for (const x of Object.values(v)) {
        if (typeof x === 'string') continue;
        if (!Array.isArray(x) || x.some((y) => typeof y !== 'string')) return false;
      }
      return true;
  }
}

function checkProps(props: unknown): PacketProblem | null {
  if (props === undefined) return null;
  if (typeof props !== 'object' || props === null) return malformed('bad property block');
  for (const [k, v] of Object.entries(props)) {
    const kind = PROPS[k];
    if (!kind) return malformed(`unknown property ${k}`);
    if (Array.isArray(v) && kind !== 'user') return protocol(`property ${k} included more than once`);
    if (!ok(kind, v)) return malformed(`property ${k} overruns the packet`);
  }
  return null;
}

const pid = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;

/** Returns the problem with a decoded packet, or null if it is well formed. */
export function checkPacket(p: Packet): PacketProblem | null {
  const anyp = p as unknown as Record<string, unknown>;
  const props = checkProps(anyp.properties);
  if (props) return props;
  switch (p.cmd) {
    case 'connect': {
      if (typeof p.clientId !== 'string') return malformed('bad client id');
      if (p.username !== undefined && typeof p.username !== 'string') return malformed('bad user name');
      if (p.password !== undefined && !Buffer.isBuffer(p.password)) return malformed('bad password');
      if (p.will) {
        if (typeof p.will.topic !== 'string' || !Buffer.isBuffer(p.will.payload))
          return malformed('bad will');
        const wp = checkProps(p.will.properties);
        if (wp) return wp;
      }
      return null;
    }
    case 'publish':
      if (typeof p.topic !== 'string' || !Buffer.isBuffer(p.payload)) return malformed('bad PUBLISH');
      if (p.qos > 0 && !pid(p.messageId)) return malformed('bad packet identifier');
      // [MQTT-3.3.4-6]: only the server puts Subscription Identifiers on a PUBLISH.
      if (p.properties?.subscriptionIdentifier !== undefined)
        return protocol('Subscription Identifier from a client');
      return null;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
    case 'unsuback':
    case 'suback':
      return pid(p.messageId) ? null : malformed('bad packet identifier');
    case 'subscribe':
      if (!pid(p.messageId)) return malformed('bad packet identifier');
      if (!Array.isArray(p.subscriptions) || p.subscriptions.some((s) => typeof s.topic !== 'string'))
        return malformed('bad topic filter');
      return null;
    case 'unsubscribe':
      if (!pid(p.messageId)) return malformed('bad packet identifier');
      if (!Array.isArray(p.unsubscriptions) || p.unsubscriptions.some((s) => typeof s !== 'string'))
        return malformed('bad topic filter');
      return null;
    default:
      return null;
  }
}
