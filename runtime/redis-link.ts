// The session store in Redis (ioredis): the StoreLink of core/external-storage.ts. The core's
// records map to Redis keys under the prefix:
//   s/<clientId>           → string  <prefix>s:<clientId>        session state
//   q/<clientId>\0<seq>.<node> → hash <prefix>q:<clientId>  field <seq, 13 hex digits>.<node>: one owed message
//   r/<topic>              → hash    <prefix>r             field <topic>: one retained message
// A batch is one MULTI/EXEC (atomic, in order). Deleting a session deletes its whole queue hash too:
// records another node left for it (a handoff, a split) do not outlive it. While Redis is unreachable
// ioredis queues the commands (maxRetriesPerRequest: null) and the core waits: PUBACKs are held,
// CONNECTs that need a session time out with 0x88; everything resumes when Redis is back.
// redis+sentinel:// URLs reach the master through Redis Sentinel (runtime/redis-url.ts).

import { Redis } from 'ioredis';
import type { Logger } from '../core/env.ts';
import { redisOptions, SENTINEL_SCHEME } from './redis-url.ts';
import type { StoreLink, StoreRecord, StoreResults, StoreWrite } from '../core/external-storage.ts';

export class RedisLink implements StoreLink {
  private readonly redis: Redis;
  /** Set by the ExternalStorage that uses this link. */
  results: StoreResults | null = null;
  private lastState = '';

  constructor(
    readonly url: string,
    keyPrefix: string,
    private readonly log?: Logger,
  ) {
    const opts = redisOptions(url, {
      keyPrefix,
      lazyConnect: true,
      maxRetriesPerRequest: null,
      // Reconnect quickly at first, at most every 2 s.
      retryStrategy: (times) => Math.min(50 * times, 2000),
    });
    if (typeof opts === 'string') throw new Error(opts);
    // A Sentinel URL gives the options whole (ioredis then asks the sentinels where the master is).
    this.redis = url.startsWith(SENTINEL_SCHEME) ? new Redis(opts) : new Redis(url, opts);
    this.redis.on('error', (e: Error) => this.state(`unreachable (${e.message})`));
    this.redis.on('ready', () => this.state('connected'));
  }

  private state(s: string): void {
    if (s === this.lastState) return;
    this.lastState = s;
    const line = `session store ${this.url}: ${s}`;
    if (s === 'connected') this.log?.info(line);
    else this.log?.warn(line);
  }

  /** Connects (rejects when Redis cannot be reached: a node does not start without its store). */
  async open(): Promise<void> {
    await this.redis.connect();
  }

  /** Every retained message (read once, at start). */
  async loadRetained(): Promise<StoreRecord[]> {
    const h = await this.redis.hgetallBuffer('r');
    return Object.entries(h).map(([topic, value]) => ({ key: 'r/' + topic, value }));
  }

  write(id: number, ops: StoreWrite[]): void {
    const m = this.redis.multi();
    for (const { key, value } of ops) {
      const { rkey, field } = redisKey(key);
      if (key.startsWith('s/')) {
        if (value) m.set(rkey, Buffer.from(value));
        else m.del(rkey, 'q:' + key.slice(2));
      } else if (value) m.hset(rkey, field!, Buffer.from(value));
      else m.hdel(rkey, field!);
    }
    m.exec().then(
      (res) => {
        const err = res?.find(([e]) => e)?.[0];
        if (err || !res) this.results?.failed(id, err ? err.message : 'transaction aborted');
        else this.results?.written(id);
      },
      (e: Error) => this.results?.failed(id, e.message),
    );
  }

  loadSession(id: number, clientId: string): void {
    // One transaction: the session and its queue as of one moment.
    const m = this.redis
      .multi()
      .getBuffer('s:' + clientId)
      .hgetallBuffer('q:' + clientId);
    m.exec().then(
      (res) => {
        const err = res?.find(([e]) => e)?.[0];
        if (err || !res) return this.results?.failed(id, err ? err.message : 'transaction aborted');
        const s = res[0][1] as Buffer | null;
        const q = hashOf(res[1][1]);
        const out: StoreRecord[] = [];
        if (s) out.push({ key: 's/' + clientId, value: s });
        for (const [seq, value] of q) out.push({ key: `q/${clientId}\0${seq}`, value });
        this.results?.loaded(id, out);
      },
      (e: Error) => this.results?.failed(id, e.message),
    );
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /** Drops the connection at once (a crash: what is queued is lost with the process). */
  disconnect(): void {
    this.redis.disconnect();
  }
}

/** The Redis key (and hash field) of a core record key. */
function redisKey(key: string): { rkey: string; field?: string } {
  if (key.startsWith('s/')) return { rkey: 's:' + key.slice(2) };
  if (key.startsWith('q/')) {
    const cut = key.lastIndexOf('\0');
    return { rkey: 'q:' + key.slice(2, cut), field: key.slice(cut + 1) };
  }
  if (key.startsWith('r/')) return { rkey: 'r', field: key.slice(2) };
  throw new Error(`session store: no Redis key for record ${JSON.stringify(key)}`);
}

/** HGETALL's reply inside a transaction: an object (ioredis transforms it) or the raw field/value list. */
function hashOf(v: unknown): [string, Buffer][] {
  if (Array.isArray(v)) {
    const out: [string, Buffer][] = [];
    for (let i = 0; i + 1 < v.length; i += 2) out.push([String(v[i]), v[i + 1] as Buffer]);
    return out;
  }
  return Object.entries((v ?? {}) as Record<string, Buffer>);
}
