// A Redis server on the simulated network, serving what the core's external store asks
// (core/external-storage.ts: atomic write batches, one session's records), and the broker side's
// StoreLink that reaches it over a simulated connection. Its failures are faults like any other:
// partitions and latency between a node and the `redis` host (w.partition, w.setLatency), a crash
// and restart with its data (AOF) or without, and a slow server (every answer delayed).
//
// Wire format (simulator only): frames [u32 length][u8 kind][u32 id][body]; a body is a list of
// records [u16 key length][key][u8 present][u32 value length][value].

import type { StoreLink, StoreRecord, StoreResults, StoreWrite } from '../core/external-storage.ts';
import type { SimHost } from './host.ts';
import type { Network, SimSocket, StreamEndpoint } from './network.ts';

export const REDIS_HOST = 'redis';
const PORT = 'redis';
const RECONNECT_MS = 200;

const enum K {
  Write = 1,
  Load = 2,
  Written = 3,
  Loaded = 4,
}

export interface SimRedisOptions {
  /** Keeps its data across a crash (appendonly yes, appendfsync always); false: restarts empty. */
  aof?: boolean;
  /** Extra milliseconds before every answer (a slow or overloaded Redis). */
  slowMs?: number;
  /** The brokers' bound on acknowledgements held for it (runtime: store.maxHeld; default 10000). */
  maxHeld?: number;
  /** The brokers' bound on bytes written and not yet confirmed (runtime: store.maxHeldBytes). */
  maxHeldBytes?: number;
}

function encodeRecords(kind: K, id: number, recs: { key: string; value: Uint8Array | null }[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of recs) {
    const k = Buffer.from(r.key);
    const head = Buffer.alloc(2 + k.length + 5);
    head.writeUInt16BE(k.length, 0);
    k.copy(head, 2);
    head[2 + k.length] = r.value ? 1 : 0;
    head.writeUInt32BE(r.value?.length ?? 0, 3 + k.length);
    parts.push(head);
    if (r.value) parts.push(Buffer.from(r.value));
  }
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(9);
  h.writeUInt32BE(5 + body.length, 0);
  h[4] = kind;
  h.writeUInt32BE(id, 5);
  return Buffer.concat([h, body]);
}

function decodeRecords(b: Buffer): { key: string; value: Uint8Array | null }[] {
  const out: { key: string; value: Uint8Array | null }[] = [];
  for (let p = 0; p < b.length;) {
    const kl = b.readUInt16BE(p);
    const key = b.toString('utf8', p + 2, p + 2 + kl);
    const present = b[p + 2 + kl] === 1;
    const vl = b.readUInt32BE(p + 3 + kl);
    p += 7 + kl;
    out.push({ key, value: present ? Buffer.from(b.subarray(p, p + vl)) : null });
    p += vl;
  }
  return out;
}

/** Cuts a byte stream into frames and hands each (kind, id, body) on. */
class Framer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (kind: K, id: number, body: Buffer) => void) {}
  push(bytes: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, bytes]) : bytes;
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + n) return;
      const f = this.buf.subarray(4, 4 + n);
      this.buf = this.buf.subarray(4 + n);
      this.onFrame(f[0] as K, f.readUInt32BE(1), f.subarray(5));
    }
  }
}

/** The Redis server: the records as the core names them (runtime/redis-link.ts maps them to Redis keys). */
export class SimRedis {
  readonly data = new Map<string, Uint8Array>();
  writes = 0;
  loads = 0;

  constructor(
    readonly host: SimHost,
    private readonly network: Network,
    readonly opts: SimRedisOptions,
  ) {}

  /** (Re)starts serving; after a crash without AOF, empty. */
  start(): void {
    this.host.start();
    this.network.listen(this.host.name, { accept: (s) => this.accept(s) }, PORT);
  }

  /** The process died: without AOF everything it held is gone. */
  crashed(): void {
    if (!this.opts.aof) this.data.clear();
  }

  private accept(sock: SimSocket): StreamEndpoint {
    const f = new Framer((kind, id, body) => {
      const answer = (): void => {
        if (kind === K.Write) {
          // Applied atomically (MULTI/EXEC); deleting a session deletes its queue.
          for (const op of decodeRecords(body)) this.apply(op);
          this.writes++;
          sock.write(encodeRecords(K.Written, id, []));
        } else if (kind === K.Load) {
          const clientId = body.toString();
          this.loads++;
          const recs: StoreRecord[] = [];
          const s = this.data.get('s/' + clientId);
          if (s) recs.push({ key: 's/' + clientId, value: s });
          const q = 'q/' + clientId + '\0';
          for (const [key, value] of this.data) if (key.startsWith(q)) recs.push({ key, value });
          sock.write(encodeRecords(K.Loaded, id, recs));
        }
      };
      const slow = this.opts.slowMs ?? 0;
      if (slow > 0) this.host.setTimer(slow, answer);
      else answer();
    });
    return { onData: (b) => f.push(b), onClose: () => {} };
  }

  private apply(op: { key: string; value: Uint8Array | null }): void {
    if (op.value) return void this.data.set(op.key, op.value);
    this.data.delete(op.key);
    if (!op.key.startsWith('s/')) return;
    const q = 'q/' + op.key.slice(2) + '\0';
    for (const k of [...this.data.keys()]) if (k.startsWith(q)) this.data.delete(k);
  }
}

/**
 * A broker's connection to the simulated Redis: requests made while it is down wait for the next
 * connection (as ioredis's offline queue); those in flight when it drops fail (the store retries).
 */
export class SimStoreLink implements StoreLink {
  results: StoreResults | null = null;
  private sock: SimSocket | null = null;
  private connecting = false;
  private queued: Buffer[] = [];
  private inFlight = new Set<number>();

  constructor(
    private readonly host: SimHost,
    private readonly redisHost: SimHost,
    private readonly network: Network,
  ) {
    this.dial();
  }

  private dial(): void {
    if (this.connecting || this.sock) return;
    this.connecting = true;
    const epoch = this.host.epoch;
    const f = new Framer((kind, id, body) => {
      if (!this.inFlight.delete(id)) return;
      if (kind === K.Written) this.results?.written(id);
      else if (kind === K.Loaded) this.results?.loaded(id, decodeRecords(body) as StoreRecord[]);
    });
    this.network.connect(
      this.host,
      this.redisHost,
      {
        onOpen: (s) => {
          this.connecting = false;
          this.sock = s;
          const q = this.queued;
          this.queued = [];
          for (const b of q) s.write(b);
        },
        onData: (b) => f.push(b),
        onClose: () => {
          if (this.host.epoch !== epoch) return;
          this.connecting = false;
          this.sock = null;
          const lost = [...this.inFlight];
          this.inFlight.clear();
          this.queued = [];
          for (const id of lost) this.results?.failed(id, 'connection to redis lost');
          this.host.setTimer(RECONNECT_MS, () => this.dial());
        },
      },
      undefined,
      PORT,
    );
  }

  private send(id: number, frame: Buffer): void {
    this.inFlight.add(id);
    if (this.sock) this.sock.write(frame);
    else {
      this.queued.push(frame);
      this.dial();
    }
  }

  write(id: number, ops: StoreWrite[]): void {
    this.send(id, encodeRecords(K.Write, id, ops));
  }

  loadSession(id: number, clientId: string): void {
    const body = Buffer.from(clientId);
    const h = Buffer.alloc(9);
    h.writeUInt32BE(5 + body.length, 0);
    h[4] = K.Load;
    h.writeUInt32BE(id, 5);
    this.send(id, Buffer.concat([h, body]));
  }
}
