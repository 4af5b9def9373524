// The runtime's DNS lookups for --discovery dns: SRV targets become node
// names (a StatefulSet pod's first label), A records node names of their own
// address; failures report null (discovery then changes nothing), logged once.

import { describe, it, expect } from 'vitest';
import { NodeDnsResolver } from '../../runtime/dns-resolver.ts';
import type { DiscoveredNode } from '../../core/cluster/discovery.ts';

const ask = (r: NodeDnsResolver, name: string) =>
  new Promise<DiscoveredNode[] | null>((res) => r.resolve(name, res));

describe('NodeDnsResolver', () => {
  it('maps SRV records to pod names and A records to addresses; a failed lookup is null and warned about once', async () => {
    const warned: string[] = [];
    let fail = false;
    const lookup = {
      resolveSrv: async (name: string) => {
        expect(name).toBe('_cluster._tcp.mq-headless.ns.svc.cluster.local');
        if (fail) throw Object.assign(new Error('queryTimeout'), { code: 'ETIMEOUT' });
        return [
          { name: 'mq-0.mq-headless.ns.svc.cluster.local', port: 4370, priority: 0, weight: 50 },
          { name: 'mq-1.mq-headless.ns.svc.cluster.local', port: 4370, priority: 0, weight: 50 },
        ];
      },
      resolve4: async () => ['10.0.0.7', '10.0.0.8'],
    } as unknown as ConstructorParameters<typeof NodeDnsResolver>[2];
    const r = new NodeDnsResolver(4371, { info() {}, warn: (m) => warned.push(m) }, lookup);
    expect(await ask(r, '_cluster._tcp.mq-headless.ns.svc.cluster.local')).toEqual([
      { node: 'mq-0', address: 'mq-0.mq-headless.ns.svc.cluster.local:4370' },
      { node: 'mq-1', address: 'mq-1.mq-headless.ns.svc.cluster.local:4370' },
    ]);
    expect(await ask(r, 'mq-headless')).toEqual([
      { node: '10.0.0.7', address: '10.0.0.7:4371' },
      { node: '10.0.0.8', address: '10.0.0.8:4371' },
    ]);
    fail = true;
    expect(await ask(r, '_cluster._tcp.mq-headless.ns.svc.cluster.local')).toBeNull();
    expect(await ask(r, '_cluster._tcp.mq-headless.ns.svc.cluster.local')).toBeNull();
    expect(warned).toEqual(['DNS discovery: _cluster._tcp.mq-headless.ns.svc.cluster.local: ETIMEOUT']);
  });
});
