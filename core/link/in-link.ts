// The receiving half of a cluster link: a node of the other cluster dialed this one. After the
// handshake (both prove the link's secret), this side tells it the topic filters this cluster
// subscribes to, and keeps telling it as they change; the messages it sends are published here,
// marked as having come over a link (they never go over another one), and acknowledged once published.

import type { ByteSink } from '../env.ts';
import type { LinkConfig } from './config.ts';
import {
  L,
  LINK_PROTOCOL_VERSION,
  LinkReader,
  encodeLink,
  linkProof,
  type LinkFrame,
  type LinkMsg,
} from './protocol.ts';

/** What an accepted link needs of this node (core/link/links.ts). */
export interface InLinkHost {
  readonly node: string;
  readonly name: string;
  readonly timeoutMs: number;
  now(): number;
  nonce(): string;
  hmac(key: string, data: string): string;
  linkTo(cluster: string): LinkConfig | undefined;
  log(m: string): void;
  /** The filters this cluster subscribes to that may cross links. */
  filters(): string[];
  /** The highest seq of `session` published here (0: none). */
  taken(session: string): number;
  took(session: string, seq: number): void;
  publish(from: string, m: LinkMsg): void;
  up(l: InLink): void;
  down(l: InLink): void;
}

export class InLink {
  state: 'hello' | 'challenged' | 'up' | 'closed' = 'hello';
  /** The dialer's cluster, node and session once it said them. */
  cluster = '';
  node = '';
  private session = '';
  private theirNonce = '';
  private nonce = '';
  private reader = new LinkReader();
  lastRx: number;
  received = 0;

  constructor(
    private h: InLinkHost,
    private sink: ByteSink,
  ) {
    this.lastRx = h.now();
  }

  receive(bytes: Buffer): void {
    if (this.state === 'closed') return;
    const frames: LinkFrame[] = [];
    try {
      this.reader.push(bytes, frames);
    } catch (e) {
      return this.reject(`bad frame: ${(e as Error).message}`);
    }
    this.lastRx = this.h.now();
    let ack = -1;
    for (const f of frames) {
      if (this.isClosed()) return;
      if (f.type === L.Msg && this.state === 'up') ack = this.message(f.msg);
      else this.onFrame(f);
    }
    if (ack >= 0 && this.state === 'up') this.sink.write(encodeLink(L.Ack, { seq: ack }));
  }

  /** Periodic: a ping, or the close of a silent link. */
  tick(now: number): void {
    if (this.state === 'closed') return;
    if (now - this.lastRx > this.h.timeoutMs) return this.close();
    if (this.state === 'up') this.sink.write(encodeLink(L.Ping));
  }

  /** This cluster's filters changed. */
  routes(add: string[], del: string[]): void {
    if (this.state === 'up') this.sink.write(encodeLink(L.Routes, { add, del }));
  }

  private onFrame(f: LinkFrame): void {
    if (f.type === L.Hello && this.state === 'hello') {
      const { v, cluster, node, session, nonce } = f.body;
      if (v !== LINK_PROTOCOL_VERSION)
        return this.reject(`link protocol ${v}, this node speaks ${LINK_PROTOCOL_VERSION}`);
      const cfg = this.h.linkTo(cluster);
      if (!cfg) return this.reject(`no link configured for cluster ${cluster}`);
      Object.assign(this, {
        cluster,
        node,
        session,
        theirNonce: nonce,
        nonce: this.h.nonce(),
        state: 'challenged',
      });
      const proof = linkProof(this.h.hmac, cfg.secret, nonce, this.h.name, cluster);
      this.sink.write(
        encodeLink(L.Challenge, { cluster: this.h.name, node: this.h.node, nonce: this.nonce, proof }),
      );
      return;
    }
    if (f.type === L.Proof && this.state === 'challenged') {
      const cfg = this.h.linkTo(this.cluster)!;
      if (f.body.proof !== linkProof(this.h.hmac, cfg.secret, this.nonce, this.cluster, this.h.name))
        return this.reject(`cluster ${this.cluster} (${this.node}) failed the secret check`);
      this.state = 'up';
      this.sink.write(
        encodeLink(L.Welcome, { acked: this.h.taken(this.session), filters: this.h.filters() }),
      );
      this.h.up(this);
      return;
    }
    if (f.type === L.Ping && this.state === 'up') return;
    if (f.type === L.Reject) {
      this.h.log(`link from ${this.cluster} (${this.node}) ended by it: ${f.body.reason}`);
      return this.close();
    }
    this.reject(`unexpected frame ${f.type} in state ${this.state}`);
  }

  /** Publishes `m` here unless this session's seq says it was already; returns the seq to acknowledge. */
  private message(m: LinkMsg): number {
    const taken = this.h.taken(this.session);
    if (m.seq <= taken) return taken; // a resend of what we published before the last connection ended
    if (m.origin !== this.cluster) {
      this.reject(`message from ${this.cluster} published in ${m.origin}: messages cross one link only`);
      return -1;
    }
    this.h.publish(this.cluster, m);
    this.h.took(this.session, m.seq);
    this.received++;
    return m.seq;
  }

  private reject(reason: string): void {
    this.h.log(
      `link from ${this.cluster || 'an unknown cluster'}${this.node ? ` (${this.node})` : ''} refused: ${reason}`,
    );
    this.sink.write(encodeLink(L.Reject, { reason }));
    this.close();
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  close(): void {
    if (this.state === 'closed') return;
    const was = this.state;
    this.state = 'closed';
    this.sink.close();
    if (was === 'up') this.h.down(this);
  }

  transportClosed(): void {
    this.close();
  }
}
