// No message delivered to a client that never subscribed to a matching filter.

import { covers, plainFilter, type Ev, type Violation } from './common.ts';

export function checkOnlySubscribed(events: Ev[]): Violation[] {
  const filters = new Map<string, string[]>();
  const out: Violation[] = [];
  for (const e of events) {
    if (e.type === 'sub.invoke') {
      const list = filters.get(e.c) ?? [];
      list.push(...e.filters.split(',').map(plainFilter));
      filters.set(e.c, list);
    } else if (e.type === 'deliver') {
      const fs = filters.get(e.c) ?? [];
      if (!fs.some((f) => covers(f, e.topic)))
        out.push({
          property: 'only-subscribed',
          detail: `${e.c} got ${e.id} on ${e.topic} without a matching subscription`,
          excerpt: [e],
        });
    }
  }
  return out;
}
