// What `w.nodeStatus(n)` and the maintenance calls (`startEvacuation`, `startRebalance`) are against real
// processes: each node's admin API. A node's status is read from the first time a scenario asks for it,
// in every sleep/until after (the scenario's predicates stay synchronous, as in the simulator); the calls
// are the admin API's POSTs (`runtime ctl rebalance start [--evacuation]`), their times and rates scaled
// from virtual to wall time.

import http from 'node:http';
import type { NodeStatus } from '../scenario-world.ts';
import type { EvacuationOptions } from '../../core/cluster/evacuation.ts';
import type { RebalanceOptions } from '../../core/cluster/maintenance.ts';
import { get } from './haproxy.ts';

const READ_TIMEOUT_MS = 3000;

/** POSTs JSON to a node's admin API; resolves to the status and parsed body (status 0: no answer). */
export function postJson(port: number, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const data = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        timeout: 10_000,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            parsed = null;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', () => resolve({ status: 0, body: null }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: null }));
    req.end(data);
  });
}

/** The admin API's body of an evacuation start (seconds, rates per wall second). */
export function evacuationBody(o: Partial<EvacuationOptions>, timeScale: number): Record<string, unknown> {
  return {
    ...(o.migrateTo && { migrateTo: o.migrateTo }),
    ...(o.connEvictRate !== undefined && { connEvictRate: o.connEvictRate / timeScale }),
    ...(o.sessEvictRate !== undefined && { sessEvictRate: o.sessEvictRate / timeScale }),
    ...(o.waitHealthCheckMs !== undefined && { waitHealthCheck: (o.waitHealthCheckMs * timeScale) / 1000 }),
    ...(o.waitTakeoverMs !== undefined && { waitTakeover: (o.waitTakeoverMs * timeScale) / 1000 }),
    ...(o.redirectTo !== undefined && { redirectTo: o.redirectTo }),
  };
}

/** The admin API's body of a rebalance start. */
export function rebalanceBody(o: Partial<RebalanceOptions>, timeScale: number): Record<string, unknown> {
  return {
    ...(o.nodes && { nodes: o.nodes }),
    ...(o.connEvictRate !== undefined && { connEvictRate: o.connEvictRate / timeScale }),
    ...(o.connThreshold !== undefined && { connThreshold: o.connThreshold }),
    ...(o.relConnThreshold !== undefined && { relConnThreshold: o.relConnThreshold }),
    ...(o.waitHealthCheckMs !== undefined && { waitHealthCheck: (o.waitHealthCheckMs * timeScale) / 1000 }),
    ...(o.waitTakeoverMs !== undefined && { waitTakeover: (o.waitTakeoverMs * timeScale) / 1000 }),
  };
}

/** The last reading of each asked-for node's status. */
export class NodeStatusReader {
  private readonly wanted = new Set<string>();
  private readonly last = new Map<string, NodeStatus>();

  /** `adminPort(node)`: the port of a node that is up, null while it is down or starting. */
  constructor(private readonly adminPort: (node: string) => number | null) {}

  get active(): boolean {
    return this.wanted.size > 0;
  }

  status(node: string): NodeStatus | null {
    this.wanted.add(node);
    return this.adminPort(node) === null ? null : (this.last.get(node) ?? null);
  }

  /** Drops what was read of a node (crashed, restarted, or a maintenance call changed it). */
  forget(node: string): void {
    this.last.delete(node);
  }

  /** Keeps `maintenance` (a POST's answer) as the node's evacuation and rebalance until the next reading. */
  note(node: string, body: { evacuation?: unknown; rebalance?: unknown }): void {
    const s = this.last.get(node);
    if (s)
      this.last.set(node, { ...s, evacuation: body.evacuation as never, rebalance: body.rebalance as never });
  }

  async refresh(): Promise<void> {
    await Promise.all(
      [...this.wanted].map(async (n) => {
        const port = this.adminPort(n);
        const s = port === null ? null : await read(port);
        if (s) this.last.set(n, s);
        else this.last.delete(n);
      }),
    );
  }
}

/** One node's status: the maintenance status first, the sessions last (an evacuation read as done has no later session count). */
async function read(port: number): Promise<NodeStatus | null> {
  const base = `http://127.0.0.1:${port}`;
  const rb = await get(`${base}/api/rebalance/status`, READ_TIMEOUT_MS);
  const cl = rb && (await get(`${base}/api/cluster`, READ_TIMEOUT_MS));
  const st = cl && (await get(`${base}/api/stats`, READ_TIMEOUT_MS));
  if (!rb || !cl || !st) return null;
  const r = JSON.parse(rb);
  const c = JSON.parse(cl);
  return {
    members: c.members ?? [],
    links: c.links ?? [],
    sessions: JSON.parse(st).sessions,
    evacuation: r.evacuation ?? null,
    rebalance: r.rebalance ?? null,
    relay: c.relay ?? null,
  };
}
