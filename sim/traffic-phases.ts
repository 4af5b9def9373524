// Publishing in named phases, as the restart scenarios drive it: `tick` publishes one round every 200 ms
// of simulated time, and each phase records its time span for phaseStats (per-phase loss and delay).

import type { ScenarioWorld } from './scenario-world.ts';

export interface Phase {
  name: string;
  from: number;
  to: number;
}

export interface TrafficPhases {
  readonly phases: Phase[];
  /** Publishes for `ms`, as phase `name`. */
  traffic(name: string, ms: number): Promise<void>;
  /** Keeps publishing until `pred` holds (or the timeout), as phase `name`; returns whether it held. */
  trafficUntil(name: string, pred: () => boolean, timeoutMs: number): Promise<boolean>;
}

export function trafficPhases(w: ScenarioWorld, tick: () => void): TrafficPhases {
  const phases: Phase[] = [];
  return {
    phases,
    async traffic(name, ms) {
      const from = w.now;
      for (let t = 0; t < ms; t += 200) {
        tick();
        await w.sleep(200);
      }
      phases.push({ name, from, to: w.now });
    },
    async trafficUntil(name, pred, timeoutMs) {
      const from = w.now;
      let ok = false;
      while (w.now - from < timeoutMs) {
        if ((ok = pred())) break;
        tick();
        await w.sleep(200);
      }
      phases.push({ name, from, to: w.now });
      return ok;
    },
  };
}
