// A simulated node's state as the runtime's admin API shows it (runtime/admin.ts `/api/cluster`,
// runtime/rebalance-api.ts `/api/rebalance/status`, `/api/stats` sessions): what `w.nodeStatus(n)` returns,
// so a scenario reads the same fields in the simulator and against real processes (sim/live/node-status.ts).

import type { Broker } from '../core/broker.ts';
import type { Cluster } from '../core/cluster/cluster.ts';
import type { NodeStatus } from './scenario-world.ts';

export function nodeStatusOf(broker: Broker, cluster: Cluster): NodeStatus {
  const { evacuation, rebalance } = cluster.maintenance.status();
  return {
    members: cluster.status(),
    links: cluster.links?.status() ?? [],
    sessions: broker.sessions.size,
    evacuation,
    rebalance,
    relay: cluster.relay.self ? { ...cluster.relay.stats } : null,
  };
}
