// QoS 2 is exactly once: no message delivered twice to one client at QoS 2.
// The one named exception (docs/guarantees.md, "QoS 2 is exactly once while nodes stay up"):
// `qos2-crash`, the node that made the first delivery crashed between the two. A killed process
// takes the PUBREC state it had not replicated yet with it, and the replica delivers again (at
// least once). Counted when the run accepts it (the default), a violation naming it otherwise.

import { DEFAULT_ACCEPTED, count, indexOf, type Ev, type SafetyOptions, type Violation } from './common.ts';

export function checkNoQos2Duplicates(events: Ev[], opts: SafetyOptions = {}): Violation[] {
  const out: Violation[] = [];
  const crashes = events.filter((e) => e.type === 'fault.crash');
  const accepted = (opts.accept ?? DEFAULT_ACCEPTED).includes('qos2-crash');
  for (const ds of indexOf(events).deliveries.values()) {
    for (let i = 1; i < ds.length; i++) {
      const e = ds[i];
      if (e.qos !== 2 || e.retain) continue;
      for (let j = 0; j < i; j++) {
        const prev = ds[j];
        if (prev.c === e.c && prev.qos === 2 && !prev.retain) {
          const crash = prev.node
            ? crashes.find((f) => f.node === prev.node && f.t >= prev.t && f.t <= e.t)
            : undefined;
          if (crash && accepted) count(opts.tally, 'qos2-crash');
          else {
            const why = crash
              ? `; qos2-crash (${crash.node} crashed at ${crash.t.toFixed(1)} ms), not accepted by this run`
              : '';
            out.push({
              property: 'qos2-exactly-once',
              detail: `${e.id} delivered twice to ${e.c}${why}`,
              excerpt: [prev, e],
            });
          }
          break;
        }
      }
    }
  }
  return out;
}
