// CONNACK before anything else [MQTT-3.2.0-1]: the first packet the server
// sends on a connection is the CONNACK. Seen two ways in the history: a
// delivery between a client's CONNECT and its CONNACK (a lenient client,
// mqtt.js live), or the strict client's protocol-violation event (it drops
// the connection without delivering).

import { keyOf, type Ev, type Violation } from './common.ts';

export function checkConnackFirst(events: Ev[]): Violation[] {
  const out: Violation[] = [];
  /** Per client process: the CONNECT still waiting for its CONNACK. */
  const waiting = new Map<string, Ev>();
  for (const e of events) {
    const type = e.type;
    if (type === 'client.connect') waiting.set(keyOf(e), e);
    else if (type === 'client.connack' || type === 'client.closed') waiting.delete(keyOf(e));
    else if (type === 'deliver') {
      const conn = waiting.get(keyOf(e));
      if (conn)
        out.push({
          property: 'connack-first',
          detail: `${e.c} got PUBLISH ${e.id}${e.dup ? ' (DUP)' : ''} on ${e.topic} from ${e.node} before its CONNACK`,
          excerpt: [conn, e],
        });
    } else if (
      type === 'protocol-violation' &&
      (e.kind === 'publish-before-connack' || e.kind === 'packet-before-connack')
    ) {
      out.push({
        property: 'connack-first',
        detail: `${e.c}: ${e.detail} from ${e.node} [${e.rule}]`,
        excerpt: [e],
      });
    }
  }
  return out;
}
