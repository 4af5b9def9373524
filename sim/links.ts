// Cluster links in the simulator (core/link/): each node of a named cluster with links accepts them on
// port `link` of its host, and what crosses a link goes into the history (sim/checkers/links.ts reads it).

import type { Cluster } from '../core/cluster/cluster.ts';
import type { HistoryEvent } from './events.ts';
import type { Network, SimSocket, StreamEndpoint } from './network.ts';
import { payloadId } from './client.ts';

/** The link address of these nodes, as `cluster.links[].address` takes it. */
export function linkAddress(nodes: string[]): string {
  return nodes.map((n) => `${n}:link`).join(',');
}

/** Wires the links of `node`'s cluster part (none configured: nothing). */
export function wireLinks(
  network: Network,
  record: (ev: HistoryEvent) => void,
  node: string,
  cluster: Cluster,
): void {
  const links = cluster.links;
  if (!links) return;
  record({
    type: 'cluster.link.config',
    node,
    cluster: links.settings.name,
    links: links.settings.links.map((l) => l.name).join(','),
  });
  links.hooks = {
    onIn: (msg, from, m) =>
      record({
        type: 'link.in',
        node,
        from,
        origin: m.origin,
        id: payloadId(msg.payload),
        resend: !!m.resend,
      }),
    onDrop: (link, msg) => record({ type: 'link.drop', node, link, id: payloadId(msg.payload) }),
  };
  network.listen(
    node,
    {
      accept: (sock: SimSocket): StreamEndpoint => {
        const l = links.accept(sock);
        return { onData: (bytes) => l.receive(bytes), onClose: () => l.transportClosed() };
      },
    },
    'link',
  );
}
