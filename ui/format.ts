// Small text helpers shared by the views.

const BARS = '▁▂▃▄▅▆▇█';

/** 1234 -> "1.2k", 2500000 -> "2.5M": node boxes are narrow. */
export function compact(n: number): string {
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (a < 1_000_000) return `${Math.round(n / 1000)}k`;
  if (a < 10_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  return `${Math.round(n / 1_000_000)}M`;
}

/** A rate per second, short: "0", "0.4", "12", "1.2k". */
export function rate(n: number): string {
  if (n === 0) return '0';
  if (n < 10) return n.toFixed(1);
  return compact(n);
}

/** Milliseconds, short: "3 ms", "62.0 s", "3.5 min", "2.0 h". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/**
 * The last `width` values as bars on a log scale (latencies span 1 ms to
 * minutes: a linear scale would show one spike and flat ground).
 */
export function sparkline(values: number[], width: number): string {
  const vs = values.slice(-Math.max(0, width));
  if (vs.length === 0) return '';
  const logs = vs.map((v) => Math.log10(1 + Math.max(0, v)));
  const max = Math.max(...logs);
  if (max === 0) return BARS[0].repeat(vs.length);
  return logs
    .map((l) => BARS[Math.min(BARS.length - 1, Math.floor((l / max) * (BARS.length - 1) + 0.5))])
    .join('');
}

/** Cuts a string to `w` columns with an ellipsis. */
export function fit(s: string, w: number): string {
  if (w <= 0) return '';
  return s.length <= w ? s : s.slice(0, Math.max(0, w - 1)) + '…';
}
