// The client side of the MQTT spec, checked the way a strict client
// (HiveMQ's Java client, Paho in strict mode) checks it: every packet the
// server sends is judged against what this client sent and asked for.
// Shared by the simulated client (sim/client.ts) and the live one
// (sim/live/live-client.ts, fed from mqtt.js's packetsend/packetreceive),
// so both record the same 'protocol-violation' events for the checkers.

import type { Packet } from 'mqtt-packet';

export type ProtocolViolationKind =
  | 'publish-before-connack'
  | 'packet-before-connack'
  | 'second-connack'
  | 'session-present-on-clean-start'
  | 'packet-id-in-use'
  | 'unknown-packet-id'
  | 'ack-type-mismatch'
  | 'topic-alias-not-allowed'
  | 'packet-too-large'
  | 'subscription-id-not-set'
  | 'dup-on-qos0';

export interface ProtocolViolation {
  kind: ProtocolViolationKind;
  /** The normative statement the server broke. */
  rule: string;
  detail: string;
}

/** What this client told the server in its CONNECT (absent: the spec's default). */
export interface GuardLimits {
  /** v5 Topic Alias Maximum the client sent (default 0: no aliases allowed). */
  topicAliasMaximum?: number;
  /** v5 Maximum Packet Size the client sent (default: none). */
  maximumPacketSize?: number;
}

const RULES: Record<ProtocolViolationKind, string> = {
  'publish-before-connack': 'MQTT-3.2.0-1',
  'packet-before-connack': 'MQTT-3.2.0-1',
  'second-connack': 'MQTT-3.2.0-2',
  'session-present-on-clean-start': 'MQTT-3.2.2-2',
  'packet-id-in-use': 'MQTT-2.2.1-3',
  'unknown-packet-id': 'MQTT-4.3.2-2',
  'ack-type-mismatch': 'MQTT-4.3.3-2',
  'topic-alias-not-allowed': 'MQTT-3.3.2-9',
  'packet-too-large': 'MQTT-3.1.2-25',
  'subscription-id-not-set': 'MQTT-3.3.4-3',
  'dup-on-qos0': 'MQTT-3.3.1-2',
};

type OutState = 'puback' | 'pubrec' | 'pubcomp';

export class ClientGuard {
  /** CONNACK received on the current connection. */
  private connacked = false;
  /** Packet ids of our PUBLISH/PUBREL on this connection, with the ack each waits for. */
  private out = new Map<number, OutState>();
  /** QoS 2 packet ids the server sent us and has not released yet (session state). */
  private rxPending = new Set<number>();
  /** QoS 2 packet ids we completed in this session: the server may resend PUBREL after a reconnect. */
  private rxDone = new Set<number>();
  /** Subscription identifiers this client set (it never sets any today). */
  private subIds = new Set<number>();

  constructor(
    private readonly clean: boolean,
    private readonly version: number,
    private readonly limits: GuardLimits = {},
  ) {}

  /** A new network connection starts (before CONNECT is written). */
  opened(): void {
    this.connacked = false;
    this.out.clear();
  }

  /** A packet this client is about to write. */
  sent(p: Packet): void {
    switch (p.cmd) {
      case 'publish':
        if (p.qos > 0) this.out.set(p.messageId!, p.qos === 1 ? 'puback' : 'pubrec');
        return;
      case 'pubrel':
        this.out.set(p.messageId!, 'pubcomp');
        return;
      case 'pubcomp':
        this.rxPending.delete(p.messageId!);
        this.rxDone.add(p.messageId!);
        return;
      case 'subscribe': {
        const id = p.properties?.subscriptionIdentifier;
        if (typeof id === 'number') this.subIds.add(id);
        return;
      }
      default:
        return;
    }
  }

  /**
   * A packet the server sent; `size` is its length on the wire when known.
   * Returns the violation it commits, if any (the state is updated as the client would).
   */
  received(p: Packet, size?: number): ProtocolViolation | null {
    if (size !== undefined && this.limits.maximumPacketSize && size > this.limits.maximumPacketSize) {
      return v(
        'packet-too-large',
        `${p.cmd} of ${size} bytes, over the Maximum Packet Size ${this.limits.maximumPacketSize} the client sent`,
      );
    }
    if (p.cmd === 'connack') {
      if (this.connacked) return v('second-connack', 'a second CONNACK on one connection');
      this.connacked = true;
      const rc = (p.reasonCode ?? p.returnCode ?? 0) as number;
      if (rc === 0 && p.sessionPresent && this.clean)
        return v('session-present-on-clean-start', 'session present 1 in reply to a clean start');
      if (rc === 0 && !p.sessionPresent) {
        // A new session: whatever QoS 2 state we held for the old one is gone.
        this.rxPending.clear();
        this.rxDone.clear();
      }
      return null;
    }
    if (!this.connacked) {
      const what = p.cmd === 'publish' ? `PUBLISH ${p.topic}${p.dup ? ' (DUP)' : ''}` : p.cmd.toUpperCase();
      return v(
        p.cmd === 'publish' ? 'publish-before-connack' : 'packet-before-connack',
        `${what} before the CONNACK`,
      );
    }
    switch (p.cmd) {
      case 'publish':
        return this.publish(p);
      case 'puback':
      case 'pubrec':
      case 'pubcomp': {
        const pid = p.messageId!;
        const want = this.out.get(pid);
        if (want === undefined)
          return v(
            'unknown-packet-id',
            `${p.cmd.toUpperCase()} for packet id ${pid}, which has nothing in flight`,
          );
        if (want !== p.cmd)
          return v(
            'ack-type-mismatch',
            `${p.cmd.toUpperCase()} for packet id ${pid}, which waits for ${want.toUpperCase()}`,
          );
        if (p.cmd === 'pubrec' && (p.reasonCode ?? 0) < 0x80) this.out.set(pid, 'pubcomp');
        else this.out.delete(pid);
        return null;
      }
      case 'pubrel': {
        const pid = p.messageId!;
        // A PUBREL for an id we already completed is the server's resend after a lost PUBCOMP.
        if (!this.rxPending.has(pid) && !this.rxDone.has(pid))
          return v(
            'unknown-packet-id',
            `PUBREL for packet id ${pid}, never received at QoS 2 in this session`,
          );
        return null;
      }
      default:
        return null;
    }
  }

  private publish(p: Packet & { cmd: 'publish' }): ProtocolViolation | null {
    if (p.qos === 0 && p.dup) return v('dup-on-qos0', `QoS 0 PUBLISH ${p.topic} with DUP 1`);
    const props = p.properties;
    if (this.version === 5 && props) {
      const alias = props.topicAlias;
      if (alias !== undefined && alias > (this.limits.topicAliasMaximum ?? 0)) {
        return v(
          'topic-alias-not-allowed',
          `topic alias ${alias}, over the Topic Alias Maximum ${this.limits.topicAliasMaximum ?? 0} the client sent`,
        );
      }
      const ids = props.subscriptionIdentifier;
      for (const id of ids === undefined ? [] : Array.isArray(ids) ? ids : [ids]) {
        if (!this.subIds.has(id))
          return v(
            'subscription-id-not-set',
            `subscription identifier ${id}, which no SUBSCRIBE of this client set`,
          );
      }
    }
    if (p.qos === 2) {
      const pid = p.messageId!;
      if (this.rxPending.has(pid) && !p.dup)
        return v('packet-id-in-use', `new QoS 2 PUBLISH with packet id ${pid}, still unreleased`);
      this.rxPending.add(pid);
      this.rxDone.delete(pid);
    }
    return null;
  }
}

/** Bytes on the wire of a packet with this Remaining Length. */
export function wireSize(rem: number): number {
  return 1 + (rem < 128 ? 1 : rem < 16_384 ? 2 : rem < 2_097_152 ? 3 : 4) + rem;
}

function v(kind: ProtocolViolationKind, detail: string): ProtocolViolation {
  return { kind, rule: RULES[kind], detail };
}
