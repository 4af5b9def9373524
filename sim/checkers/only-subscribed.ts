// No message delivered to a client that never subscribed to a matching filter.

import { covers, plainFilter, type Ev, type Violation } from './common.ts';

export function checkOnlySubscribed(events: Ev[]): Violation[] {
  const filters = new Map<string, string[]>();
  const out: Violation[] = [];
  for (const e of events) {
    if (e.type === 'sub.invoke') {
      const list = filters.get(e.c as string) ?? [];
      list.push(...String(e.filters).split(',').map(plainFilter));
      filters.set(e.c as string, list);
    } else if (e.type === 'deliver') {
      const fs = filters.get(e.c as string) ?? [];
      if (!fs.some((f) => covers(f, e.topic as string)))
        out.push({
          property: 'only-subscribed',
          detail: `${e.c} got ${e.id} on ${e.topic} without a matching subscription`,
          excerpt: [e],
        });
    }
  }
  return out;
}
