// What a standalone node keeps on disk so persistent sessions and retained
// messages survive a restart: one record per persistent session, one per
// message such a session owes its client, one per retained message.
//
// Keys (sorted order is restore order):
//   s/<clientId>                      session state (subscriptions, expiry, QoS 2 ids)
//   q/<clientId>\0<seq, 13 hex digits> one owed message (queued or in flight), in acceptance order
//   r/<topic>                         one retained message
//
// Sync policy: every write goes to the store at once; sync() is called
//  - before the PUBACK/PUBREC of a QoS 1/2 publish that wrote anything
//    (commit(); the acknowledgement waits for the store's durability
//    callback when the store is asynchronous), so an acknowledged message
//    is on disk; stores group concurrent syncs into one fsync;
//  - otherwise at most SYNC_DELAY_MS after the first unsynced write
//    (subscription changes, completed deliveries, QoS 0, retained via QoS 0).
// A power loss can therefore forget a completed delivery (sent again:
// at least once) or a subscription change of the last SYNC_DELAY_MS,
// never an acknowledged QoS 1/2 message.

import type { Clock, Logger, Storage, Timer } from './env.ts';
import type { Session, Delivery } from './session.ts';
import type { Message } from './message.ts';
import { specsOf } from './subscription.ts';
import type { SessionJournal } from './journal.ts';
import {
  encodeSession,
  decodeSession,
  encodeOwed,
  decodeOwed,
  encodeRetained,
  decodeRetained,
  type SessionRecord,
  type OwedRecord,
} from './persist-codec.ts';

export const SYNC_DELAY_MS = 50;

const SEQ_DIGITS = 13;

export interface StoredSession {
  clientId: string;
  record: SessionRecord;
  owed: (OwedRecord & { pk: number })[];
}

export interface LoadedState {
  sessions: StoredSession[];
  retained: Message[];
  /** Records that could not be decoded, or owed messages without a session: deleted. */
  discarded: number;
}

export class SessionStore implements SessionJournal {
  private seq = 0;
  private unsynced = false;
  private timer: Timer | null = null;
  writes = 0;
  syncs = 0;
  /** Set while restoring: rebuilding sessions and retained messages from their records rewrites nothing. */
  restoring = false;

  constructor(
    private readonly storage: Storage,
    private readonly clock: Clock,
    private readonly log?: Logger,
  ) {}

  /** Message keys from here on are above `pk` (one loaded from a store shared with other nodes). */
  seqAtLeast(pk: number): void {
    if (pk > this.seq) this.seq = pk;
  }

  // ---- writes ---------------------------------------------------------------

  /** Subscriptions, expiry, connection times or inbound QoS 2 ids of `s` changed. */
  saveSession(s: Session): void {
    if (this.restoring) return;
    const key = 's/' + s.clientId;
    if (s.expiryInterval === 0) {
      // Not (or no longer) persistent: an older record must not bring it back.
      if (this.storage.get(key) !== undefined) this.del(key);
      return;
    }
    this.put(
      key,
      encodeSession({
        expiry: s.expiryInterval,
        connectedAt: s.connectedAt,
        disconnectedAt: s.conn ? 0 : s.disconnectedAt,
        protocolVersion: s.protocolVersion,
        subs: specsOf(s),
        in2: [...s.inboundQos2],
      }),
    );
  }

  /** A persistent session took responsibility for a message. */
  accepted(s: Session, d: Delivery): void {
    if (s.expiryInterval === 0 || d.pk !== undefined) return;
    d.pk = ++this.seq;
    this.put(owedKey(s.clientId, d.pk), encodeOwed(d));
  }

  /** The message is done (acknowledged, sent at QoS 0) or dropped. */
  done(s: Session, d: Delivery): void {
    if (d.pk === undefined) return;
    this.del(owedKey(s.clientId, d.pk));
    d.pk = undefined;
  }

  /** SessionJournal: the disk keeps the session's record (subscriptions, times, QoS 2 ids), not its will. */
  stateChanged(s: Session): void {
    this.saveSession(s);
  }

  wentOffline(s: Session): void {
    this.saveSession(s);
  }

  willChanged(): void {}

  /** The session ended; its owed messages are deleted as they are discarded. */
  ended(clientId: string): void {
    this.del('s/' + clientId);
  }

  /** A retained message was set or (empty payload) cleared. */
  retained(msg: Message): void {
    if (this.restoring || msg.topic.startsWith('$SYS/')) return; // $SYS: this node's statistics, published afresh after a restart
    const key = 'r/' + msg.topic;
    if (msg.payload.length === 0) this.del(key);
    else this.put(key, encodeRetained(msg));
  }

  /**
   * Syncs what is unsynced. Returns true when the caller must wait for
   * whenDurable() before promising the client anything (asynchronous store).
   */
  commit(): boolean {
    if (!this.unsynced) return false;
    this.sync();
    return this.storage.whenDurable !== undefined;
  }

  whenDurable(fn: () => void): void {
    if (this.storage.whenDurable) this.storage.whenDurable(fn);
    else fn();
  }

  private put(key: string, value: Uint8Array): void {
    this.storage.put(key, value);
    this.wrote();
  }

  private del(key: string): void {
    this.storage.delete(key);
    this.wrote();
  }

  private wrote(): void {
    this.writes++;
    this.unsynced = true;
    this.timer ??= this.clock.setTimer(SYNC_DELAY_MS, this.sync);
  }

  /** Syncs now (also used on shutdown). */
  sync = (): void => {
    this.timer?.cancel();
    this.timer = null;
    if (!this.unsynced) return;
    this.unsynced = false;
    this.syncs++;
    this.storage.sync();
  };

  // ---- restore --------------------------------------------------------------

  /** Everything on disk, decoded; damaged and orphaned records are deleted (and counted). */
  load(): LoadedState {
    const out: LoadedState = { sessions: [], retained: [], discarded: 0 };
    const byId = new Map<string, StoredSession>();
    const drop = (key: string, why: string): void => {
      this.log?.warn(`store: discarding ${JSON.stringify(key)}: ${why}`);
      this.del(key);
      out.discarded++;
    };
    for (const key of this.storage.keys('s/')) {
      try {
        const s: StoredSession = {
          clientId: key.slice(2),
          record: decodeSession(this.storage.get(key)!),
          owed: [],
        };
        byId.set(s.clientId, s);
        out.sessions.push(s);
      } catch (e) {
        drop(key, (e as Error).message);
      }
    }
    for (const key of this.storage.keys('q/')) {
      const cut = key.lastIndexOf('\0');
      const pk = parseInt(key.slice(cut + 1), 16);
      if (pk > this.seq) this.seq = pk;
      const s = cut > 2 ? byId.get(key.slice(2, cut)) : undefined;
      if (!s) {
        drop(key, 'no session');
        continue;
      }
      try {
        s.owed.push({ ...decodeOwed(this.storage.get(key)!), pk });
      } catch (e) {
        drop(key, (e as Error).message);
      }
    }
    for (const key of this.storage.keys('r/')) {
      try {
        out.retained.push(decodeRetained(this.storage.get(key)!));
      } catch (e) {
        drop(key, (e as Error).message);
      }
    }
    return out;
  }

  /** Deletes a retained record that expired while the node was down. */
  forgetRetained(topic: string): void {
    this.del('r/' + topic);
  }

  /** Deletes an owed record that will not be restored (expired while the node was down). */
  forget(clientId: string, pk: number): void {
    this.del(owedKey(clientId, pk));
  }
}

function owedKey(clientId: string, pk: number): string {
  return 'q/' + clientId + '\0' + pk.toString(16).padStart(SEQ_DIGITS, '0');
}
