// What a cluster node reports: events (the simulator's history, the runtime's log) and counters.

export interface ClusterStats {
  forwardedOut: number;
  forwardedIn: number;
  netsplitsDetected: number;
  netsplitsHealed: number;
  autocleaned: number;
  handoffsOut: number;
  handoffsIn: number;
  authFailures: number;
  badFrames: number;
  /** Ack mode 'quorum': publishes whose acknowledgement was held for lack of a reachable majority. */
  quorumHeld: number;
}

/** All counters at zero. */
export function newClusterStats(): ClusterStats {
  return {
    forwardedOut: 0,
    forwardedIn: 0,
    netsplitsDetected: 0,
    netsplitsHealed: 0,
    autocleaned: 0,
    handoffsOut: 0,
    handoffsIn: 0,
    authFailures: 0,
    badFrames: 0,
    quorumHeld: 0,
  };
}

/** Every event a cluster node emits. Field order is part of the simulator's history: keep it. */
export type ClusterEvent =
  | { type: 'peer.up'; peer: string; healed: 0 | 1 }
  | { type: 'peer.down'; peer: string }
  | { type: 'peer.restarted'; peer: string }
  | { type: 'autoclean'; peer: string; routes: number }
  | { type: 'member.left'; peer: string }
  | { type: 'forced-out'; by: string }
  | { type: 'join.wiped' }
  | { type: 'left' }
  | { type: 'stale.released'; peer: string; messages: number }
  | { type: 'parked.released'; messages: number }
  | { type: 'handoff.out'; clientId: string; to: string; msgs: number }
  | { type: 'handoff.in'; clientId: string; from: string; msgs: number }
  | { type: 'handoff.follow'; clientId: string; to: string; msgs: number }
  | { type: 'replica.handed'; clientId: string; to: string; msgs: number }
  | { type: 'will'; clientId: string; from: string }
  | { type: 'failover'; from: string; sessions: number }
  | { type: 'evacuation'; phase: string; connections: number; sessions: number }
  | { type: 'rebalance'; phase: string; donors: string }
  | { type: 'link.up'; link: string; peer: string }
  | { type: 'link.down'; link: string; why: string };

export type ClusterEventType = ClusterEvent['type'];

/** An event's fields without its type, as observers receive them. */
export type ClusterEventDetail = Record<string, string | number>;

/** Splits an event into its type and its fields, in their order. */
export function eventDetail(e: ClusterEvent): { type: ClusterEventType; detail: ClusterEventDetail } {
  const { type, ...rest } = e;
  return { type, detail: rest as ClusterEventDetail };
}
