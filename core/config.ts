// Broker configuration: every key, its default, and validation. Unknown
// keys and bad values are errors, reported all at once with their path.

import type { FlappingConfig } from './rate-limit.ts';

export type DropPolicy = 'drop-oldest' | 'drop-new';
export type SharedStrategy = 'round-robin' | 'random';

export interface MqttLimits {
  /** Largest packet accepted from clients, bytes (advertised as Maximum Packet Size). */
  maxPacketSize: number;
  maxClientIdLength: number;
  maxTopicLevels: number;
  /** Outbound QoS 1/2 window per session, further bounded by the client's Receive Maximum. */
  maxInflight: number;
  /** Inbound QoS 1/2 window we advertise as Receive Maximum. */
  receiveMaximum: number;
  /** Offline/overflow queue per session. */
  maxQueuedMessages: number;
  maxConnections: number;
  maxSubscriptionsPerClient: number;
  topicAliasMaximum: number;
  /** Upper bound for a client's keep alive, seconds; 0 = no bound (v5 Server Keep Alive). */
  maxKeepalive: number;
  /** Upper bound for Session Expiry Interval, seconds. */
  maxSessionExpiry: number;
  /** Bytes a client may leave unread before it is disconnected as a slow consumer. */
  maxWriteBuffer: number;
}

export interface MqttFeatures {
  maximumQoS: 0 | 1 | 2;
  retainAvailable: boolean;
  wildcardSubscriptionAvailable: boolean;
  subscriptionIdentifierAvailable: boolean;
  sharedSubscriptionAvailable: boolean;
}

export interface BrokerConfig {
  /** Node name, used in assigned client ids and $SYS. */
  node: string;
  limits: MqttLimits;
  features: MqttFeatures;
  session: {
    /** Queue QoS 0 messages for offline persistent sessions. */
    queueQos0: boolean;
    dropPolicy: DropPolicy;
    /** Session expiry for MQTT 3.1.x clean-session=false sessions, seconds (4294967295 = never). */
    v3SessionExpiry: number;
  };
  sharedSubscriptionStrategy: SharedStrategy;
  /** Close sockets that have not sent CONNECT within this many ms. */
  connectTimeoutMs: number;
  /** $SYS publish interval in seconds; 0 disables $SYS. */
  sysInterval: number;
  security: SecurityConfig;
}

/** Limits against floods and misbehaving clients (authentication and ACLs come in through Env). */
export interface SecurityConfig {
  /** CONNECTs accepted per second on each listener (burst of one second's worth); 0 = unlimited. Excess: v5 CONNACK 0x9F, 3.1.1 code 3. */
  maxConnectRate: number;
  /** PUBLISH packets per second per client (burst of one second's worth); 0 = unlimited. Excess: DISCONNECT 0x96 (3.1.1: close). */
  maxMessageRate: number;
  /** A client id that connects more than maxConnects times within windowSec is refused for banSec (v5 0x8A, 3.1.1 code 5). */
  flapping: FlappingConfig;
  /** MQTT 3.1.1 cannot refuse a PUBLISH [MQTT-3.3.5-2]: 'ack' acknowledges and drops it, 'disconnect' closes the connection. */
  v3DeniedPublish: 'ack' | 'disconnect';
}

export const NEVER_EXPIRE = 0xffffffff;

export function defaultBrokerConfig(): BrokerConfig {
  return {
    node: 'mqttlab',
    limits: {
      maxPacketSize: 1024 * 1024,
      maxClientIdLength: 65535,
      maxTopicLevels: 128,
      maxInflight: 32,
      receiveMaximum: 128,
      maxQueuedMessages: 1000,
      maxConnections: 1_000_000,
      maxSubscriptionsPerClient: 0,
      topicAliasMaximum: 1024,
      maxKeepalive: 0,
      maxSessionExpiry: NEVER_EXPIRE,
      maxWriteBuffer: 16 * 1024 * 1024,
    },
    features: {
      maximumQoS: 2,
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifierAvailable: true,
      sharedSubscriptionAvailable: true,
    },
    session: { queueQos0: true, dropPolicy: 'drop-oldest', v3SessionExpiry: NEVER_EXPIRE },
    sharedSubscriptionStrategy: 'round-robin',
    connectTimeoutMs: 10_000,
    sysInterval: 10,
    security: {
      maxConnectRate: 0,
      maxMessageRate: 0,
      flapping: { enabled: false, maxConnects: 15, windowSec: 60, banSec: 300 },
      v3DeniedPublish: 'ack',
    },
  };
}

type Check = (v: unknown) => string | null;

const int =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
      ? null
      : `must be an integer in [${min}, ${max}]`;
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
const oneOf =
  (...xs: (string | number)[]): Check =>
  (v) =>
    xs.includes(v as string) ? null : `must be one of ${xs.join(', ')}`;
const name: Check = (v) =>
  typeof v === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(v)
    ? null
    : 'must be 1-64 chars of A-Z a-z 0-9 _ . -';

/** Schema mirroring BrokerConfig; leaves are checks, objects are sections. */
export const brokerSchema: Record<string, unknown> = {
  node: name,
  limits: {
    maxPacketSize: int(16, 268_435_455),
    maxClientIdLength: int(23, 65535),
    maxTopicLevels: int(1, 65535),
    maxInflight: int(1, 65535),
    receiveMaximum: int(1, 65535),
    maxQueuedMessages: int(0, 100_000_000),
    maxConnections: int(1, 100_000_000),
    maxSubscriptionsPerClient: int(0, 100_000_000),
    topicAliasMaximum: int(0, 65535),
    maxKeepalive: int(0, 65535),
    maxSessionExpiry: int(0, NEVER_EXPIRE),
    maxWriteBuffer: int(65536, 2 ** 31),
  },
  features: {
    maximumQoS: oneOf(0, 1, 2),
    retainAvailable: bool,
    wildcardSubscriptionAvailable: bool,
    subscriptionIdentifierAvailable: bool,
    sharedSubscriptionAvailable: bool,
  },
  session: {
    queueQos0: bool,
    dropPolicy: oneOf('drop-oldest', 'drop-new'),
    v3SessionExpiry: int(0, NEVER_EXPIRE),
  },
  sharedSubscriptionStrategy: oneOf('round-robin', 'random'),
  connectTimeoutMs: int(100, 3_600_000),
  sysInterval: int(0, 86_400),
  security: {
    maxConnectRate: int(0, 1_000_000),
    maxMessageRate: int(0, 1_000_000),
    flapping: {
      enabled: bool,
      maxConnects: int(1, 1_000_000),
      windowSec: int(1, 86_400),
      banSec: int(1, 30 * 86_400),
    },
    v3DeniedPublish: oneOf('ack', 'disconnect'),
  },
};

/**
 * Deep-merges `overrides` onto `base` following `schema`; returns the merged
 * value and every problem found (unknown key, wrong type, out of range).
 */
export function mergeChecked<T>(
  schema: Record<string, unknown>,
  base: T,
  overrides: unknown,
  path = '',
): { value: T; errors: string[] } {
  const errors: string[] = [];
  const out = structuredClone(base) as Record<string, unknown>;
  if (overrides === undefined) return { value: out as T, errors };
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    return { value: out as T, errors: [`${path || 'config'}: must be an object`] };
  }
  for (const [k, v] of Object.entries(overrides)) {
    const p = path ? `${path}.${k}` : k;
    const rule = schema[k];
    if (rule === undefined) {
      errors.push(`${p}: unknown key`);
    } else if (typeof rule === 'function') {
      const err = (rule as Check)(v);
      // Never echo a secret back into a log, even a mistyped one.
      if (err)
        errors.push(
          `${p}: ${err} (got ${/secret|token|password/i.test(k) ? 'a value, not shown' : JSON.stringify(v)})`,
        );
      else out[k] = v;
    } else {
      const sub = mergeChecked(rule as Record<string, unknown>, out[k], v, p);
      errors.push(...sub.errors);
      out[k] = sub.value;
    }
  }
  return { value: out as T, errors };
}

export function brokerConfig(overrides?: unknown): BrokerConfig {
  const { value, errors } = mergeChecked(brokerSchema, defaultBrokerConfig(), overrides);
  if (errors.length) throw new ConfigError(errors);
  return value;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}
