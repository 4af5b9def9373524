// Timeline: one line per state change, newest at the bottom, VOPR style:
// time, one glyph per node at that moment, what happened. Scrollable:
// `scroll` lines up from the newest.

import { Box, Text } from 'ink';
import { fmtT, type TimelineEntry } from './model.ts';
import { fit } from './format.ts';

const KIND_COLOR: Record<string, string> = {
  fault: 'red',
  node: 'green',
  cluster: 'cyan',
  lb: 'magenta',
  violation: 'redBright',
  takeover: 'yellow',
  info: 'white',
};

/** The window of entries shown for a scroll offset, clamped; also whether more lies above/below. */
export function timelineWindow(
  entries: TimelineEntry[],
  height: number,
  scroll: number,
): { rows: TimelineEntry[]; above: number; below: number } {
  const h = Math.max(1, height);
  const maxScroll = Math.max(0, entries.length - h);
  const s = Math.min(Math.max(0, scroll), maxScroll);
  const end = entries.length - s;
  const start = Math.max(0, end - h);
  return { rows: entries.slice(start, end), above: start, below: s };
}

export function Timeline({
  entries,
  height,
  width,
  scroll,
}: {
  entries: TimelineEntry[];
  height: number;
  width: number;
  scroll: number;
}) {
  const { rows, above, below } = timelineWindow(entries, height - 1, scroll);
  const tw = Math.max(8, ...rows.map((r) => fmtT(r.t).length));
  const title = `timeline (${entries.length})${above ? `  ↑${above} more` : ''}${below ? `  ↓${below} newer` : ''}`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        {fit(title, width)}
      </Text>
      {rows.length === 0 ? <Text dimColor>nothing happened yet</Text> : null}
      {rows.map((e, i) => (
        <Text key={i} wrap="truncate">
          <Text dimColor>{fmtT(e.t).padStart(tw)} </Text>
          <Text>{e.glyphs} </Text>
          <Text color={KIND_COLOR[e.kind]}>{fit(e.text, width - tw - e.glyphs.length - 2)}</Text>
        </Text>
      ))}
    </Box>
  );
}
