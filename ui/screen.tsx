// The whole screen for a terminal size: header, cluster map, message flow,
// checker panel, timeline (or the closing summary), key help. A pure
// function of the model, the size and the scroll position. Narrow
// terminals stack the views; wide ones put the timeline in its own column.
// The frame stays one line shorter than the terminal: a frame as tall as
// the terminal makes ink clear the screen on every render (flicker).

import { Box, Text } from 'ink';
import type { UiState } from './model.ts';
import { fmtT } from './model.ts';
import { ClusterMap } from './cluster-map.tsx';
import { Timeline } from './timeline.tsx';
import { MessageFlow } from './message-flow.tsx';
import { CheckerPanel } from './checker-panel.tsx';
import { fit } from './format.ts';

export interface ScreenProps {
  state: UiState;
  cols: number;
  rows: number;
  /** Timeline lines scrolled up from the newest. */
  scroll: number;
  /** Show the timeline instead of the closing summary once the run is done. */
  showTimeline?: boolean;
}

const KEYS: Record<UiState['source'], string> = {
  sim: 'spc pause  s step  +/- speed  m max  n next fault  ↑↓ scroll  t summary  q quit',
  replay: '←/→ frame  PgUp/PgDn ×10  [ ] prev/next change  spc play  ↑↓ scroll  q quit',
  live: '↑↓ scroll  q quit',
};

function Header({ state, width }: { state: UiState; width: number }) {
  const st = state.status;
  const clock = state.source === 'live' ? `watching ${fmtT(state.t)}` : `t=${fmtT(state.t)}`;
  const run = st.done ? 'done' : st.paused ? 'paused' : 'running';
  const right = `${clock}  ${st.speed}  ${run}  ${st.events} ev`;
  const left = `mqttlab ▸ ${state.title}`;
  const pad = Math.max(1, width - left.length - right.length);
  return (
    <Text wrap="truncate" inverse>
      {fit(left, Math.max(10, width - right.length - 1))}
      {' '.repeat(pad)}
      {right}
    </Text>
  );
}

function Summary({ lines, height, width }: { lines: string[]; height: number; width: number }) {
  return (
    <Box flexDirection="column" width={width} height={height}>
      {lines.slice(0, Math.max(0, height)).map((l, i) => (
        <Text
          key={i}
          wrap="truncate"
          color={l.startsWith('verdict') ? (l.includes('PASS') ? 'green' : 'red') : undefined}
        >
          {fit(l, width)}
        </Text>
      ))}
    </Box>
  );
}

/** Lines the checker header takes at a width (it wraps). */
function checkerHeight(state: UiState, width: number): number {
  const len = 9 + state.properties.reduce((a, p) => a + p.name.length + 3, 0);
  const head = Math.max(1, Math.ceil(len / Math.max(1, width)));
  const failing = state.properties.filter((p) => p.status === 'failing');
  const extra = failing.reduce((a, p) => a + 1 + Math.min(4, p.excerpt.length), 0);
  return head + Math.min(extra, 5);
}

function clusterHeight(state: UiState, width: number): number {
  const n = Math.max(1, state.nodes.length);
  const perRow = Math.max(1, Math.min(n, Math.floor(width / 22)));
  return Math.ceil(n / perRow) * 5 + 1;
}

export function Screen({ state, cols, rows, scroll, showTimeline }: ScreenProps) {
  const width = Math.max(40, cols);
  const height = Math.max(12, rows - 1);
  const wide = width >= 140;
  const leftW = wide ? Math.floor(width * 0.58) : width;
  const rightW = wide ? width - leftW - 1 : width;
  const ch = clusterHeight(state, leftW);
  const kh = checkerHeight(state, leftW);
  const fixed = 1 + ch + kh + 1; // header, cluster, checker, footer
  // Phase rows: all of them when there is room, else as many as leave the timeline 4 lines.
  const flowRoom = wide ? height - fixed - 3 : height - fixed - 3 - 5;
  const phaseRows = Math.max(1, Math.min(state.phases.length, flowRoom));
  const flowH = 3 + phaseRows;
  const bottomH = wide ? height - 2 : Math.max(3, height - fixed - flowH);
  const summaryMode = state.status.done && state.summary.length > 0 && !showTimeline;
  // The summary first; the newest timeline lines below it when there is room.
  const sumH = Math.min(state.summary.length, bottomH);
  const bottom = summaryMode ? (
    <Box flexDirection="column" width={rightW} height={bottomH}>
      <Summary lines={state.summary} height={sumH} width={rightW} />
      {bottomH - sumH >= 3 ? (
        <Timeline entries={state.timeline} height={bottomH - sumH} width={rightW} scroll={scroll} />
      ) : null}
    </Box>
  ) : (
    <Timeline entries={state.timeline} height={bottomH} width={rightW} scroll={scroll} />
  );
  const left = (
    <Box flexDirection="column" width={leftW}>
      <ClusterMap state={state} width={leftW} />
      <MessageFlow state={state} width={leftW} maxRows={phaseRows} />
      <CheckerPanel properties={state.properties} width={leftW} maxLines={kh} />
    </Box>
  );
  const note = state.status.note ? `${state.status.note}  ·  ` : '';
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header state={state} width={width} />
      {wide ? (
        <Box flexDirection="row" height={height - 2}>
          {left}
          <Box width={1} />
          {bottom}
        </Box>
      ) : (
        <>
          {left}
          {bottom}
        </>
      )}
      <Text dimColor wrap="truncate">
        {fit(note + KEYS[state.source], width)}
      </Text>
    </Box>
  );
}
