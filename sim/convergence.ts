// Liveness after the heal phase: running nodes agree on membership, every
// route table equals the union of the subscriptions actually held, and
// retained stores are equal. Reads node state, which is what converging means.

import type { World } from './world.ts';

export function convergenceProblems(w: World): string[] {
  const running = [...w.brokers.values()].filter((b) => b.broker && b.host.state === 'up').map((b) => b.name);
  const problems: string[] = [];
  const actual: string[] = [];
  for (const n of running) for (const k of w.broker(n).router.routeKeys()) actual.push(`${k} -> ${n}`);
  actual.sort();
  const retained = (n: string) =>
    [...w.broker(n).retained.all()]
      .map((m) => `${m.topic}=${m.payload.toString('latin1')}`)
      .sort()
      .join(';');
  const ref = running.length ? retained(running[0]) : '';
  for (const n of running) {
    const c = w.broker(n).cluster;
    if (!c) continue;
    const notUp = c.status().filter((s) => running.includes(s.node) && s.state !== 'running');
    if (notUp.length) problems.push(`${n} sees ${notUp.map((s) => `${s.node} ${s.state}`).join(', ')}`);
    const rt = c.routes.dump().filter((r) => running.includes(r.slice(r.lastIndexOf(' ') + 1)));
    if (rt.join('\n') !== actual.join('\n')) problems.push(`${n}'s route table differs from the subscriptions held (${rt.length} vs ${actual.length} routes)`);
    if (retained(n) !== ref) problems.push(`${n}'s retained store differs from ${running[0]}'s`);
  }
  return problems;
}
