// Time travel through a trace: the trace is folded once through the model,
// keeping a snapshot at every world sample (state changes and about once
// per simulated second with activity); scrubbing picks a snapshot.

import type { Trace } from '../sim/trace.ts';
import type { HistoryEvent } from '../sim/history.ts';
import { ModelBuilder, type UiState } from './model.ts';

/** Most frames kept: a long trace keeps every k-th sample (state changes always). */
const MAX_FRAMES = 3000;

export function traceFrames(trace: Trace, summary: string[]): UiState[] {
  const { header, footer } = trace;
  const m = new ModelBuilder(`${header.name}  seed ${header.seed}  (trace)`, 'replay');
  const samples = trace.body.length - trace.history.length;
  const every = Math.max(1, Math.ceil(samples / MAX_FRAMES));
  const frames: UiState[] = [];
  let n = 0;
  let timelineAt = 0;
  for (const line of trace.body) {
    if (line.startsWith('{"sample"')) {
      m.sample(JSON.parse(line).sample);
      const changed = m.state.timeline.length !== timelineAt;
      if (changed || n++ % every === 0) {
        frames.push(m.snapshot());
        timelineAt = m.state.timeline.length;
      }
      continue;
    }
    const ev = JSON.parse(line) as HistoryEvent & { t: number };
    const t = ev.t;
    delete (ev as { t?: number }).t;
    m.event(t, ev);
    // Traces written before samples existed: a frame per state change (no node boxes then).
    if (samples === 0 && m.state.timeline.length !== timelineAt) {
      frames.push(m.snapshot());
      timelineAt = m.state.timeline.length;
    }
  }
  if (footer.simulatedMs !== undefined) m.setTime(footer.simulatedMs);
  m.finish({ phases: footer.phases, violations: footer.violations ?? [], summary });
  frames.push(m.snapshot());
  return frames;
}
