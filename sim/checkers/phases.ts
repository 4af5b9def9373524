// The per-phase table of a run (published, delivered, lost, duplicated, max delay per phase),
// from the history and the no-acked-loss verdict.

import { indexOf, type Ev, type Expectation, type SafetyOptions } from './common.ts';
import { checkNoLoss } from './no-loss.ts';

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
