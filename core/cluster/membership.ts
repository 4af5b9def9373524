// Who is in the cluster and in what state, as this node sees it: the members, which of them ever
// came up, this node's own state, and the deterministic choice of a failed node's backup.

import type { NodeState } from './config.ts';
import { newMember, type Member } from './member.ts';
import type { MemberInfo } from './peer-protocol.ts';

export interface MemberStatus {
  node: string;
  state: NodeState;
  address: string;
  role?: 'replicant';
}

export class Membership {
  readonly members = new Map<string, Member>();
  /** Peers whose link came up at least once since this node started. */
  readonly everUp = new Set<string>();
  /** This node's own membership: 'left' after leave or being forced out, 'stopped' after stop(). */
  selfState: NodeState = 'running';
  /** Peers that are replicants (their Hello said so): no part of netsplit, backups or the members told. */
  readonly replicants = new Set<string>();
  /** This node is a replicant: it backs up no one. */
  selfReplicant = false;

  constructor(
    readonly node: string,
    readonly address: string,
    private readonly now: () => number,
  ) {}

  /** The member `node`, added (unreachable until its link comes up) if it is new. */
  add(node: string, address: string): Member {
    let m = this.members.get(node);
    if (!m) {
      m = newMember(node, address, this.now());
      this.members.set(node, m);
    } else if (address) m.address = address;
    return m;
  }

  get(node: string): Member | undefined {
    return this.members.get(node);
  }

  isRunning(node: string): boolean {
    return this.members.get(node)?.state === 'running';
  }

  runningPeers(): string[] {
    return [...this.members.values()].filter((m) => m.state === 'running').map((m) => m.node);
  }

  /**
   * Some peer cannot be reached now, or was taken for lost, came back or fell silent (a cut shorter than the
   * failure detector's timeout) within the last `ms`.
   */
  cutWithin(ms: number): boolean {
    const since = this.now() - ms;
    if (this.cutAt > since) return true; // a cut that just ended: what it held back is still on its way
    for (const m of this.members.values()) if (m.state === 'unreachable' || m.downSince > since) return true;
    return false;
  }

  /** A cut was seen now: a peer that was unreachable is back (Autoheal), or one is silent past two heartbeats. */
  cutSeen(): void {
    this.cutAt = this.now();
  }
  private cutAt = -Infinity;

  /** Some member of the cluster cannot be reached right now. */
  get netsplit(): boolean {
    for (const m of this.members.values())
      if (m.state === 'unreachable' && !this.replicants.has(m.node)) return true;
    return false;
  }

  /**
   * The node that takes over `owner`'s sessions: the first running node after it in name order that
   * can hold their replicas. A peer whose current life began after we last heard the owner restarted
   * empty since (our view): it cannot, so it is passed over (two takeovers merge; none would lose).
   */
  backupOf(owner: string): string {
    const o = this.members.get(owner);
    const peers = this.runningPeers().filter(
      (n) => !this.replicants.has(n) && (!o || this.members.get(n)!.upSince <= o.lastHeard),
    );
    const up = (this.selfReplicant ? peers : [this.node, ...peers]).filter((n) => n !== owner).sort();
    // A replicant is no candidate itself: with every core passed over, any running core (it merges).
    if (this.selfReplicant && !up.length)
      up.push(
        ...this.runningPeers()
          .filter((n) => n !== owner)
          .sort(),
      );
    return up.find((n) => n > owner) ?? up[0];
  }

  /** The membership as sent to a peer at link-up: this node, and the members not removed. */
  info(): MemberInfo[] {
    const out: MemberInfo[] = [{ node: this.node, address: this.address, state: 'running' }];
    for (const m of this.members.values()) {
      if (this.replicants.has(m.node)) continue;
      if (m.state === 'left') out.push({ node: m.node, address: m.address, state: 'left' });
      else if (m.state !== 'stopped') out.push({ node: m.node, address: m.address, state: 'running' });
    }
    return out;
  }

  /** Each node's state as seen here; replicants (this one included) are marked so (cores are not: output unchanged). */
  status(): MemberStatus[] {
    const role = (n: string, r: boolean): { role?: 'replicant' } =>
      r || this.replicants.has(n) ? { role: 'replicant' } : {};
    const out: MemberStatus[] = [
      {
        node: this.node,
        state: this.selfState,
        address: this.address,
        ...role(this.node, this.selfReplicant),
      },
    ];
    for (const m of this.members.values())
      out.push({ node: m.node, state: m.state, address: m.address, ...role(m.node, false) });
    return out.sort((a, b) => (a.node < b.node ? -1 : 1));
  }
}
