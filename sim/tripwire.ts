// While a simulation runs, ambient time and randomness throw: any code
// path reaching for them would make runs differ between executions.

export class DeterminismViolation extends Error {
  constructor(what: string) {
    super(
      `determinism violation: ${what} called inside the simulation; use the simulator's clock/random instead`,
    );
  }
}

/** Real timers saved before any tripwire is armed; the harness uses these. */
export const real = {
  setTimeout: globalThis.setTimeout.bind(globalThis),
  clearTimeout: globalThis.clearTimeout.bind(globalThis),
  setImmediate: globalThis.setImmediate.bind(globalThis),
  dateNow: Date.now,
};

let depth = 0;
let restore: (() => void) | null = null;

export function armTripwires(): () => void {
  if (depth++ > 0) return disarm;
  const g = globalThis as any;
  const saved = {
    now: Date.now,
    random: Math.random,
    setTimeout: g.setTimeout,
    setInterval: g.setInterval,
    setImmediate: g.setImmediate,
    randomUUID: g.crypto?.randomUUID,
    getRandomValues: g.crypto?.getRandomValues,
    perfNow: g.performance?.now,
    hrtime: process.hrtime,
    Date: g.Date,
  };
  const trip = (what: string) => () => {
    throw new DeterminismViolation(what);
  };
  const RealDate = saved.Date;
  // `new Date(x)` stays usable for formatting; only the no-argument form reads the clock.
  const FakeDate = function (this: unknown, ...args: unknown[]) {
    if (args.length === 0) throw new DeterminismViolation('new Date()');
    return new (RealDate as any)(...args);
  } as unknown as DateConstructor;
  Object.setPrototypeOf(FakeDate, RealDate);
  (FakeDate as any).prototype = RealDate.prototype;
  (FakeDate as any).now = trip('Date.now');
  Date.now = trip('Date.now');
  Math.random = trip('Math.random');
  g.setTimeout = trip('setTimeout');
  g.setInterval = trip('setInterval');
  g.setImmediate = trip('setImmediate');
  if (g.crypto) {
    g.crypto.randomUUID = trip('crypto.randomUUID');
    g.crypto.getRandomValues = trip('crypto.getRandomValues');
  }
  if (g.performance) g.performance.now = trip('performance.now');
  process.hrtime = Object.assign(trip('process.hrtime'), {
    bigint: trip('process.hrtime.bigint'),
  }) as typeof process.hrtime;
  g.Date = FakeDate;
  restore = () => {
    Date.now = saved.now;
    Math.random = saved.random;
    g.setTimeout = saved.setTimeout;
    g.setInterval = saved.setInterval;
    g.setImmediate = saved.setImmediate;
    if (g.crypto) {
      g.crypto.randomUUID = saved.randomUUID;
      g.crypto.getRandomValues = saved.getRandomValues;
    }
    if (g.performance) g.performance.now = saved.perfNow;
    process.hrtime = saved.hrtime;
    g.Date = RealDate;
    RealDate.now = saved.now;
  };
  return disarm;
}

/**
 * Lifts every armed tripwire until the returned function is called, which
 * arms them again at the same depth. For observers that yield to the event
 * loop in the middle of a run (nothing in the world runs meanwhile).
 */
export function suspendTripwires(): () => void {
  const d = depth;
  if (d === 0) return () => {};
  depth = 1;
  disarm();
  return () => {
    armTripwires();
    depth = d;
  };
}

function disarm(): void {
  if (--depth > 0) return;
  restore?.();
  restore = null;
}
