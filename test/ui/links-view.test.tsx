// The terminal UI shows each node's links to other clusters (core/link/links.ts linksText) and their
// ups and downs in the timeline.
import { describe, it, expect } from 'vitest';
import { render } from 'ink-testing-library';
import { ClusterMap } from '../../ui/cluster-map.tsx';
import { emptyState } from '../../ui/model.ts';
import { linksText, type LinkStatus } from '../../core/link/links.ts';

const link = (over: Partial<LinkStatus>): LinkStatus => ({
  name: 'B',
  state: 'up',
  peer: 'b1',
  sinceMs: 0,
  routes: 3,
  buffered: 0,
  sent: 10,
  acked: 10,
  resent: 0,
  dropped: 0,
  inbound: 1,
  received: 4,
  ...over,
});

describe('links in the cluster map', () => {
  it('one line per node: state, routes, buffered, dropped when any', () => {
    expect(linksText([link({}), link({ name: 'C', state: 'down', buffered: 50, dropped: 7 })])).toBe(
      '⇄B up 3r 0b ⇄C down 3r 50b 7✗',
    );
    const s = emptyState('linked-clusters  seed 1', 'sim');
    s.nodes = [
      {
        name: 'a1',
        state: 'running',
        uptimeMs: 1000,
        connections: 1,
        sessions: 1,
        routes: 1,
        queued: 0,
        inflight: 0,
        msgIn: 0,
        msgOut: 0,
        peers: {},
        links: linksText([link({ state: 'connecting', buffered: 12 })]),
      },
    ];
    const f = render(<ClusterMap state={s} width={60} />).lastFrame()!;
    expect(f).toContain('⇄B connecting 3r 12b');
  });
});
