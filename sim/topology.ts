// Who can reach whom: the partitions (packets dropped) and clogs (packets
// held) between hosts, as directed pairs "a>b". The socket model
// (sim/network.ts) asks pathState() for every segment; the world's faults
// change it. Pure state, no time: applying a change to the sockets (held
// data flowing again, balancers re-checking) is the network's part.

export type PathState = 'open' | 'blocked' | 'clogged';

export class Topology {
  /** Directed pairs "a>b" whose packets are dropped (partition) or held (clog). */
  private blocked = new Set<string>();
  private clogged = new Set<string>();

  /** Blocks a→b (and b→a unless oneWay) for every host in the groups. */
  partition(groupA: string[], groupB: string[], oneWay = false): void {
    cut(this.blocked, groupA, groupB, oneWay);
  }

  /** Holds a→b (and b→a unless oneWay) for every host in the groups. */
  clog(groupA: string[], groupB: string[], oneWay = false): void {
    cut(this.clogged, groupA, groupB, oneWay);
  }

  /** Removes every partition and clog. */
  heal(): void {
    this.blocked.clear();
    this.clogged.clear();
  }

  unclog(): void {
    this.clogged.clear();
  }

  /** Removes the partitions and clogs between the two groups, both directions. */
  repair(groupA: string[], groupB: string[]): void {
    for (const a of groupA)
      for (const b of groupB) {
        for (const k of [`${a}>${b}`, `${b}>${a}`]) {
          this.blocked.delete(k);
          this.clogged.delete(k);
        }
      }
  }

  /** The blocked directed pairs, sorted. */
  get partitions(): string[] {
    return [...this.blocked].sort();
  }

  /** 'open', 'blocked' (dropped until healed, TCP retransmits) or 'clogged' (held, delivered later). */
  pathState(from: string, to: string, via?: string): PathState {
    if (this.blocked.size === 0 && this.clogged.size === 0) return 'open';
    const hops = via ? [`${from}>${via}`, `${via}>${to}`] : [`${from}>${to}`];
    let state: PathState = 'open';
    for (const h of hops) {
      if (this.blocked.has(h)) return 'blocked';
      if (this.clogged.has(h)) state = 'clogged';
    }
    return state;
  }
}

function cut(pairs: Set<string>, groupA: string[], groupB: string[], oneWay: boolean): void {
  for (const a of groupA)
    for (const b of groupB) {
      if (a === b) continue;
      pairs.add(`${a}>${b}`);
      if (!oneWay) pairs.add(`${b}>${a}`);
    }
}
