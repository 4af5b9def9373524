// Clustered nodes on free loopback ports for the benchmarks (store-bench.ts, qos2-bench.ts).

import path from 'node:path';
import { startServer, type RunningServer } from '../runtime/server.ts';
import { freePorts } from '../sim/live/ports.ts';

const silent = { info() {}, warn() {} };

export type AckMode = 'replicated' | 'quorum';

/** `count` clustered nodes on free loopback ports; each its own data dir when `dataDir`. */
export async function group(
  dataDir: string,
  count = 2,
  ackMode: AckMode = 'replicated',
  maxQueued = 100_000,
): Promise<RunningServer[]> {
  const ports = await freePorts(count);
  const seeds = ports.map((p, i) => `b${i + 1}@127.0.0.1:${p}`);
  const nodes = await Promise.all(
    ports.map((port, i) =>
      startServer(
        {
          node: `b${i + 1}`,
          listeners: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
          sysInterval: 0,
          dataDir: dataDir && path.join(dataDir, `b${i + 1}`),
          limits: { maxQueuedMessages: maxQueued },
          cluster: { enabled: true, host: '127.0.0.1', port, seeds, secret: 'bench-secret', ackMode },
        },
        silent,
      ),
    ),
  );
  while (nodes.some((n) => n.cluster!.runningNodes().length < count))
    await new Promise((r) => setTimeout(r, 20));
  return nodes;
}
