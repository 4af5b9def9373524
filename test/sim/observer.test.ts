// Watching a run does not change it: the UI's pacing observer (sim/observe.ts,
// ui/sim-driver.ts) runs sleep/until in slices and yields to the event loop
// between them, and the trace sampler reads the world while it runs; the
// history hash stays the one of the plain run. Traces carry world samples
// for `sim replay --ui` and still replay.

import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runScenario } from '../../sim/scenario.ts';
import { allObservers, type Slice } from '../../sim/observe.ts';
import { TraceSampler, writeTrace, readTrace } from '../../sim/trace.ts';
import { SimDriver } from '../../ui/sim-driver.ts';
import { traceFrames } from '../../ui/replay-frames.ts';
import willOnNodeCrash from '../../scenarios/will-on-node-crash.ts';
import { main } from '../../sim/cli.ts';

describe('observers leave the run unchanged', () => {
  it('a pacing observer that yields to the event loop every 300 events, a sampler and the UI driver give the plain run’s hash', async () => {
    const plain = await runScenario(willOnNodeCrash, 3);
    let slices = 0;
    let wallReads = 0;
    const paced = await runScenario(willOnNodeCrash, 3, {
      observe: () => ({
        async pace(): Promise<Slice> {
          slices++;
          // Ambient time and timers work here: the tripwires are lifted while the observer runs.
          if (Date.now() > 0) wallReads++;
          await new Promise((r) => setImmediate(r));
          return { maxEvents: 300, untilMs: Infinity };
        },
      }),
    });
    expect(paced.hash).toBe(plain.hash);
    expect(paced.historyLines).toBe(plain.historyLines);
    expect(slices).toBeGreaterThan(plain.events / 300);
    expect(wallReads).toBe(slices);

    const driver = new SimDriver('will-on-node-crash', { speed: Infinity });
    let frames = 0;
    driver.subscribe(() => frames++);
    let sampler: TraceSampler | null = null;
    const driven = await runScenario(willOnNodeCrash, 3, {
      observe: (w) => allObservers(driver.attach(w), (sampler = new TraceSampler(w))),
    });
    expect(driven.hash).toBe(plain.hash);
    expect(sampler!.samples.length).toBeGreaterThan(10);
    // The driver's model saw the run: the crash, the wills, every event.
    const s = driver.model.state;
    expect(s.status.events).toBe(plain.historyLines);
    expect(s.timeline.some((e) => e.kind === 'fault' && /killed|loses power/.test(e.text))).toBe(true);
    expect(s.nodes.length).toBeGreaterThan(1);
    expect(frames).toBeGreaterThan(0);
  });

  it('pausing, single steps and jumping to the next fault only change when the run goes on, not what happens', async () => {
    const plain = await runScenario(willOnNodeCrash, 4);
    const driver = new SimDriver('x', { speed: Infinity, paused: true });
    const seen: string[] = [];
    const run = runScenario(willOnNodeCrash, 4, {
      observe: (w) => allObservers(driver.attach(w), { event: (_t, ev) => void seen.push(ev.type) }),
    });
    await new Promise((r) => setTimeout(r, 50));
    // Started paused: only what the scenario records while building the world at t=0.
    const setup = seen.length;
    expect(driver.current().t).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(setup);
    driver.key({ input: 's' });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(setup + 1); // one step: one recorded event
    driver.key({ input: 'n' }); // flat out to the next fault, then paused again
    for (let i = 0; i < 200 && !driver.current().status.paused; i++)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen[seen.length - 1]).toMatch(/^fault\./);
    expect(driver.current().status.note).toMatch(/stopped at fault\./);
    driver.key({ input: ' ' });
    const r = await run;
    expect(r.hash).toBe(plain.hash);
  });
});

describe('traces for time travel', () => {
  it('carry samples between the history lines; replay ignores them and matches; the frames scrub through the run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mqttlab-trace-'));
    try {
      const file = path.join(dir, 'run.jsonl');
      let sampler: TraceSampler | null = null;
      const r = await runScenario(willOnNodeCrash, 5, {
        keepLines: true,
        observe: (w) => (sampler = new TraceSampler(w)),
      });
      sampler!.final();
      writeTrace(
        file,
        {
          type: 'trace',
          scenario: 'scenarios/will-on-node-crash.ts',
          name: r.scenario,
          seed: r.seed,
          params: {},
        },
        r,
        sampler!.samples,
      );
      const t = readTrace(file);
      expect(t.history).toEqual(r.lines);
      expect(t.body.length).toBe(r.lines!.length + sampler!.samples.length);
      expect(t.footer).toMatchObject({ hash: r.hash, lines: r.historyLines, violations: [] });
      const frames = traceFrames(t, ['verdict    PASS']);
      expect(frames.length).toBeGreaterThan(5);
      // Time moves forward through the frames; node boxes come from the samples.
      for (let i = 1; i < frames.length; i++) expect(frames[i].t).toBeGreaterThanOrEqual(frames[i - 1].t);
      expect(frames[0].timeline.length).toBeLessThan(frames[frames.length - 1].timeline.length);
      expect(frames.some((f) => f.nodes.some((n) => n.state === 'stopped'))).toBe(true);
      expect(frames[frames.length - 1].status.done).toBe(true);
      expect(frames[frames.length - 1].summary).toEqual(['verdict    PASS']);

      const log: string[] = [];
      const orig = console.log;
      console.log = (s: string) => void log.push(s);
      try {
        expect(await main(['replay', file])).toBe(0);
      } finally {
        console.log = orig;
      }
      expect(log.join('\n')).toContain(`replay matches: ${r.historyLines} events, hash ${r.hash}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
