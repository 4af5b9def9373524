// `sim run FILE --ui`: the scenario runs under the terminal UI. The summary
// stays on screen at the end until the user quits.

import './production.ts';
import { runScenario, type RunResult, type Scenario } from '../sim/scenario.ts';
import { allObservers, type SimObserver } from '../sim/observe.ts';
import type { World } from '../sim/world.ts';
import { SimDriver, QuitError } from './sim-driver.ts';
import { runApp } from './app.tsx';

export interface WatchOptions {
  params: Record<string, number>;
  keepLines: boolean;
  speed?: number;
  paused?: boolean;
  /** More observers (trace samples). */
  observers: ((w: World) => SimObserver)[];
  /** The closing summary lines. */
  summary(r: RunResult): string[];
}

/** Runs and shows the scenario; null when the user quit before it ended. */
export async function watchScenario(s: Scenario, seed: string, o: WatchOptions): Promise<RunResult | null> {
  const driver = new SimDriver(`${s.name}  seed ${seed}`, { speed: o.speed, paused: o.paused });
  let world: World | null = null;
  const app = runApp(driver);
  let quitEarly = false;
  app.then(() => void (quitEarly = true));
  // Let React and ink finish mounting first: work they queue now (microtasks
  // reading performance.now) must not run inside the simulation's tripwires.
  await new Promise((r) => setTimeout(r, 20));
  try {
    const r = await runScenario(s, seed, {
      keepLines: o.keepLines,
      params: o.params,
      observe: (w) => {
        world = w;
        return allObservers(driver.attach(w), ...o.observers.map((f) => f(w)));
      },
    });
    driver.finish(world!, { phases: r.phases, violations: r.violations, summary: o.summary(r) });
    if (!quitEarly) await app;
    return r;
  } catch (e) {
    if (e instanceof QuitError) {
      await app;
      return null;
    }
    // The scenario threw: say so on screen, keep it there until q, then report as usual.
    driver.failed(e as Error);
    if (!quitEarly) await app;
    throw e;
  }
}
