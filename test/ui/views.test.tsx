// The terminal UI's views are pure functions of a UiState: fixed inputs,
// rendered with ink-testing-library, and the frames must say what happened.

import { describe, it, expect } from 'vitest';
import { render } from 'ink-testing-library';
import { ClusterMap } from '../../ui/cluster-map.tsx';
import { Timeline, timelineWindow } from '../../ui/timeline.tsx';
import { MessageFlow } from '../../ui/message-flow.tsx';
import { CheckerPanel } from '../../ui/checker-panel.tsx';
import { Screen } from '../../ui/screen.tsx';
import { emptyState, type UiState, type TimelineEntry } from '../../ui/model.ts';
import { sparkline } from '../../ui/format.ts';
import { progressText } from '../../core/cluster/evacuation.ts';

function fixture(): UiState {
  const s = emptyState('split-brain  seed 1', 'sim');
  s.t = 45_250;
  s.nodes = [
    {
      name: 'n1',
      state: 'running',
      uptimeMs: 45_000,
      connections: 4,
      sessions: 5,
      routes: 6,
      queued: 374,
      inflight: 2,
      msgIn: 900,
      msgOut: 3000,
      peers: { n2: 'running', n3: 'unreachable' },
    },
    {
      name: 'n2',
      state: 'paused',
      uptimeMs: 45_000,
      connections: 4,
      sessions: 4,
      routes: 6,
      queued: 0,
      inflight: 0,
      msgIn: 900,
      msgOut: 3000,
      peers: { n1: 'running', n3: 'unreachable' },
    },
    {
      name: 'n3',
      state: 'stopped',
      uptimeMs: 0,
      connections: 0,
      sessions: 0,
      routes: 0,
      queued: 0,
      inflight: 0,
      msgIn: 0,
      msgOut: 0,
      peers: {},
    },
  ];
  s.links = [
    { a: 'n1', b: 'n2', state: 'up' },
    { a: 'n1', b: 'n3', state: 'cut' },
    { a: 'n2', b: 'n3', state: 'one-way', open: 'n2>n3' },
  ];
  s.balancers = [{ name: 'lb', backends: ['n1', 'n2', 'n3'], healthy: ['n1'] }];
  s.rates = { n1: { inPerSec: 8, outPerSec: 36 }, n2: { inPerSec: 0, outPerSec: 1234 } };
  s.timeline = [
    { t: 0, kind: 'node', glyphs: '●●●', text: 'n1 started' },
    { t: 11_002, kind: 'fault', glyphs: '●●●', text: 'partition n1,n2 | n3' },
    { t: 17_000, kind: 'cluster', glyphs: '●●◌', text: 'n1 sees n3 down' },
    { t: 41_002, kind: 'violation', glyphs: '●●✕', text: 'VIOLATION order: ps-n1 got p1-n1:7 after seq 9' },
  ];
  s.phases = [
    {
      name: 'start',
      from: 0,
      published: 246,
      delivered: 990,
      inFlight: 0,
      queued: 0,
      lost: 0,
      duplicated: 0,
      maxDelayMs: 3,
    },
    {
      name: 'split 2+1',
      from: 11_002,
      published: 738,
      delivered: 2928,
      inFlight: 6,
      queued: 561,
      lost: 2,
      duplicated: 5,
      maxDelayMs: 62_021,
    },
  ];
  s.latency = [3, 3, 2, 62_021, 40, 3];
  s.properties = [
    { name: 'no-acked-loss', status: 'pending', detail: 'checked at the end', count: 0, excerpt: [] },
    { name: 'qos2-exactly-once', status: 'passing', detail: '', count: 0, excerpt: [] },
    {
      name: 'order',
      status: 'failing',
      detail: 'ps-n1 got p1-n1:7 after seq 9 on plant/n1/temp',
      count: 3,
      excerpt: ['41.002s deliver c=ps-n1 id=p1-n1:7 topic=plant/n1/temp'],
    },
  ];
  s.status = { paused: true, speed: 'x1,000', done: false, events: 6589, note: '' };
  return s;
}

describe('cluster map', () => {
  it('draws a box per node with its state, uptime, counters and rates, the links and the balancer', () => {
    const { lastFrame } = render(<ClusterMap state={fixture()} width={90} />);
    const f = lastFrame()!;
    expect(f).toContain('n1 ● running');
    expect(f).toContain('up 45s');
    expect(f).toContain('n2 ‖ paused');
    expect(f).toContain('n3 ✕ stopped');
    expect(f).toContain('down');
    expect(f).toContain('conn 4 sess 5 rt 6 q 374');
    expect(f).toContain('in 8.0/s out 36/s');
    expect(f).toContain('out 1.2k/s');
    expect(f).toContain('✗n3:?'); // n1 cannot reach n3
    expect(f).toContain('n1━n2');
    expect(f).toContain('n1╳n3 cut');
    expect(f).toContain('n2→n3 one-way');
    expect(f).toMatch(/lb →.*n1✓.*n2✗.*n3✗/);
    // Three boxes side by side at 90 columns: one row of round borders.
    expect(f.split('\n')[0].match(/╭/g)).toHaveLength(3);
  });

  it('shows an evacuation in progress on its node', () => {
    const s = fixture();
    s.nodes[0].maintenance = progressText({
      kind: 'evacuation',
      phase: 'evicting-connections',
      startedAt: 0,
      targets: ['n2'],
      connEvictRate: 100,
      sessEvictRate: 100,
      connectionsEvicted: 300,
      sessionsMigrated: 0,
      connectionsLeft: 120,
      sessionsLeft: 40,
    });
    const f = render(<ClusterMap state={s} width={90} />).lastFrame()!;
    expect(f).toContain('evac closing: 120c 40s left');
  });

  it('wraps boxes onto more rows when the terminal is narrow', () => {
    const { lastFrame } = render(<ClusterMap state={fixture()} width={44} />);
    expect(lastFrame()!.split('\n')[0].match(/╭/g)).toHaveLength(2);
    expect(lastFrame()).toContain('n3 ✕ stopped');
  });
});

describe('timeline', () => {
  const many: TimelineEntry[] = Array.from({ length: 30 }, (_, i) => ({
    t: i * 1000,
    kind: 'fault',
    glyphs: '●●',
    text: `event ${i}`,
  }));

  it('shows one line per state change, newest at the bottom, with node glyphs', () => {
    const { lastFrame } = render(<Timeline entries={fixture().timeline} height={6} width={80} scroll={0} />);
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).toContain('timeline (4)');
    expect(lines[1]).toMatch(/0\.000s ●●● n1 started/);
    expect(lines[2]).toMatch(/11\.002s ●●● partition n1,n2 \| n3/);
    expect(lines[4]).toContain('VIOLATION order');
  });

  it('scrolls: the window moves up from the newest and says what is hidden', () => {
    const top = render(<Timeline entries={many} height={6} width={60} scroll={0} />).lastFrame()!;
    expect(top).toContain('event 29');
    expect(top).not.toContain('event 24');
    expect(top).toContain('↑25 more');
    const up = render(<Timeline entries={many} height={6} width={60} scroll={10} />).lastFrame()!;
    expect(up).toContain('event 19');
    expect(up).not.toContain('event 29');
    expect(up).toContain('↓10 newer');
    // Scrolling past the oldest stops at the oldest.
    expect(timelineWindow(many, 5, 1000).rows[0].text).toBe('event 0');
  });
});

describe('message flow', () => {
  it('has a row per phase with published, delivered, in flight, queued, lost, duplicated and max delay, and a latency sparkline', () => {
    const f = render(<MessageFlow state={fixture()} width={80} maxRows={5} />).lastFrame()!;
    expect(f).toMatch(/phase\s+published\s+delivered\s+inflight\s+queued\s+lost\s+dup\s+max delay/);
    expect(f).toMatch(/start\s+246\s+990\s+0\s+0\s+0\s+0\s+3 ms/);
    expect(f).toMatch(/split 2\+1\s+738\s+2\.9k\s+6\s+561\s+2\s+5\s+62\.0 s/);
    expect(f).toContain('latency 3 ms');
    expect(f).toContain(sparkline([3, 3, 2, 62_021, 40, 3], 100));
    expect(sparkline([3, 3, 2, 62_021, 40, 3], 100)).toMatch(/^[▁▂▃]{3}█[▃▄][▁▂▃]$/);
  });

  it('keeps the newest phases when rows are short, and marks the scenario-checked table', () => {
    const s = fixture();
    s.phasesFinal = true;
    s.phases[1].inFlight = null;
    const f = render(<MessageFlow state={s} width={80} maxRows={1} />).lastFrame()!;
    expect(f).toContain('checked by the scenario');
    expect(f).toContain('+1 earlier');
    expect(f).not.toMatch(/^start/m);
    expect(f).toMatch(/split 2\+1\s+738\s+2\.9k\s+-/);
  });
});

describe('checker panel', () => {
  it('lists each property passing, failing or pending and shows a violation with its history excerpt', () => {
    const f = render(
      <CheckerPanel properties={fixture().properties} width={100} maxLines={6} />,
    ).lastFrame()!;
    expect(f).toContain('… no-acked-loss');
    expect(f).toContain('✓ qos2-exactly-once');
    expect(f).toContain('✗ order');
    expect(f).toContain('✗ order (3): ps-n1 got p1-n1:7 after seq 9 on plant/n1/temp');
    expect(f).toContain('deliver c=ps-n1 id=p1-n1:7');
  });

  it('all passing: no violation lines', () => {
    const ps = fixture().properties.map((p) => ({ ...p, status: 'passing' as const }));
    const f = render(<CheckerPanel properties={ps} width={100} maxLines={6} />).lastFrame()!;
    expect(f.split('\n')).toHaveLength(1);
    expect(f).not.toContain('✗');
  });
});

describe('screen', () => {
  it('fits 80x24: every view present, one line shorter than the terminal, nothing wider than 80', () => {
    const f = render(<Screen state={fixture()} cols={80} rows={24} scroll={0} />).lastFrame()!;
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(f).toContain('mqttlab ▸ split-brain  seed 1');
    expect(f).toContain('t=45.250s');
    expect(f).toContain('x1,000');
    expect(f).toContain('paused');
    expect(f).toContain('n1 ● running');
    expect(f).toContain('split 2+1');
    expect(f).toContain('✗ order');
    expect(f).toContain('partition n1,n2 | n3');
    expect(f).toContain('q quit');
  });

  it('uses the width of a large terminal: the timeline gets its own column', () => {
    const f = render(<Screen state={fixture()} cols={160} rows={40} scroll={0} />).lastFrame()!;
    const lines = f.split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(140);
    // Timeline beside the cluster map, not below it.
    const row = lines.findIndex((l) => l.includes('timeline (4)'));
    expect(row).toBeLessThan(3);
    expect(lines[row]).toContain('╭');
  });

  it('once the run is done the summary comes first, then as much timeline as fits; t shows the timeline alone', () => {
    const s = fixture();
    s.status.done = true;
    s.summary = [
      'verdict    PASS',
      'scenario   split-brain  (seed 1)',
      'history    11860 lines, hash 77cfcc462b363999',
    ];
    const f = render(<Screen state={s} cols={80} rows={24} scroll={0} />).lastFrame()!;
    expect(f).toContain('verdict    PASS');
    expect(f).toContain('hash 77cfcc462b363999');
    // Room left below the summary goes to the newest timeline lines.
    const tall = render(<Screen state={s} cols={80} rows={34} scroll={0} />).lastFrame()!;
    expect(tall.indexOf('verdict    PASS')).toBeLessThan(tall.indexOf('timeline (4)'));
    expect(tall).toContain('VIOLATION order');
    const withTimeline = render(
      <Screen state={s} cols={80} rows={24} scroll={0} showTimeline />,
    ).lastFrame()!;
    expect(withTimeline).toContain('timeline (4)');
    expect(withTimeline).not.toContain('verdict    PASS');
  });
});
