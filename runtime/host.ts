// Real-world implementations of the core's Env: a monotonic wall clock,
// timers that survive Node's 24.8-day setTimeout ceiling, crypto randomness.

import { randomBytes, createHmac } from 'node:crypto';
import type { Clock, Crypto, Env, Random, Timer, Logger } from '../core/env.ts';
import { createLogger } from './log.ts';

const MAX_TIMEOUT = 2 ** 31 - 1;

export class RealClock implements Clock {
  private readonly origin = Date.now() - performance.now();

  now(): number {
    return this.origin + performance.now();
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    return new RealTimer(this, this.now() + delayMs, fn);
  }
}

/**
 * One timer: a class, not closures (the TypeScript loader gives every named closure its own name
 * property, a few hundred bytes; a broker holds one timer per connection).
 */
class RealTimer implements Timer {
  private handle: NodeJS.Timeout;

  constructor(
    private readonly clock: RealClock,
    private readonly due: number,
    private readonly fn: () => void,
  ) {
    this.handle = this.arm();
  }

  private arm(): NodeJS.Timeout {
    const left = this.due - this.clock.now();
    // Beyond Node's ceiling (24.8 days): wait the ceiling, then look again.
    const h = left > MAX_TIMEOUT ? setTimeout(rearm, MAX_TIMEOUT, this) : setTimeout(this.fn, Math.max(0, left));
    h.unref?.();
    return h;
  }

  static rearm(t: RealTimer): void {
    t.handle = t.arm();
  }

  cancel(): void {
    clearTimeout(this.handle);
  }
}
const rearm = RealTimer.rearm;

/** Uniform [0,1) from the OS CSPRNG, drawn in blocks. */
export class CryptoRandom implements Random {
  private buf = randomBytes(4096);
  private pos = 0;

  next(): number {
    if (this.pos + 4 > this.buf.length) {
      this.buf = randomBytes(4096);
      this.pos = 0;
    }
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v / 0x100000000;
  }
}

/** HMAC for the cluster's peer authentication (the simulator uses the same). */
export const nodeCrypto: Crypto = {
  hmacSha256: (key, data) => createHmac('sha256', key).update(data).digest('hex'),
};

/** Text lines at level info (runtime/log.ts): the default where no configuration says otherwise. */
export const consoleLogger: Logger = createLogger({ level: 'info', format: 'text' });

export function realEnv(log: Logger = consoleLogger): Env {
  return { clock: new RealClock(), random: new CryptoRandom(), log };
}
