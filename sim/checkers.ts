// Checkers read the recorded history only (never broker internals), as a
// client-side observer would: what was acknowledged, what arrived, what the
// clients saw on the wire. One checker per file in sim/checkers/ (the per-phase
// table in phases.ts); this module runs the default set (checkSafety).
// docs/verdicts.md says what each one checks and what it excuses.

import {
  type Ev,
  type Expectation,
  type SafetyOptions,
  type Tally,
  type Violation,
} from './checkers/common.ts';
import { checkNoLoss } from './checkers/no-loss.ts';
import { checkNoQos2Duplicates, Qos2OnceChecker } from './checkers/qos2-once.ts';
import { checkOrder, OrderChecker } from './checkers/order.ts';
import { checkOnlySubscribed, OnlySubscribedChecker } from './checkers/only-subscribed.ts';
import { checkConnackFirst } from './checkers/connack-first.ts';
import { checkDupOnlyOnResend } from './checkers/dup-only-on-resend.ts';
import { checkSingleConnection } from './checkers/single-connection.ts';
import { checkRetainedReads } from './checkers/retained-reads.ts';
import { checkWills } from './checkers/wills.ts';
import { checkSharedOnce } from './checkers/shared-once.ts';
import { checkClientProtocol } from './checkers/protocol.ts';
import { checkLinkDelivery, checkLinkLoops, type LinkExpectation } from './checkers/links.ts';

export type { Ev, Expectation, LossCategory, SafetyOptions, Tally, Violation } from './checkers/common.ts';
export { DEFAULT_ACCEPTED } from './checkers/common.ts';
export { phaseStats, formatPhases, type PhaseStats } from './checkers/phases.ts';
export {
  checkNoLoss,
  checkNoQos2Duplicates,
  checkOrder,
  checkOnlySubscribed,
  checkConnackFirst,
  checkDupOnlyOnResend,
  checkSingleConnection,
  checkRetainedReads,
  checkWills,
  checkSharedOnce,
  checkClientProtocol,
  checkLinkDelivery,
  checkLinkLoops,
  type LinkExpectation,
  Qos2OnceChecker,
  OrderChecker,
  OnlySubscribedChecker,
};

/**
 * The default set: every checker, strict. Excused losses (named trade-offs
 * within their bounds) and counted non-failures (DUP resends, parked
 * messages, shared redeliveries) go to `opts.tally`.
 */
export function checkSafety(events: Ev[], expect: Expectation[], opts: SafetyOptions = {}): Violation[] {
  return [
    ...checkNoLoss(events, expect, opts),
    ...checkNoQos2Duplicates(events, opts),
    ...checkOrder(events, opts),
    ...checkOnlySubscribed(events),
    ...checkConnackFirst(events),
    ...checkDupOnlyOnResend(events, opts),
    ...checkSingleConnection(events, opts),
    ...checkRetainedReads(events, opts),
    ...checkWills(events, opts),
    ...checkSharedOnce(events, opts),
    ...checkClientProtocol(events),
    ...checkLinkLoops(events, opts.tally),
  ];
}

/** The tally as one summary line: `category count`, sorted; 'none' when empty. */
export function formatTally(tally: Tally): string {
  const rows = Object.entries(tally).sort(([a], [b]) => a.localeCompare(b));
  return rows.length ? rows.map(([k, n]) => `${k} ${n}`).join(', ') : 'none';
}

/** What a scenario hands its checks to: where violations and summary lines go. */
export interface Verdicts {
  report(key: string, value: string | number): void;
  violation(property: string, detail: string): void;
}

/**
 * Runs the default set on a scenario's history: every violation is
 * recorded, and the per-category counts become the summary line
 * `exceptions` (docs/verdicts.md). Returns the tally.
 */
export function judge(ctx: Verdicts, events: Ev[], expect: Expectation[], opts: SafetyOptions = {}): Tally {
  const tally: Tally = opts.tally ?? {};
  for (const v of checkSafety(events, expect, { ...opts, tally })) ctx.violation(v.property, v.detail);
  ctx.report('exceptions', formatTally(tally));
  return tally;
}
