// DNS lookups for `cluster.discovery: dns` (core/cluster/discovery.ts
// decides what the answers mean). An SRV name (starting with `_`) lists
// targets and ports: the first label of a target is the node name (a
// StatefulSet pod: mqttlab-0.mqttlab-headless.ns.svc.cluster.local ->
// mqttlab-0). Any other name is resolved to A records: the node name is the
// IPv4 address itself (start each node with --node <its pod IP>), the port
// is this node's cluster port.

import { promises as dns } from 'node:dns';
import type { DiscoveredNode, Resolver } from '../core/cluster/discovery.ts';
import type { Logger } from '../core/env.ts';

export class NodeDnsResolver implements Resolver {
  private lastError = '';

  constructor(
    private readonly clusterPort: number,
    private readonly log?: Logger,
    private readonly lookup: Pick<typeof dns, 'resolveSrv' | 'resolve4'> = dns,
  ) {}

  resolve(name: string, cb: (nodes: DiscoveredNode[] | null) => void): void {
    this.query(name).then(
      (nodes) => {
        this.lastError = '';
        cb(nodes);
      },
      (e: NodeJS.ErrnoException) => {
        const msg = `DNS discovery: ${name}: ${e.code ?? e.message}`;
        if (msg !== this.lastError) this.log?.warn(msg); // once per distinct error, not every interval
        this.lastError = msg;
        cb(null);
      },
    );
  }

  private async query(name: string): Promise<DiscoveredNode[]> {
    if (name.startsWith('_')) {
      const srv = await this.lookup.resolveSrv(name);
      return srv.map((r) => ({ node: r.name.split('.')[0], address: `${r.name}:${r.port}` }));
    }
    const ips = await this.lookup.resolve4(name);
    return ips.map((ip) => ({ node: ip, address: `${ip}:${this.clusterPort}` }));
  }
}
