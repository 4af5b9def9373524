// A live node's cluster events (membership, failovers, handoffs, releases of
// kept forwards...) for the run's history, as the simulator records them from
// core's Cluster.onEvent: the runner reads each node's `GET /api/events`
// stream (Server-Sent Events; runtime/server.ts feeds every cluster event in,
// runtime/admin.ts keeps the last ones for a late subscriber, so the events of
// a node's start are not missed). A live failure then shows what a simulated
// one would: when a node had its peer down, which copy was handed over when.

import http from 'node:http';
import { sseFrames, type AdminEvent } from '../../runtime/admin.ts';
import { payloadId } from '../client.ts';
import type { PassedOnEvent, LinkDropEvent } from '../events.ts';

/** One node's stream, from one process start until that process ends (or `close()`). */
export class NodeEventStream {
  private req: http.ClientRequest | null = null;
  private buf = '';
  private closed = false;

  /** `onEvent` gets each event the node sends, with its wall time (`t`, the node's Date.now()). */
  constructor(
    private readonly port: number,
    private readonly onEvent: (e: AdminEvent) => void,
  ) {
    this.open();
  }

  private open(): void {
    const req = http.get({ host: '127.0.0.1', port: this.port, path: '/api/events' }, (res) => {
      if (res.statusCode !== 200) return void res.resume();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => this.feed(chunk));
      res.on('error', () => {});
    });
    // The process died or was killed: its stream ends with it (a restart opens a new one).
    req.on('error', () => {});
    this.req = req;
  }

  private feed(chunk: string): void {
    const { data, rest } = sseFrames(this.buf + chunk);
    this.buf = rest;
    for (const d of data) {
      let ev: AdminEvent;
      try {
        ev = JSON.parse(d) as AdminEvent;
      } catch {
        continue; // not ours to judge: the stream's format is the admin API's
      }
      if (!this.closed && typeof ev.type === 'string' && typeof ev.t === 'number') this.onEvent(ev);
    }
  }

  close(): void {
    this.closed = true;
    this.req?.destroy();
    this.req = null;
  }
}

/**
 * The history event of a node's event: a cluster event as `cluster.<type>` with the node and the fields core
 * emitted, in the simulator's order (sim/world.ts records `{ type, node, ...detail }`), or a link buffer's drop
 * as `link.drop` (sim/links.ts), or a message a peer passed on to a live session as `handoff.msgs` / `moved.msgs`; null for
 * the node's other events.
 */
export function clusterHistoryEvent(
  e: AdminEvent,
): { type: `cluster.${string}`; node: string } | LinkDropEvent | PassedOnEvent | null {
  // A message a full link buffer gave up, named as the simulator names it (its publisher's id in the payload).
  if (e.type === 'link.drop' && typeof e.link === 'string' && typeof e.head === 'string')
    return { type: 'link.drop', node: e.node, link: e.link, id: payloadId(Buffer.from(e.head, 'latin1')) };
  // A message a peer passed on to a live session, one per event (runtime/server.ts), named as the simulator does.
  if (
    (e.type === 'handoff.msgs' || e.type === 'moved.msgs') &&
    typeof e.clientId === 'string' &&
    typeof e.from === 'string' &&
    typeof e.head === 'string'
  )
    return {
      type: e.type,
      node: e.node,
      c: e.clientId,
      from: e.from,
      ids: payloadId(Buffer.from(e.head, 'latin1')),
    };
  if (!e.type.startsWith('cluster.')) return null;
  const { t: _t, type, node, ...detail } = e;
  return { type: type as `cluster.${string}`, node, ...detail };
}
