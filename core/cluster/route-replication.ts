// The cluster route table (EMQX's emqx_router): route key → nodes with a subscription to it. Each
// node is the single writer of its own routes: it announces every change, and its full table at
// every link-up; a node relays the tables it holds of others, used only for nodes it has not heard
// from itself since it started.

import type { LocalRoutes } from './local-node.ts';
import type { Membership } from './membership.ts';
import { F, encodeJson, type RoutesBody } from './peer-protocol.ts';
import { RouteTable } from './route-table.ts';

export class RouteReplication {
  readonly table = new RouteTable();
  /** Nodes whose full route table came from themselves since we started. */
  private from = new Set<string>();
  /** Route keys of sessions handed off from here, still advertised until the time given. */
  private lingering = new Map<string, number>();

  constructor(
    private readonly membership: Membership,
    private readonly local: LocalRoutes,
    /** Best effort to every member: each link-up resends the full table anyway. */
    private readonly broadcast: (frame: Buffer) => void,
    /** A peer's own full table is in. */
    private readonly fullTable: (peer: string) => void,
  ) {
    local.onRouteChange = (key, added) => this.localRoute(key, added);
    for (const k of local.routeKeys()) this.table.add(membership.node, k);
  }

  /** A route key of this node came (first subscription) or went (last one). */
  localRoute(key: string, added: boolean): void {
    if (added) this.lingering.delete(key);
    else if (this.lingering.has(key)) return; // a moved session's route: withdrawn when the linger ends
    const node = this.membership.node;
    if (added) this.table.add(node, key);
    else this.table.remove(node, key);
    this.broadcast(encodeJson(F.Routes, { full: false, add: added ? [key] : [], del: added ? [] : [key] }));
  }

  /** F.Routes from `peer`: a change, its full table, or (`of`) a table it holds of another node. */
  onRoutes(peer: string, body: RoutesBody): void {
    if (body.of !== undefined) {
      // Second-hand: only for a node we have not heard from ourselves since we started.
      if (body.of !== this.membership.node && this.membership.members.has(body.of) && !this.from.has(body.of))
        this.table.replace(body.of, body.add);
    } else if (body.full) {
      this.table.replace(peer, body.add);
      this.from.add(peer);
      this.fullTable(peer);
    } else {
      for (const k of body.add) this.table.add(peer, k);
      for (const k of body.del) this.table.remove(peer, k);
    }
  }

  /** For a peer whose link came up: the tables we hold of the other running nodes first, then ours. */
  resync(peer: string): Buffer[] {
    const out: Buffer[] = [];
    for (const o of this.membership.members.values()) {
      if (o.node !== peer && o.state === 'running')
        out.push(
          encodeJson(F.Routes, { full: true, add: [...this.table.keysOf(o.node)], del: [], of: o.node }),
        );
    }
    const self = this.membership.node;
    out.push(encodeJson(F.Routes, { full: true, add: [...this.table.keysOf(self)], del: [] }));
    return out;
  }

  /** Keeps these route keys advertised until `until` (a session handed off from here: late forwards follow it). */
  linger(keys: string[], until: number): void {
    for (const k of keys) if (!this.lingering.has(k)) this.lingering.set(k, until);
  }

  /** Withdraws lingering keys whose time is up and that no local subscription holds again. */
  expireLingering(now: number): void {
    for (const [key, until] of this.lingering) {
      if (now <= until) continue;
      this.lingering.delete(key);
      if (!this.local.holds(key)) this.localRoute(key, false);
    }
  }
}
