// Everything the core needs from the outside world, as small interfaces.
// The simulator implements them on virtual time and seeded randomness;
// the runtime on real timers, sockets and disk.

import type { Authenticator, Authorizer } from './auth.ts';

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on this host's clock (virtual in the simulator). */
  now(): number;
  /**
   * Monotonic milliseconds, for durations: unlike `now()` never stepped (NTP). Absent: `now()` is.
   * The cluster's failure detector measures peer silence on it.
   */
  monotonic?(): number;
  /**
   * Calls `fn(arg)` once after `delayMs` on this host's clock. With `arg`, many timers can share one
   * function instead of a closure each (a broker holds one timer per connection).
   */
  setTimer<T = undefined>(delayMs: number, fn: (arg: T) => void, arg?: T): Timer;
}

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/** Outbound half of one transport connection. */
export interface ByteSink {
  write(bytes: Uint8Array): void;
  /** Close the transport after flushing what was written. */
  close(): void;
  /** The peer's address, asked for only when needed (a system call on a real socket). */
  peerAddress?(): string;
  /** Bytes written and not yet taken by the peer (a slow reader's backlog); without it none is counted. */
  buffered?(): number;
  /** Drops the connection now, unsent bytes discarded; the transport then reports it closed. */
  abort?(): void;
}

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface Env {
  clock: Clock;
  random: Random;
  log?: Logger;
  /** Needed by clustered brokers only. */
  crypto?: Crypto;
  /** Outbound peer connections, needed by clustered brokers only. */
  peers?: PeerDialer;
  /** Where a standalone broker keeps persistent sessions and retained messages (see core/session-store.ts). */
  storage?: Storage;
  /** Checks CONNECT credentials; absent = everyone may connect (see core/auth.ts). */
  authenticator?: Authenticator;
  /** Checks publishes, subscriptions and wills; absent = everything allowed. */
  authorizer?: Authorizer;
}

export interface Crypto {
  hmacSha256(key: string, data: string): string;
}

/** Callbacks of one outbound peer connection. */
export interface PeerDialHandler {
  open(sink: ByteSink): void;
  data(bytes: Buffer): void;
  closed(): void;
}

export interface PeerDialer {
  /** Opens a connection to another node's cluster address ("host:port" or a simulator host name). */
  connect(address: string, handler: PeerDialHandler): void;
}

/**
 * Durable key-value storage with explicit sync: what is not synced may be
 * lost in a crash. The simulator's disk and the runtime's embedded store
 * implement it.
 */
export interface Storage {
  get(key: string): Uint8Array | undefined;
  put(key: string, value: Uint8Array): void;
  delete(key: string): void;
  /** Keys with `prefix`, sorted. */
  keys(prefix?: string): string[];
  /** Makes every earlier put/delete durable (an asynchronous store: starts doing so). */
  sync(): void;
  /**
   * Asynchronous stores only: calls `fn` once everything before the last
   * sync() is durable. A store without it is durable when sync() returns.
   */
  whenDurable?(fn: () => void): void;
  /**
   * The fault the store's last write met, null once one succeeded again (docs/durability.md, "Disk
   * faults"): while it lasts the node refuses new persistent work. A store without it never fails.
   */
  fault?(): StorageFault | null;
}

/** 'full': no space left (ENOSPC); 'io': a write or fsync failed (EIO). */
export type StorageFault = 'full' | 'io';
