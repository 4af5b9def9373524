// Cluster links (core/link/, docs/cluster-linking.md), judged from the history only.
//
// checkLinkDelivery: every message acknowledged to a publisher in one cluster, on a topic a subscriber of
// another linked cluster subscribed to (from the expectation's time on), reaches that subscriber, unless
// it is excused and counted: `link-buffer-drop` (the publisher's node logged it as dropped by the link's
// bounded buffer) or `region-down` (published while every node of the subscriber's cluster was down).
//
// checkLinkLoops: a message crosses into a cluster at most once and only from its origin: never back into
// the cluster it was published in, never forwarded on by a cluster it reached over a link. Resends of
// frames a connection lost without their acknowledgement (at least once across a link) are counted as
// `link-resend`, and a subscriber getting such a copy twice as `link-resend-duplicate`.

import type { At, Ev, LinkInEvent } from '../events.ts';
import { count, covers, indexOf, type Tally, type Violation } from './common.ts';

export interface LinkExpectation {
  /** A subscriber of one cluster. */
  client: string;
  filter: string;
  /** Messages published in other clusters from this virtual time on must arrive. */
  from: number;
}

/** Node → its cluster's name, from the `cluster.link.config` events. */
function clustersOf(events: Ev[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of events) if (e.type === 'cluster.link.config') out.set(e.node, String(e.cluster));
  return out;
}

/** Per cluster: the windows [from, to) in which all its nodes were down (from: its first node's crash). */
function regionDown(
  events: Ev[],
  clusters: Map<string, string>,
): Map<string, { from: number; to: number }[]> {
  const size = new Map<string, number>();
  for (const c of clusters.values()) size.set(c, (size.get(c) ?? 0) + 1);
  const down = new Map<string, Set<string>>();
  const since = new Map<string, number>();
  const out = new Map<string, { from: number; to: number }[]>();
  for (const e of events) {
    if (e.type !== 'fault.crash' && e.type !== 'node.start') continue;
    const c = clusters.get(e.node);
    if (!c) continue;
    const set = down.get(c) ?? new Set<string>();
    down.set(c, set);
    const wins = out.get(c) ?? [];
    out.set(c, wins);
    if (e.type === 'fault.crash') {
      if (set.size === 0) since.set(c, e.t);
      set.add(e.node);
      if (set.size === size.get(c)) wins.push({ from: since.get(c)!, to: Infinity });
    } else if (set.delete(e.node)) {
      const last = wins[wins.length - 1];
      if (last && last.to === Infinity) last.to = e.t;
    }
  }
  return out;
}

export function checkLinkDelivery(events: Ev[], expect: LinkExpectation[], tally?: Tally): Violation[] {
  const clusters = clustersOf(events);
  const downs = regionDown(events, clusters);
  const ix = indexOf(events);
  const dropped = new Set<string>();
  for (const e of events) if (e.type === 'link.drop') dropped.add(`${e.link}|${e.id}`);
  const subCluster = new Map<string, string>();
  for (const e of events)
    if (e.type === 'client.connack' && e.rc === 0 && e.node && !subCluster.has(e.c)) {
      const c = clusters.get(e.node);
      if (c) subCluster.set(e.c, c);
    }
  const out: Violation[] = [];
  for (const x of expect) {
    const cs = subCluster.get(x.client);
    if (!cs) {
      out.push({
        property: 'link-delivery',
        detail: `${x.client} never connected to a linked cluster`,
        excerpt: [],
      });
      continue;
    }
    for (const ok of ix.acked) {
      const p = ix.invoked.get(ok.id);
      const cp = ok.node ? clusters.get(ok.node) : undefined;
      if (!p || p.qos === 0 || !cp || cp === cs || p.t < x.from || !covers(x.filter, p.topic)) continue;
      if (ix.deliveries.get(ok.id)?.some((d) => d.c === x.client)) count(tally, 'link-delivered');
      else if (downs.get(cs)?.some((w) => p.t >= w.from && p.t < w.to)) count(tally, 'region-down');
      else if (dropped.has(`${cs}|${ok.id}`)) count(tally, 'link-buffer-drop');
      else
        out.push({
          property: 'link-delivery',
          detail: `${ok.id} (${p.topic}) acknowledged in ${cp} at ${p.t.toFixed(0)} never reached ${x.client} in ${cs}`,
          excerpt: [p, ok],
        });
    }
  }
  return out;
}

/** The cluster each publish entered: its acknowledging node's, else that of the publisher's last CONNACK before it. */
function publishedIn(events: Ev[], clusters: Map<string, string>): Map<string, string> {
  const at = new Map<string, string>();
  const out = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'client.connack' && e.rc === 0 && e.node) at.set(e.c, e.node);
    else if (e.type === 'pub.invoke') {
      const c = clusters.get(at.get(e.c) ?? '');
      if (c) out.set(e.id, c);
    } else if (e.type === 'pub.ok' && e.node) {
      const c = clusters.get(e.node);
      if (c) out.set(e.id, c);
    }
  }
  return out;
}

export function checkLinkLoops(events: Ev[], tally?: Tally): Violation[] {
  const clusters = clustersOf(events);
  if (clusters.size === 0) return [];
  const home = publishedIn(events, clusters);
  const out: Violation[] = [];
  /** cluster|id → link.in events (first crossings and resends). */
  const crossings = new Map<string, At<LinkInEvent>[]>();
  for (const e of events) {
    if (e.type !== 'link.in') continue;
    const into = clusters.get(e.node) ?? '?';
    // Where it was published, as the history shows it (not as the sending node says).
    const origin = home.get(e.id) ?? e.origin;
    if (origin !== e.from)
      out.push({
        property: 'link-loop',
        detail: `${e.id} published in ${origin} came on from ${e.from} into ${into}`,
        excerpt: [e],
      });
    if (into === origin)
      out.push({
        property: 'link-loop',
        detail: `${e.id} came back over a link into ${into}, where it was published`,
        excerpt: [e],
      });
    const k = `${into}|${e.id}`;
    const l = crossings.get(k) ?? [];
    crossings.set(k, l);
    l.push(e);
    if (e.resend) count(tally, 'link-resend');
    else if (l.filter((x) => !x.resend).length > 1)
      out.push({
        property: 'link-once',
        detail: `${e.id} crossed into ${into} twice (not a resend)`,
        excerpt: l,
      });
  }
  // A subscriber's second copy of a message that crossed twice must be a resend's.
  const ix = indexOf(events);
  for (const [id, ds] of ix.deliveries) {
    const per = new Map<string, number>();
    for (const d of ds) if (!d.dup) per.set(d.c, (per.get(d.c) ?? 0) + 1);
    for (const [c, n] of per) {
      if (n < 2) continue;
      const node = ds.find((d) => d.c === c)?.node;
      const l = node ? crossings.get(`${clusters.get(node)}|${id}`) : undefined;
      if (!l || l.length < 2) continue;
      if (l.some((x) => x.resend)) count(tally, 'link-resend-duplicate', n - 1);
      else out.push({ property: 'link-once', detail: `${c} got ${id} ${n} times over links`, excerpt: l });
    }
  }
  return out;
}
