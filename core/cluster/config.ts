// A cluster node's settings (runtime: `cluster.*` in the config file; simulator: the world's options).

import type { SplitOp } from '../distribution.ts';
import type { LinkConfig } from '../link/config.ts';

export interface ClusterConfig {
  /** Shared secret: peers prove they know it with an HMAC over a fresh nonce. */
  secret: string;
  /** This node's peer address as others dial it. */
  address: string;
  discovery: 'static' | 'manual';
  /** Static discovery: every node of the cluster (this one may be included). */
  seeds: { node: string; address: string }[];
  heartbeatIntervalMs: number;
  /** No frame from a peer for this long: it is unreachable. */
  heartbeatTimeoutMs: number;
  reconnectIntervalMs: number;
  /** Unreachable this long: its routes are purged and it is removed (EMQX autoclean). */
  autocleanMs: number;
  /**
   * 'replicated': a QoS 1/2 publish is acknowledged to its publisher once every
   * node it was forwarded or replicated to has confirmed it (safe against the
   * loss of one node). 'local': as soon as it is routed here (faster, but lost
   * if this node dies in that instant). 'quorum': once a majority of the cluster's
   * members hold it; held while no majority is reachable (core/cluster/ack-tracker.ts).
   */
  ackMode: 'replicated' | 'local' | 'quorum';
  /** Frames kept per unreachable peer, sent when it comes back (ten times this for a running but slow one). */
  forwardBuffer: number;
  /**
   * Consistency switches (VerneMQ's allow_*_during_netsplit): false refuses
   * connects, publishes or subscribes while any member is unreachable.
   */
  allowRegisterDuringNetsplit: boolean;
  allowPublishDuringNetsplit: boolean;
  allowSubscribeDuringNetsplit: boolean;
  /**
   * 'replicant' (core/cluster/replicant.ts): links to the cores only (its seeds), is not part of their
   * membership decisions, and reaches other replicants through them. Absent: a core (the full mesh).
   */
  role?: 'core' | 'replicant';
  /** Cluster linking (core/link/, docs/cluster-linking.md): this cluster's name, as linked clusters know it. */
  name?: string;
  /** The other clusters this one exchanges messages with (each must list this one too). */
  links?: LinkConfig[];
  /** Messages kept per link while it is down or unacknowledged; newer ones beyond are dropped and counted. */
  linkBuffer?: number;
}

export function defaultClusterConfig(address: string): ClusterConfig {
  return {
    secret: '',
    address,
    discovery: 'static',
    seeds: [],
    heartbeatIntervalMs: 1000,
    heartbeatTimeoutMs: 5000,
    reconnectIntervalMs: 1000,
    autocleanMs: 300_000,
    forwardBuffer: 10_000,
    ackMode: 'replicated',
    allowRegisterDuringNetsplit: true,
    allowPublishDuringNetsplit: true,
    allowSubscribeDuringNetsplit: true,
  };
}

export type NodeState = 'running' | 'unreachable' | 'stopped' | 'left';

/** Whether the configuration lets `op` go on while a member is unreachable. */
export function allowedDuringNetsplit(c: ClusterConfig, op: SplitOp): boolean {
  if (op === 'register') return c.allowRegisterDuringNetsplit;
  return op === 'publish' ? c.allowPublishDuringNetsplit : c.allowSubscribeDuringNetsplit;
}
