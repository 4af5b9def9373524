// The sending half of one cluster link, on every node of this cluster: it dials a node of the other
// cluster, learns the topic filters that cluster subscribes to, and sends it the messages published
// on this node that match them. A message waits in a bounded buffer until the other side acknowledges
// it (it was published there); while the link is down the buffer fills, newer messages beyond it are
// dropped and counted, and on reconnect the rest is sent in order.

import { TopicTrie } from '../topic-trie.ts';
import type { Message } from '../message.ts';
import type { ByteSink } from '../env.ts';
import type { LinkConfig } from './config.ts';
import {
  L,
  LINK_PROTOCOL_VERSION,
  LinkReader,
  encodeLink,
  encodeLinkMsg,
  linkProof,
  type LinkFrame,
  type LinkMsg,
} from './protocol.ts';
import type { LinkHost } from './link-host.ts';

export type LinkState = 'down' | 'connecting' | 'up';

interface Pending {
  seq: number;
  msg: Message;
  /** Written on a connection that ended without its acknowledgement. */
  sent: boolean;
}

export interface OutLinkStats {
  sent: number;
  acked: number;
  dropped: number;
  resent: number;
  expired: number;
}

export class OutLink {
  state: LinkState = 'down';
  /** The acceptor's node while up. */
  peer = '';
  /** Filters the other cluster subscribes to, as it last told us (kept while the link is down). */
  private filters = new TopicTrie<true>();
  private filterSet = new Set<string>();
  private scratch: true[] = [];
  private buffer: Pending[] = [];
  private seq = 0;
  /** `verified`: the acceptor proved the secret (its Challenge); `authed`: welcomed after our proof. */
  private conn: { sink: ByteSink; gen: number; nonce: string; verified: boolean; authed: boolean } | null =
    null;
  private gen = 0;
  private reader = new LinkReader();
  private addresses: string[];
  private next: number;
  private lastRx = 0;
  private dialAt = 0;
  private dialDeadline = 0;
  readonly stats: OutLinkStats = { sent: 0, acked: 0, dropped: 0, resent: 0, expired: 0 };
  /** When the state last changed (host clock). */
  since: number;

  constructor(
    readonly cfg: LinkConfig,
    private h: LinkHost,
  ) {
    this.addresses = cfg.address.split(',').map((a) => a.trim());
    // Each node starts at its own address (spread), and keeps to it while it answers.
    let x = 0;
    for (const ch of h.node) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
    this.next = x % this.addresses.length;
    this.since = h.now();
  }

  get name(): string {
    return this.cfg.name;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  get routes(): number {
    return this.filterSet.size;
  }

  /** A message published on this node (not one that came over a link). */
  publish(msg: Message): void {
    this.scratch.length = 0;
    if (this.filters.match(msg.topic, this.scratch).length === 0) return;
    if (this.buffer.length >= this.h.settings.buffer) {
      this.stats.dropped++;
      this.h.dropped(this.name, msg);
      return;
    }
    const p: Pending = { seq: ++this.seq, msg, sent: false };
    this.buffer.push(p);
    if (this.state === 'up') this.send(p);
  }

  /** Periodic: pings, silence, dialing. */
  tick(now: number): void {
    if (this.state === 'up') {
      if (now - this.lastRx > this.h.settings.timeoutMs) return this.drop('no frame from the other side');
      this.conn!.sink.write(encodeLink(L.Ping));
    } else if (this.state === 'connecting') {
      if (now >= this.dialDeadline) this.drop('no answer', true);
    } else if (now >= this.dialAt) this.dial(now);
  }

  stop(): void {
    this.dialAt = Infinity;
    this.drop('stopping');
  }

  private dial(now: number): void {
    const gen = ++this.gen;
    const address = this.addresses[this.next]!;
    this.state = 'connecting';
    this.dialDeadline = now + this.h.settings.timeoutMs;
    this.h.dial(address, {
      open: (sink) => {
        if (gen !== this.gen) return sink.close();
        const nonce = this.h.nonce();
        this.conn = { sink, gen, nonce, verified: false, authed: false };
        this.reader = new LinkReader();
        this.lastRx = this.h.now();
        sink.write(
          encodeLink(L.Hello, {
            v: LINK_PROTOCOL_VERSION,
            cluster: this.h.settings.name,
            node: this.h.node,
            session: this.h.session,
            nonce,
          }),
        );
      },
      data: (bytes) => {
        if (gen === this.gen) this.receive(bytes);
      },
      closed: () => {
        if (gen === this.gen) this.drop('connection closed', !this.conn?.authed);
      },
    });
  }

  private receive(bytes: Buffer): void {
    const frames: LinkFrame[] = [];
    try {
      this.reader.push(bytes, frames);
    } catch (e) {
      return this.drop(`bad frame: ${(e as Error).message}`);
    }
    this.lastRx = this.h.now();
    for (const f of frames) {
      if (!this.conn) return;
      this.onFrame(f);
    }
  }

  private onFrame(f: LinkFrame): void {
    const c = this.conn!;
    if (!c.authed) {
      if (f.type === L.Reject) return this.refused(`refused by ${this.name}: ${f.body.reason}`);
      if (f.type === L.Challenge && !c.verified) {
        const { cluster, node, nonce, proof } = f.body;
        if (cluster !== this.name)
          return this.refused(`${this.cfg.address} is cluster ${cluster}, not ${this.name}`);
        const want = linkProof(this.h.hmac, this.cfg.secret, c.nonce, cluster, this.h.settings.name);
        if (proof !== want) return this.refused(`${this.name} (${node}) failed the secret check`);
        this.peer = node;
        c.verified = true;
        c.sink.write(
          encodeLink(L.Proof, {
            proof: linkProof(this.h.hmac, this.cfg.secret, nonce, this.h.settings.name, cluster),
          }),
        );
        return;
      }
      // Only from an acceptor that proved the secret: nothing crosses to one that did not.
      if (f.type === L.Welcome && c.verified) return this.welcome(f.body.acked, f.body.filters);
      return this.refused(`unexpected frame ${f.type} before the handshake`);
    }
    switch (f.type) {
      case L.Ack:
        return this.acked(f.body.seq);
      case L.Routes:
        for (const x of f.body.del) this.unroute(x);
        for (const x of f.body.add) this.route(x);
        return;
      case L.Ping:
        return;
      default:
        return this.drop(`unexpected frame ${f.type}`);
    }
  }

  private welcome(acked: number, filters: string[]): void {
    const c = this.conn!;
    c.authed = true;
    this.state = 'up';
    this.since = this.h.now();
    const keep = new Set(filters);
    for (const x of [...this.filterSet]) if (!keep.has(x)) this.unroute(x);
    for (const x of filters) this.route(x);
    this.acked(acked);
    this.h.changed(this, 'up');
    for (const p of this.buffer) this.send(p);
  }

  private send(p: Pending): void {
    const now = this.h.now();
    const m = p.msg;
    if (m.expiresAt !== undefined && m.expiresAt <= now) {
      if (!p.sent) this.stats.expired++;
      p.sent = true;
      return; // its seq is acknowledged with the next one's
    }
    const lm: LinkMsg = {
      seq: p.seq,
      origin: this.h.settings.name,
      mid: m.mid ?? '',
      topic: m.topic,
      qos: m.qos,
      payload: m.payload,
    };
    if (m.expiresAt !== undefined) lm.ttl = Math.max(0, m.expiresAt - now);
    if (m.props) lm.props = m.props;
    if (p.sent) {
      lm.resend = true;
      this.stats.resent++;
    } else this.stats.sent++;
    p.sent = true;
    this.conn!.sink.write(encodeLinkMsg(lm));
  }

  private acked(seq: number): void {
    let i = 0;
    while (i < this.buffer.length && this.buffer[i]!.seq <= seq) i++;
    if (i > 0) {
      this.stats.acked += i;
      this.buffer.splice(0, i);
    }
  }

  private route(filter: string): void {
    if (this.filterSet.has(filter)) return;
    this.filterSet.add(filter);
    this.filters.set(filter, true);
  }

  private unroute(filter: string): void {
    if (this.filterSet.delete(filter)) this.filters.delete(filter);
  }

  private refused(reason: string): void {
    this.h.log(`link ${this.name}: ${reason}`);
    this.conn?.sink.write(encodeLink(L.Reject, { reason }));
    this.drop(reason, true);
  }

  /** The connection ends; `failed`: it never got up, so the next dial tries the next address. */
  private drop(why: string, failed = false): void {
    const was = this.state;
    const c = this.conn;
    this.conn = null;
    this.gen++;
    c?.sink.close();
    if (was === 'down') return;
    this.state = 'down';
    this.since = this.h.now();
    if (failed) this.next = (this.next + 1) % this.addresses.length;
    this.dialAt = Math.max(this.dialAt, this.h.now() + (failed ? this.h.settings.reconnectMs : 0));
    if (was === 'up') this.h.changed(this, 'down', why);
  }
}
