// Checkers read the recorded history only (never broker internals), as a
// client-side observer would: what was acknowledged, what arrived, what the
// clients saw on the wire. One checker per file in sim/checkers/; this
// module runs the default set (checkSafety) and keeps the per-phase table.
// docs/verdicts.md says what each one checks and what it excuses.

import {
  indexOf,
  type Ev,
  type Expectation,
  type SafetyOptions,
  type Tally,
  type Violation,
} from './checkers/common.ts';
import { checkNoLoss } from './checkers/no-loss.ts';
import { checkNoQos2Duplicates } from './checkers/qos2-once.ts';
import { checkOrder } from './checkers/order.ts';
import { checkOnlySubscribed } from './checkers/only-subscribed.ts';
import { checkConnackFirst } from './checkers/connack-first.ts';
import { checkDupOnlyOnResend } from './checkers/dup-only-on-resend.ts';
import { checkSingleConnection } from './checkers/single-connection.ts';
import { checkRetainedReads } from './checkers/retained-reads.ts';
import { checkWills } from './checkers/wills.ts';
import { checkSharedOnce } from './checkers/shared-once.ts';
import { checkClientProtocol } from './checkers/protocol.ts';

export type { Ev, Expectation, LossCategory, SafetyOptions, Tally, Violation } from './checkers/common.ts';
export { DEFAULT_ACCEPTED } from './checkers/common.ts';
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

export interface PhaseStats {
  phase: string;
  published: number;
  delivered: number;
  lost: number;
  duplicated: number;
  maxDelayMs: number;
}

/**
 * Per-phase figures from the history: publishes acknowledged in the phase,
 * their deliveries (whenever they arrived), losses against `expect` (strict:
 * excused ones are not losses here, they are in the tally), and duplicate
 * deliveries of one message to one client.
 */
export function phaseStats(
  events: Ev[],
  phases: { name: string; from: number; to: number }[],
  expect: Expectation[],
  opts: SafetyOptions = {},
): PhaseStats[] {
  const { invoked, acked, deliveries } = indexOf(events);
  const lostIds = new Set(
    checkNoLoss(events, expect, { ...opts, tally: undefined }).map((v) => {
      const inv = v.excerpt[0];
      return inv.type === 'pub.invoke' ? inv.id : '';
    }),
  );
  return phases.map((ph) => {
    let published = 0;
    let delivered = 0;
    let duplicated = 0;
    let lost = 0;
    let maxDelayMs = 0;
    for (const ok of acked) {
      const inv = invoked.get(ok.id);
      if (!inv || inv.t < ph.from || inv.t >= ph.to) continue;
      published++;
      const id = inv.id;
      if (lostIds.has(id)) lost++;
      const ds = deliveries.get(id);
      if (!ds) continue;
      for (let i = 0; i < ds.length; i++) {
        const d = ds[i];
        if (d.retain) continue;
        delivered++;
        for (let j = 0; j < i; j++) {
          if (ds[j].c === d.c && !ds[j].retain) {
            duplicated++;
            break;
          }
        }
        if (d.t - inv.t > maxDelayMs) maxDelayMs = d.t - inv.t;
      }
    }
    return { phase: ph.name, published, delivered, lost, duplicated, maxDelayMs: Math.round(maxDelayMs) };
  });
}

export function formatPhases(rows: PhaseStats[]): string {
  const head = ['phase', 'published', 'delivered', 'lost', 'dup', 'max delay'];
  const lines = rows.map((r) =>
    [r.phase, r.published, r.delivered, r.lost, r.duplicated, `${r.maxDelayMs} ms`].map(String),
  );
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [fmt(head), ...lines.map(fmt)].join('\n');
}
