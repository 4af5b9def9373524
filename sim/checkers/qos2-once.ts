// QoS 2 is exactly once: no message delivered twice to one client at QoS 2.

import { indexOf, type Ev, type Violation } from './common.ts';

export function checkNoQos2Duplicates(events: Ev[]): Violation[] {
  const out: Violation[] = [];
  for (const ds of indexOf(events).deliveries.values()) {
    for (let i = 1; i < ds.length; i++) {
      const e = ds[i];
      if (e.qos !== 2 || e.retain) continue;
      for (let j = 0; j < i; j++) {
        const prev = ds[j];
        if (prev.c === e.c && prev.qos === 2 && !prev.retain) {
          out.push({ property: 'qos2-exactly-once', detail: `${e.id} delivered twice to ${e.c}`, excerpt: [prev, e] });
          break;
        }
      }
    }
  }
  return out;
}
