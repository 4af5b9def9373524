// A fleet of devices behind a balancer, as the large scenarios (reconnect-storm.ts, evacuation-upgrade.ts)
// build it: `devices` clients through `target`, one in three 3.1.1, every other one clean (the rest persistent,
// expiry 1 h), each subscribed at QoS 1 to its group's command topic; and 5 backend publishers that send one
// command per tick to groups in rotation, QoS 1 and every fifth QoS 2.

import type { ScenarioClient, ScenarioWorld } from './scenario-world.ts';

export interface Fleet {
  devices: ScenarioClient[];
  backends: ScenarioClient[];
  /** Each backend publishes one command (tick `k`). */
  tick(k: number): void;
}

export function deviceFleet(
  w: ScenarioWorld,
  opts: { devices: number; groups: number; target: string; reconnect: { minMs: number; maxMs: number } },
): Fleet {
  const { groups, target, reconnect } = opts;
  const devices = Array.from({ length: opts.devices }, (_, i) =>
    w.client(`dev-${i}`, {
      target,
      version: i % 3 === 0 ? 4 : 5,
      clean: i % 2 === 1,
      sessionExpiry: i % 2 === 1 ? 0 : 3600,
      keepalive: 60,
      reconnect,
      subscriptions: [{ filter: `fleet/${i % groups}/cmd`, qos: 1 }],
    }),
  );
  const backends = Array.from({ length: 5 }, (_, i) =>
    w.client(`backend-${i}`, { target, version: 5, keepalive: 60, reconnect }),
  );
  const tick = (k: number): void =>
    backends.forEach((p, i) =>
      p.publish(`fleet/${(k * backends.length + i) % groups}/cmd`, (k % 5 === 4 ? 2 : 1) as 1 | 2),
    );
  return { devices, backends, tick };
}
