// Liveness after the heal phase: running nodes agree on membership, every
// route table equals the union of the subscriptions actually held, and
// retained stores are equal. Reads node state, which is what converging means.

import type { World } from './world.ts';
import type { ScenarioWorld } from './scenario-world.ts';

/** One running node's state as read through its admin API (live runs). */
export interface NodeView {
  name: string;
  /** Route keys of the subscriptions held on the node. */
  routeKeys: string[];
  /** Its cluster route table, "key -> node" lines, sorted; absent when not clustered. */
  routes?: string[];
  members?: { node: string; state: string }[];
  /** "topic=payload" (payload as latin1), sorted. */
  retained: string[];
  /** Why the node's state could not be read. */
  error?: string;
}

/** Why the world's running nodes do not agree yet; each world judges by what it can see. */
export function convergenceProblems(w: ScenarioWorld): string[] {
  return w.convergenceProblems();
}

/** The judgement over the simulated brokers' state. */
export function simProblems(w: World): string[] {
  const running = [...w.brokers.values()].filter((b) => b.broker && b.host.state === 'up').map((b) => b.name);
  const problems: string[] = [];
  const actual: string[] = [];
  for (const n of running) for (const k of w.broker(n).subscriptions.routeKeys()) actual.push(`${k} -> ${n}`);
  actual.sort();
  const retained = (n: string) =>
    [...w.broker(n).retained.all()]
      .map((m) => `${m.topic}=${m.payload.toString('latin1')}`)
      .sort()
      .join(';');
  const ref = running.length ? retained(running[0]) : '';
  for (const n of running) {
    const c = w.clusterOrNull(n);
    if (!c) continue;
    const notUp = c.status().filter((s) => running.includes(s.node) && s.state !== 'running');
    if (notUp.length) problems.push(`${n} sees ${notUp.map((s) => `${s.node} ${s.state}`).join(', ')}`);
    const rt = c.routes.dump().filter((r) => running.includes(r.slice(r.lastIndexOf(' ') + 1)));
    if (rt.join('\n') !== actual.join('\n'))
      problems.push(
        `${n}'s route table differs from the subscriptions held (${rt.length} vs ${actual.length} routes)`,
      );
    if (retained(n) !== ref) problems.push(`${n}'s retained store differs from ${running[0]}'s`);
  }
  return problems;
}

/** The same judgement over node snapshots. */
export function viewProblems(views: NodeView[]): string[] {
  const problems: string[] = [];
  for (const v of views) if (v.error) problems.push(`${v.name}: ${v.error}`);
  if (problems.length) return problems;
  const running = views.map((v) => v.name);
  const actual = views.flatMap((v) => v.routeKeys.map((k) => `${k} -> ${v.name}`)).sort();
  const ref = views.length ? views[0].retained.join(';') : '';
  for (const v of views) {
    if (!v.members || !v.routes) continue;
    const notUp = v.members.filter((s) => running.includes(s.node) && s.state !== 'running');
    if (notUp.length) problems.push(`${v.name} sees ${notUp.map((s) => `${s.node} ${s.state}`).join(', ')}`);
    const rt = v.routes.filter((r) => running.includes(r.slice(r.lastIndexOf(' ') + 1)));
    if (rt.join('\n') !== actual.join('\n'))
      problems.push(
        `${v.name}'s route table differs from the subscriptions held (${rt.length} vs ${actual.length} routes)`,
      );
    if (v.retained.join(';') !== ref)
      problems.push(`${v.name}'s retained store differs from ${running[0]}'s`);
  }
  return problems;
}
