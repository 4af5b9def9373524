// Cluster map: one box per node (state, uptime, connections, sessions,
// routes, queued, message rates), the links between nodes, and each load
// balancer with the backends it considers healthy.

import { Box, Text } from 'ink';
import type { UiState, NodeSample, LinkSample } from './model.ts';
import { compact, rate, fit } from './format.ts';
import { fmtUptime } from './model.ts';

const COLOR: Record<string, string> = {
  running: 'green',
  unreachable: 'yellow',
  paused: 'blue',
  stopped: 'red',
};
const GLYPH: Record<string, string> = { running: '●', unreachable: '◌', paused: '‖', stopped: '✕' };

export function NodeBox({
  n,
  rates,
  width,
}: {
  n: NodeSample;
  rates?: { inPerSec: number; outPerSec: number };
  width: number;
}) {
  const inner = width - 2;
  const up = n.state === 'stopped' ? 'down' : `up ${fmtUptime(n.uptimeMs)}`;
  const head = `${n.name}${n.role ? ' (replicant)' : ''} ${GLYPH[n.state]} ${n.state}`;
  const gap = Math.max(1, inner - head.length - up.length);
  const unreachable = Object.entries(n.peers)
    .filter(([, s]) => s !== 'running')
    .map(([p, s]) => `${p}:${s === 'unreachable' ? '?' : s}`);
  const io = `in ${rate(rates?.inPerSec ?? 0)}/s out ${rate(rates?.outPerSec ?? 0)}/s`;
  return (
    <Box borderStyle="round" borderColor={COLOR[n.state]} width={width} flexDirection="column">
      <Text wrap="truncate">
        <Text bold color={COLOR[n.state]}>
          {fit(head, inner)}
        </Text>
        {head.length + 1 + up.length <= inner ? ' '.repeat(gap) + up : ''}
      </Text>
      <Text wrap="truncate">
        {fit(
          `conn ${compact(n.connections)} sess ${compact(n.sessions)} rt ${compact(n.routes)} q ${compact(n.queued)}`,
          inner,
        )}
      </Text>
      <Text wrap="truncate">
        {fit(io, inner)}
        {unreachable.length && inner - io.length > 4 ? (
          <Text color="yellow">{fit(` ✗${unreachable.join(',')}`, inner - io.length)}</Text>
        ) : null}
      </Text>
      {n.maintenance ? (
        <Text wrap="truncate" color="magenta">
          {fit(n.maintenance, inner)}
        </Text>
      ) : null}
      {n.links ? (
        <Text wrap="truncate" color="cyan">
          {fit(n.links, inner)}
        </Text>
      ) : null}
    </Box>
  );
}

function linkText(l: LinkSample): { text: string; color: string } {
  switch (l.state) {
    case 'up':
      return { text: `${l.a}━${l.b}`, color: 'green' };
    case 'cut':
      return { text: `${l.a}╳${l.b} cut`, color: 'red' };
    case 'one-way':
      return { text: `${l.open!.replace('>', '→')} one-way`, color: 'yellow' };
    case 'clogged':
      return { text: `${l.a}≈${l.b} clogged`, color: 'magenta' };
    default:
      return { text: `${l.a}┄${l.b} down`, color: 'gray' };
  }
}

export function ClusterMap({ state, width }: { state: UiState; width: number }) {
  const n = Math.max(1, state.nodes.length);
  const perRow = Math.max(1, Math.min(n, Math.floor(width / 22)));
  const boxW = Math.max(20, Math.floor(width / perRow));
  return (
    <Box flexDirection="column" width={width}>
      <Box flexDirection="row" flexWrap="wrap">
        {state.nodes.length === 0 ? <Text dimColor>no nodes yet</Text> : null}
        {state.nodes.map((node) => (
          <NodeBox key={node.name} n={node} rates={state.rates[node.name]} width={boxW} />
        ))}
      </Box>
      <Text wrap="truncate">
        <Text bold>links </Text>
        {state.links.length === 0 ? <Text dimColor>none</Text> : null}
        {state.links.map((l, i) => {
          const { text, color } = linkText(l);
          return (
            <Text key={`${l.a}-${l.b}`} color={color}>
              {i ? '  ' : ''}
              {text}
            </Text>
          );
        })}
        {state.balancers.map((lb) => (
          <Text key={lb.name}>
            {'   '}
            <Text bold>{lb.name}</Text>
            {' →'}
            {lb.backends.map((b) => (
              <Text key={b} color={lb.healthy.includes(b) ? 'green' : 'red'}>
                {' '}
                {b}
                {lb.healthy.includes(b) ? '✓' : '✗'}
              </Text>
            ))}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
