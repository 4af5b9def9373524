// Membership changes by command or by a peer's word: `cluster join` (manual discovery), `cluster
// leave`, `cluster force-leave NODE`, and the Members and Leave frames that spread them.

import type { ClusterEvent } from './events.ts';
import type { Member } from './member.ts';
import type { Membership } from './membership.ts';
import { F, encodeJson, type LeaveBody, type MemberInfo } from './peer-protocol.ts';

export interface MembershipChangeLinks {
  readonly membership: Membership;
  /** Best effort to every member. */
  broadcast(frame: Buffer): void;
  /** Starts a link to `m` if none is up or being dialled. */
  dial(m: Member): void;
  /** Forgets everything held of a removed node: unconfirmed frames, held messages, routes, claims. */
  removed(m: Member): void;
  /** Forgets a node's routes (leaving: every member's). */
  purgeRoutes(node: string): void;
  /** Discards the cluster data held here (other nodes' routes, replicas, retained messages) to take the cluster's. */
  wipe(): void;
  emit(e: ClusterEvent): void;
}

export class MembershipChanges {
  constructor(private readonly c: MembershipChangeLinks) {}

  /** `cluster join`: contact a node of an existing cluster (manual discovery). */
  join(node: string, address: string): void {
    const ms = this.c.membership;
    if (ms.selfState === 'left' || ms.everUp.size === 0) {
      // Never part of a cluster since it started (or it left one): discard what this node holds of
      // cluster data and take the cluster's instead. A member that lost its peers for a while (DNS
      // discovery joining a new pod meanwhile) keeps its data.
      this.c.wipe();
      ms.selfState = 'running';
      this.c.emit({ type: 'join.wiped' });
    }
    const m = ms.add(node, address);
    if (m.state === 'left' || m.state === 'stopped') m.state = 'unreachable';
    this.c.dial(m);
  }

  /** `cluster leave`: tell everyone, drop cluster data, stop dialing. */
  leave(): void {
    this.c.broadcast(encodeJson(F.Leave, { node: this.c.membership.node }));
    this.leaveLocal();
  }

  /** `cluster force-leave NODE`: remove a (usually dead) node from the cluster. */
  forceLeave(node: string): boolean {
    const m = this.c.membership.get(node);
    if (!m) return false;
    this.c.broadcast(encodeJson(F.Leave, { node, by: this.c.membership.node }));
    this.forget(node);
    return true;
  }

  /** F.Members from `peer`'s resync: members we did not know (or had removed) are added, those gone forgotten. */
  onMembers(members: MemberInfo[]): void {
    const ms = this.c.membership;
    for (const mi of members) {
      if (mi.node === ms.node) continue;
      if (mi.state === 'left') this.forget(mi.node);
      else if (!ms.members.has(mi.node) || ms.get(mi.node)!.state === 'stopped') ms.add(mi.node, mi.address);
    }
  }

  /** F.Leave: a node left, or was forced out (maybe this one). */
  onLeave(peer: string, body: LeaveBody): void {
    if (body.node === this.c.membership.node) {
      // Forced out by another node: drop cluster data, stop dialing.
      this.c.emit({ type: 'forced-out', by: body.by ?? peer });
      this.leaveLocal();
    } else this.forget(body.node);
  }

  private leaveLocal(): void {
    const ms = this.c.membership;
    ms.selfState = 'left';
    for (const m of ms.members.values()) {
      m.state = 'left';
      m.link?.close();
      this.c.purgeRoutes(m.node);
    }
    ms.members.clear();
    this.c.emit({ type: 'left' });
  }

  private forget(node: string): void {
    const m = this.c.membership.get(node);
    if (!m) return;
    m.state = 'left';
    m.link?.close();
    this.c.removed(m);
    this.c.emit({ type: 'member.left', peer: node });
  }
}
