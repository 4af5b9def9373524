// Which acknowledged retained writes every node that could hold lost: the swarm's nodes keep retained
// messages in memory only (no data dirs), so a write is gone once each node that may have had it crashed
// before a node that outlived it linked to it. A whole-cluster restart is the case where every node is down
// at once (FaultPlayer.wipes); this is the same loss one node after the other, as lostAlone is for a
// session's copies (docs/guarantees.md, "Without data dirs").
//
// The holders are over-approximated, so that a write is taken for lost only when no node can have kept it:
// from the publish's invocation, every node its publisher was connected to holds it, and so does every node
// linked (in either node's view) to a holder, at once and for as long as the link is up; a crash empties a
// node. Partitions and clogs are ignored (a link that is up but cut still counts as passing the write on).

import type { Ev } from './events.ts';

/** The ids of acknowledged retained writes (sets and clears) that no node held any longer, with when the last went. */
export function retainedLost(ev: Ev[]): Map<string, number> {
  const out = new Map<string, number>();
  const oks = new Map<string, Ev>();
  for (const e of ev) if (e.type === 'pub.ok') oks.set(e.id, e);
  for (const i of ev) {
    if (i.type !== 'pub.invoke' || !i.retain) continue;
    const ok = oks.get(i.id);
    if (!ok) continue;
    const at = lostAt(ev, i.c, i.t, ok.t, ok.type === 'pub.ok' ? (ok.node ?? undefined) : undefined);
    if (at !== undefined) out.set(i.id, at);
  }
  return out;
}

/** When the last node that may hold a write `client` invoked at `from` (acknowledged at `okAt` by `okNode`) crashed. */
function lostAt(ev: Ev[], client: string, from: number, okAt: number, okNode?: string): number | undefined {
  const views = new Map<string, Set<string>>(); // node -> peers it holds a link to
  const holders = new Set<string>();
  let conn: string | undefined; // the publisher's node
  const linked = (x: string, y: string) => !!views.get(x)?.has(y) || !!views.get(y)?.has(x);
  const spread = () => {
    for (let grew = true; grew;) {
      grew = false;
      for (const [x, peers] of views)
        for (const y of peers)
          for (const [a, b] of [
            [x, y],
            [y, x],
          ])
            if (holders.has(a) && !holders.has(b) && linked(a, b)) {
              holders.add(b);
              grew = true;
            }
    }
  };
  const reset = (n: string) => {
    views.delete(n);
    for (const peers of views.values()) peers.delete(n);
    holders.delete(n);
  };
  for (const e of ev) {
    if (e.t < from) {
      if (e.type === 'client.connack' && e.c === client && e.rc === 0) conn = e.node ?? undefined;
      else if (e.type === 'client.closed' && e.c === client) conn = undefined;
    }
    if (e.type === 'cluster.peer.up') {
      const v = views.get(e.node) ?? new Set<string>();
      v.add(String(e.peer));
      views.set(e.node, v);
    } else if (e.type === 'cluster.peer.down') views.get(e.node)?.delete(String(e.peer));
    else if (e.type === 'node.start' || e.type === 'fault.crash') {
      const had = holders.size > 0;
      reset(e.node);
      if (had && !holders.size && e.t > okAt) return e.t;
      continue;
    }
    if (e.t < from) continue;
    if (e.t <= okAt) {
      if (e.type === 'client.connack' && e.c === client && e.rc === 0 && e.node) holders.add(e.node);
      if (conn) holders.add(conn);
      conn = undefined;
      if (e.t === okAt && okNode) holders.add(okNode);
    }
    spread();
  }
  return undefined;
}
