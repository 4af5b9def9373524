// Message flow: per phase published, delivered, in flight, queued, lost,
// duplicated, max delay; and a sparkline of delivery latency.

import { Box, Text } from 'ink';
import type { UiState, PhaseRow } from './model.ts';
import { compact, duration, sparkline, fit } from './format.ts';

const COLS = ['phase', 'published', 'delivered', 'inflight', 'queued', 'lost', 'dup', 'max delay'];

function cells(p: PhaseRow): string[] {
  return [
    p.name,
    compact(p.published),
    compact(p.delivered),
    p.inFlight === null ? '-' : compact(p.inFlight),
    p.queued === null ? '-' : compact(p.queued),
    compact(p.lost),
    compact(p.duplicated),
    duration(p.maxDelayMs),
  ];
}

export function MessageFlow({ state, width, maxRows }: { state: UiState; width: number; maxRows: number }) {
  const rows = state.phases.slice(-Math.max(1, maxRows));
  const hidden = state.phases.length - rows.length;
  const body = rows.map(cells);
  const w = COLS.map((h, i) => Math.max(i === 0 ? 12 : h.length, ...body.map((r) => r[i].length)));
  w[0] = Math.min(w[0], Math.max(10, width - w.slice(1).reduce((a, b) => a + b + 1, 0) - 1));
  const fmt = (cs: string[]) =>
    cs.map((c, i) => (i === 0 ? fit(c, w[0]).padEnd(w[0]) : c.padStart(w[i]))).join(' ');
  const last = state.latency.length ? state.latency[state.latency.length - 1] : 0;
  const label = state.source === 'live' ? 'latency ' : `latency ${duration(last)} `;
  const spark = sparkline(state.latency, Math.max(0, width - label.length - 30));
  const title = `message flow${state.phasesFinal ? ' (checked by the scenario)' : state.source === 'replay' ? ' (by phase)' : ' (live, by phase)'}${hidden ? `  +${hidden} earlier` : ''}`;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold>{fit(title, Math.max(0, width - 30))}</Text>
      </Text>
      <Text dimColor wrap="truncate">
        {fmt(COLS)}
      </Text>
      {body.map((r, i) => (
        <Text key={i} wrap="truncate" color={Number(rows[i].lost) > 0 ? 'red' : undefined}>
          {fmt(r)}
        </Text>
      ))}
      <Text wrap="truncate">
        <Text dimColor>{label}</Text>
        <Text color="cyan">{spark}</Text>
        <Text dimColor>
          {spark
            ? ' (max per sim-second, log)'
            : state.source === 'live'
              ? 'not visible through the admin API'
              : 'no deliveries yet'}
        </Text>
      </Text>
    </Box>
  );
}
