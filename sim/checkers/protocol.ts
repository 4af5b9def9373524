// Every protocol violation the strict client saw (sim/client-guard.ts) fails
// the run; the CONNACK-first ones are reported by connack-first.ts.

import type { Ev, Violation } from './common.ts';

export function checkClientProtocol(events: Ev[]): Violation[] {
  const out: Violation[] = [];
  for (const e of events) {
    if (
      e.type !== 'protocol-violation' ||
      e.kind === 'publish-before-connack' ||
      e.kind === 'packet-before-connack'
    )
      continue;
    out.push({
      property: 'client-protocol',
      detail: `${e.c} (on ${e.node}): ${e.kind}: ${e.detail} [${e.rule}]`,
      excerpt: [e],
    });
  }
  return out;
}
