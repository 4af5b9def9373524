// Everything the core needs from the outside world, as small interfaces.
// The simulator implements them on virtual time and seeded randomness;
// the runtime on real timers, sockets and disk.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds on this host's clock (virtual in the simulator). */
  now(): number;
  /** Calls `fn` once after `delayMs` on this host's clock. */
  setTimer(delayMs: number, fn: () => void): Timer;
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
}

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface Env {
  clock: Clock;
  random: Random;
  log?: Logger;
}
