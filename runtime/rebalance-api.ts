// The admin API of planned maintenance (core/cluster/maintenance.ts), as EMQX's load_rebalance API:
//   POST /api/rebalance/evacuation/start  {migrateTo, connEvictRate, sessEvictRate, waitHealthCheck, waitTakeover, redirectTo}
//   POST /api/rebalance/start             {nodes, connEvictRate, connThreshold, relConnThreshold, waitHealthCheck, waitTakeover}
//   GET  /api/rebalance/status            this node's evacuation (or donor part) and the rebalance it coordinates
//   POST /api/rebalance/stop
// Times are in seconds, rates a second. Bad input is a 400 with a one-line reason.

import type { Cluster } from '../core/cluster/cluster.ts';
import { defaultEvacuationOptions, type EvacuationOptions } from '../core/cluster/evacuation.ts';
import { defaultRebalanceOptions, type RebalanceOptions } from '../core/cluster/maintenance.ts';

export const REBALANCE_PATHS = [
  '/api/rebalance/evacuation/start',
  '/api/rebalance/start',
  '/api/rebalance/status',
  '/api/rebalance/stop',
];

type Reply = { status: number; body: unknown };

class BadInput extends Error {}

const fail = (status: number, error: string): Reply => ({ status, body: { error } });

function nodes(body: Record<string, unknown>, key: string): string[] {
  const v = body[key];
  if (v === undefined) return [];
  const list = typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v;
  if (!Array.isArray(list) || !list.every((n) => typeof n === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(n)))
    throw new BadInput(`${key}: must be node names ("n2,n3" or a list)`);
  return list;
}

function number(
  body: Record<string, unknown>,
  key: string,
  dflt: number,
  min: number,
  minOpen = false,
): number {
  const v = body[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (minOpen && v === min))
    throw new BadInput(`${key}: must be a number ${minOpen ? '>' : '>='} ${min}`);
  return v;
}

function evacuationOptions(b: Record<string, unknown>): EvacuationOptions {
  const d = defaultEvacuationOptions;
  const o: EvacuationOptions = {
    migrateTo: nodes(b, 'migrateTo'),
    connEvictRate: number(b, 'connEvictRate', d.connEvictRate, 0, true),
    sessEvictRate: number(b, 'sessEvictRate', d.sessEvictRate, 0, true),
    waitHealthCheckMs: number(b, 'waitHealthCheck', d.waitHealthCheckMs / 1000, 0) * 1000,
    waitTakeoverMs: number(b, 'waitTakeover', d.waitTakeoverMs / 1000, 0) * 1000,
  };
  if (b.redirectTo !== undefined) {
    if (typeof b.redirectTo !== 'string' || b.redirectTo === '' || b.redirectTo.length > 1024)
      throw new BadInput('redirectTo: must be a non-empty string (the Server Reference MQTT 5 clients get)');
    o.redirectTo = b.redirectTo;
  }
  return o;
}

function rebalanceOptions(b: Record<string, unknown>): RebalanceOptions {
  const d = defaultRebalanceOptions;
  return {
    nodes: nodes(b, 'nodes'),
    connEvictRate: number(b, 'connEvictRate', d.connEvictRate, 0, true),
    connThreshold: number(b, 'connThreshold', d.connThreshold, 0),
    relConnThreshold: number(b, 'relConnThreshold', d.relConnThreshold, 1),
    waitHealthCheckMs: number(b, 'waitHealthCheck', d.waitHealthCheckMs / 1000, 0) * 1000,
    waitTakeoverMs: number(b, 'waitTakeover', d.waitTakeoverMs / 1000, 0) * 1000,
  };
}

/** Answers a rebalance route (`METHOD /path`), or null when `route` is not one. */
export async function rebalanceRoute(
  route: string,
  cluster: Cluster | undefined,
  readBody: () => Promise<Record<string, unknown>>,
): Promise<Reply | null> {
  const [method, path] = route.split(' ');
  if (!REBALANCE_PATHS.includes(path)) return null;
  const want = path === '/api/rebalance/status' ? 'GET' : 'POST';
  if (method !== want) return fail(405, `method ${method} not allowed on ${path}`);
  if (!cluster) return fail(409, 'this node is not clustered: nothing to evacuate to or rebalance');
  const m = cluster.maintenance;
  try {
    switch (path) {
      case '/api/rebalance/status':
        return { status: 200, body: { node: cluster.node, ...m.status() } };
      case '/api/rebalance/stop': {
        await readBody();
        if (!m.stop()) return fail(404, 'no evacuation or rebalance runs on this node');
        return { status: 200, body: { result: 'stopped', node: cluster.node, ...m.status() } };
      }
      case '/api/rebalance/evacuation/start': {
        const err = m.evacuate(evacuationOptions(await readBody()));
        if (err) return fail(409, err);
        return { status: 200, body: { result: 'evacuating', node: cluster.node, ...m.status() } };
      }
      default: {
        const err = m.rebalance(rebalanceOptions(await readBody()));
        if (err) return fail(409, err);
        return { status: 200, body: { result: 'rebalancing', node: cluster.node, ...m.status() } };
      }
    }
  } catch (e) {
    if (e instanceof BadInput) return fail(400, e.message);
    throw e;
  }
}
