// The application message as it travels inside the broker (and, later,
// between cluster nodes): what the publisher sent, minus per-hop fields
// (packet id, DUP, topic alias), plus where and when it entered.

export type QoS = 0 | 1 | 2;

export interface MessageProperties {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: Record<string, string | string[]>;
}

export interface Message {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** Client id of the publisher ('' for the broker itself: wills use the owner's id). */
  from: string;
  /** Broker clock when the message entered (ms). */
  receivedAt: number;
  /** Absolute expiry on the broker clock (ms), from Message Expiry Interval. */
  expiresAt?: number;
  props?: MessageProperties;
  /** Cluster-wide message id (node/incarnation/counter), set when a clustered broker takes the message. */
  mid?: string;
  /** Encoded PUBLISH bytes shared by subscribers alike in version/QoS/retain/DUP (see Connection.sendCached). */
  encoded?: ({ buf: Buffer; pidOffset: number } | undefined)[];
}

/** Remaining Message Expiry Interval in whole seconds, as forwarded [MQTT-3.3.2-6]. */
export function remainingExpiry(msg: Message, now: number): number | undefined {
  if (msg.expiresAt === undefined) return undefined;
  return Math.max(0, Math.ceil((msg.expiresAt - now) / 1000));
}

export function isExpired(msg: Message, now: number): boolean {
  return msg.expiresAt !== undefined && msg.expiresAt <= now;
}
