// No message delivered to a client that never subscribed to a matching filter.
// Incremental: fed one event at a time, it holds each client's filters so far.

import { covers, plainFilter, type Ev, type Violation } from './common.ts';

export class OnlySubscribedChecker {
  readonly violations: Violation[] = [];
  private readonly filters = new Map<string, string[]>();

  /** One event of the history, in order; returns the violation it shows, if any. */
  feed(e: Ev): Violation | undefined {
    if (e.type === 'sub.invoke') {
      const list = this.filters.get(e.c) ?? [];
      list.push(...e.filters.split(',').map(plainFilter));
      this.filters.set(e.c, list);
    } else if (e.type === 'deliver') {
      const fs = this.filters.get(e.c) ?? [];
      if (fs.some((f) => covers(f, e.topic))) return undefined;
      const v: Violation = {
        property: 'only-subscribed',
        detail: `${e.c} got ${e.id} on ${e.topic} without a matching subscription`,
        excerpt: [e],
      };
      this.violations.push(v);
      return v;
    }
    return undefined;
  }
}

export function checkOnlySubscribed(events: Ev[]): Violation[] {
  const checker = new OnlySubscribedChecker();
  for (const e of events) checker.feed(e);
  return checker.violations;
}
