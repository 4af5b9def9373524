// Checker panel: each property passing, failing or pending, live; the
// first violation of each failing property with its history excerpt.

import { Box, Text } from 'ink';
import type { PropertyState } from './model.ts';
import { fit } from './format.ts';

const MARK = { passing: '✓', failing: '✗', pending: '…' } as const;
const COLOR = { passing: 'green', failing: 'red', pending: 'yellow' } as const;

export function CheckerPanel({
  properties,
  width,
  maxLines,
}: {
  properties: PropertyState[];
  width: number;
  maxLines: number;
}) {
  const failing = properties.filter((p) => p.status === 'failing');
  const lines: { text: string; color?: string; dim?: boolean }[] = [];
  for (const p of failing) {
    lines.push({ text: `✗ ${p.name} (${p.count}): ${p.detail}`, color: 'red' });
    for (const x of p.excerpt.slice(0, 4)) lines.push({ text: `    ${x}`, dim: true });
  }
  const room = Math.max(0, maxLines - 1);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="wrap">
        <Text bold>checkers </Text>
        {properties.map((p) => (
          <Text key={p.name} color={COLOR[p.status]}>
            {' '}
            {MARK[p.status]} {p.name}
          </Text>
        ))}
      </Text>
      {lines.slice(0, room).map((l, i) => (
        <Text key={i} color={l.color} dimColor={l.dim} wrap="truncate">
          {fit(l.text, width)}
        </Text>
      ))}
    </Box>
  );
}
