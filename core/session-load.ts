// A persistent session loaded from an external store (core/external-storage.ts) when its client
// connects to a node that does not hold it: the node it lived on died, or never held it. The
// CONNECT waits, like one waiting for an asynchronous authenticator (its later packets are held),
// and gets CONNACK 0x88 Server Unavailable (3.1.1: return code 3) when the store does not answer
// within the timeout or fails: the client retries, nothing is started without its session.
// Concurrent CONNECTs with one client id share one load.

import type { Clock, Env, Logger } from './env.ts';
import { ExternalStorage, type StoreRecord } from './external-storage.ts';
import { decodeOwed, decodeSession, type OwedRecord } from './persist-codec.ts';
import { isExpired } from './message.ts';
import type { LoadedState, SessionStore, StoredSession } from './session-store.ts';

/** What a load needs of the broker it restores into (core/broker.ts). */
export interface LoadTarget {
  readonly sessions: ReadonlyMap<string, unknown>;
  /** Set when a replica or a local session gives the session without the store. */
  priorOwner(clientId: string): { user: string | undefined } | undefined;
  /** Restores the sessions of `loaded` (its retained messages: none). */
  restore(loaded: LoadedState): unknown;
}

export interface LoadStats {
  loaded: number;
  absent: number;
  timeouts: number;
  failed: number;
}

/** An owed message of a session in the store, with its key there. */
export type LoadedOwed = OwedRecord & { pk: number };

interface Waiter {
  wanted: () => boolean;
  done: (ok: boolean) => void;
}

export class SessionLoads {
  private readonly waiting = new Map<string, Waiter[]>();
  readonly stats: LoadStats = { loaded: 0, absent: 0, timeouts: 0, failed: 0 };

  constructor(
    private readonly storage: ExternalStorage,
    private readonly store: SessionStore,
    private readonly target: LoadTarget,
    private readonly clock: Clock,
    readonly timeoutMs: number,
    private readonly log?: Logger,
  ) {
    // Message keys of every node writing to the store must not collide: this node's start from its clock.
    store.seqAtLeast(Math.floor(clock.now()) * 1024);
  }

  /** The store holds as many acknowledgements (or bytes) as it may: QoS 1/2 publishes are refused. */
  get backlogged(): boolean {
    return this.storage.backlogged;
  }

  /** Whether a CONNECT of `clientId` must wait for its session from the store. */
  needed(clientId: string, clean: boolean): boolean {
    return !clean && !this.target.sessions.has(clientId) && this.target.priorOwner(clientId) === undefined;
  }

  /**
   * Loads the session of `clientId`, then calls `done(true)`, or `done(false)` on a failure or
   * timeout. `wanted`: whether the connection still waits (the session is not restored for none).
   */
  load(clientId: string, wanted: () => boolean, done: (ok: boolean) => void): void {
    const w = this.waiting.get(clientId);
    if (w) {
      w.push({ wanted, done });
      return;
    }
    const list: Waiter[] = [{ wanted, done }];
    this.waiting.set(clientId, list);
    let over = false;
    const finish = (ok: boolean): void => {
      over = true;
      this.waiting.delete(clientId);
      for (const x of list) x.done(ok);
    };
    const timer = this.clock.setTimer(this.timeoutMs, () => {
      if (over) return;
      this.stats.timeouts++;
      this.log?.warn(
        `session store: loading ${JSON.stringify(clientId)} timed out after ${this.timeoutMs} ms`,
      );
      finish(false);
    });
    this.storage.loadSession(clientId, (r) => {
      if (over) return;
      timer.cancel();
      if (r instanceof Error) {
        this.stats.failed++;
        this.log?.warn(`session store: loading ${JSON.stringify(clientId)} failed: ${r.message}`);
        return finish(false);
      }
      // Another connect (or a handoff) brought the session here meanwhile: it is newer than the store's.
      if (!this.target.sessions.has(clientId) && list.some((x) => x.wanted())) this.restore(clientId, r);
      finish(true);
    });
  }

  /**
   * The messages the session of `clientId` owes in the store, in order, with their keys (delivering
   * them writes nothing new): for a session that came to this node without them (a replica of it
   * carries none with an external store: core/cluster/store-fetch.ts). Expired ones are forgotten.
   */
  loadOwed(clientId: string, done: (r: LoadedOwed[] | Error) => void): void {
    this.storage.loadSession(clientId, (r) => {
      if (r instanceof Error) return done(r);
      const now = this.clock.now();
      const owed: LoadedOwed[] = [];
      const kept = this.owedOf(clientId, r, (o) => {
        // As on a restart (core/restore.ts): one in flight is resent whatever its expiry.
        if (isExpired(o.msg, now) && o.pid === undefined) return false;
        owed.push(o);
        return true;
      });
      this.storage.adopt(kept);
      done(owed.sort((a, b) => a.pk - b.pk));
    });
  }

  /** The records of `clientId`'s owed messages among `records` that `take` took; the others are forgotten. */
  private owedOf(
    clientId: string,
    records: StoreRecord[],
    take: (o: LoadedOwed, key: string) => boolean,
  ): StoreRecord[] {
    const qk = 'q/' + clientId + '\0';
    const kept: StoreRecord[] = [];
    for (const r of records) {
      if (!r.key.startsWith(qk)) continue;
      const pk = parseInt(r.key.slice(qk.length), 16);
      this.store.seqAtLeast(pk);
      let o: LoadedOwed | null = null;
      try {
        o = { ...decodeOwed(r.value), pk };
      } catch (e) {
        this.log?.warn(`session store: discarding ${JSON.stringify(r.key)}: ${(e as Error).message}`);
      }
      if (o && take(o, r.key)) kept.push(r);
      else this.store.forget(clientId, pk);
    }
    return kept;
  }

  private restore(clientId: string, records: StoreRecord[]): void {
    const sk = 's/' + clientId;
    const rec = records.find((r) => r.key === sk);
    const loaded: LoadedState = { sessions: [], retained: [], discarded: 0 };
    let s: StoredSession | undefined;
    try {
      if (rec) s = { clientId, record: decodeSession(rec.value), owed: [] };
    } catch (e) {
      this.log?.warn(`session store: discarding ${JSON.stringify(sk)}: ${(e as Error).message}`);
    }
    const kept = this.owedOf(clientId, records, (o, key) => {
      if (s) return s.owed.push(o) > 0;
      this.log?.warn(`session store: discarding ${JSON.stringify(key)}: no session`);
      loaded.discarded++;
      return false;
    });
    if (!s) {
      this.stats.absent++;
      this.storage.knownAbsent(clientId);
      return;
    }
    s.owed.sort((a, b) => a.pk - b.pk);
    loaded.sessions.push(s);
    this.storage.adopt([rec!, ...kept]);
    this.target.restore(loaded);
    this.stats.loaded++;
  }
}

/** The loads of a broker whose storage is external (shared by nodes); null for any other storage. */
export function sessionLoads(env: Env, store: SessionStore | null, target: LoadTarget): SessionLoads | null {
  const ext = env.storage instanceof ExternalStorage ? env.storage : null;
  return ext && store ? new SessionLoads(ext, store, target, env.clock, ext.loadTimeoutMs, env.log) : null;
}
