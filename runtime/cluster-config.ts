// The one mapping between a node's cluster settings as the runtime reads them
// (config file, flags: RuntimeClusterConfig) and core's ClusterConfig.
// runtime/server.ts maps a node's settings into the core; the live world
// (sim/live/live-world.ts) writes a scenario's ClusterConfig into a node's
// config file. Both copy SHARED_FIELDS, so a setting added to the list reaches
// the core from a config file and from a live scenario alike.

import { defaultClusterConfig, type ClusterConfig } from '../core/cluster/cluster.ts';
import type { RuntimeClusterConfig } from './config.ts';

/** Settings with the same name and meaning in both (the types must agree: see SharedSettings). */
const SHARED_FIELDS = [
  'secret',
  'heartbeatIntervalMs',
  'heartbeatTimeoutMs',
  'autocleanMs',
  'ackMode',
  'allowRegisterDuringNetsplit',
  'allowPublishDuringNetsplit',
  'allowSubscribeDuringNetsplit',
  'role',
  'name',
  'links',
  'linkBuffer',
] as const;

type Shared = (typeof SHARED_FIELDS)[number];
/** A field whose type differs between the two makes its property `never` here, and callers fail to compile. */
type SharedSettings = Pick<ClusterConfig, Shared> & Pick<RuntimeClusterConfig, Shared>;

/** The shared settings `from` sets (undefined ones left out). */
export function sharedClusterSettings(from: Partial<SharedSettings>): Partial<SharedSettings> {
  const out: Partial<SharedSettings> = {};
  for (const k of SHARED_FIELDS) if (from[k] !== undefined) Object.assign(out, { [k]: from[k] });
  return out;
}

/**
 * The core's configuration of a node with these runtime settings, reachable at `advertise`.
 * `seeds`: the parsed `cc.seeds`. DNS discovery is manual discovery fed by DNS (runtime/server.ts).
 */
export function coreClusterConfig(
  cc: RuntimeClusterConfig,
  advertise: string,
  seeds: { node: string; address: string }[],
): ClusterConfig {
  return {
    ...defaultClusterConfig(advertise),
    ...sharedClusterSettings(cc),
    discovery: cc.discovery === 'dns' ? 'manual' : cc.discovery,
    // Manual discovery: the seeds are only contacted to join; membership comes from them.
    seeds: cc.discovery === 'static' ? seeds : [],
    reconnectIntervalMs: cc.heartbeatIntervalMs,
  };
}
