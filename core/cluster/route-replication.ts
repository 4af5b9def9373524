// The cluster route table (EMQX's emqx_router): route key → nodes with a subscription to it. Each
// node is the single writer of its own routes: it announces every change, and its full table at
// every link-up; a node relays the tables it holds of others, used only for nodes it has not heard
// from itself since it started.
//
// Subscription epochs: each new local subscription takes the next epoch, and the routes this node
// announces carry the newest one (alone, if the route key was held already). A peer stamps each
// forward with the newest epoch of ours it has heard of, so a message that was on its way (or kept
// for us while we were cut off) before a subscription took effect there does not reach it: it was
// published before that subscription, and delivering it late breaks the order of what came after.

import type { Clock, Timer } from '../env.ts';
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
  /** The newest subscription epoch here, and the newest one announced. */
  private epoch = 0;
  private announced = 0;
  private announce: Timer | null = null;

  constructor(
    private readonly membership: Membership,
    private readonly local: LocalRoutes,
    private readonly clock: Clock,
    /** Best effort to every member: each link-up resends the full table anyway. */
    private readonly broadcast: (frame: Buffer) => void,
    /** A peer's own full table is in. */
    private readonly fullTable: (peer: string) => void,
  ) {
    local.onRouteChange = (key, added) => this.localRoute(key, added);
    local.onSubscribed = () => this.nextEpoch();
    for (const k of local.routeKeys()) this.table.add(membership.node, k);
  }

  /** A route key of this node came (first subscription) or went (last one). */
  localRoute(key: string, added: boolean): void {
    if (added) this.lingering.delete(key);
    else if (this.lingering.has(key)) return; // a moved session's route: withdrawn when the linger ends
    const node = this.membership.node;
    if (added) this.table.add(node, key);
    else this.table.remove(node, key);
    this.announced = this.epoch;
    this.broadcast(
      encodeJson(F.Routes, { full: false, add: added ? [key] : [], del: added ? [] : [key], e: this.epoch }),
    );
  }

  /** A new subscription here: its epoch. Announced with its route, or alone once this turn is over. */
  private nextEpoch(): number {
    this.announce ??= this.clock.setTimer(0, () => {
      this.announce = null;
      if (this.announced === this.epoch) return;
      this.announced = this.epoch;
      this.broadcast(encodeJson(F.Routes, { full: false, add: [], del: [], e: this.epoch }));
    });
    return ++this.epoch;
  }

  /** The epoch `peer` last told us of (its routes), or of the node whose table it relayed. */
  private heard(node: string, e: number | undefined): void {
    const m = this.membership.get(node);
    if (m && e !== undefined && (m.epoch === undefined || e > m.epoch)) m.epoch = e;
  }

  /** F.Routes from `peer`: a change, its full table, or (`of`) a table it holds of another node. */
  onRoutes(peer: string, body: RoutesBody): void {
    if (body.of !== undefined) {
      // Second-hand: only for a node we have not heard from ourselves since we started.
      if (
        body.of !== this.membership.node &&
        this.membership.members.has(body.of) &&
        !this.from.has(body.of)
      ) {
        this.table.replace(body.of, body.add);
        this.heard(body.of, body.e);
      }
    } else if (body.full) {
      this.table.replace(peer, body.add);
      this.heard(peer, body.e);
      this.from.add(peer);
      this.fullTable(peer);
    } else {
      for (const k of body.add) this.table.add(peer, k);
      for (const k of body.del) this.table.remove(peer, k);
      this.heard(peer, body.e);
    }
  }

  /** For a peer whose link came up: the tables we hold of the other running nodes first, then ours. */
  resync(peer: string): Buffer[] {
    const out: Buffer[] = [];
    for (const o of this.membership.members.values()) {
      if (o.node !== peer && o.state === 'running')
        out.push(
          encodeJson(F.Routes, {
            full: true,
            add: [...this.table.keysOf(o.node)],
            del: [],
            of: o.node,
            ...(o.epoch === undefined ? {} : { e: o.epoch }),
          }),
        );
    }
    const self = this.membership.node;
    out.push(encodeJson(F.Routes, { full: true, add: [...this.table.keysOf(self)], del: [], e: this.epoch }));
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
