// The cluster's frame switch: which part handles which peer frame (cluster.ts keeps the link-level ones:
// heartbeats, sequencing, retained writes that answer on the link).

import type { Maintenance } from './maintenance.ts';
import type { MembershipChanges } from './membership-changes.ts';
import { F, type Frame } from './peer-protocol.ts';
import { replicaDisk } from './replica-disk.ts';
import type { Registry } from './registry.ts';
import type { Forwarding } from './forwarding.ts';
import type { Replicants } from './replicant.ts';
import type { RouteReplication } from './route-replication.ts';
import type { SessionReplicator } from './session-replication.ts';

export interface FrameParts {
  readonly routeRep: RouteReplication;
  readonly forwarding: Forwarding;
  readonly registry: Registry;
  readonly changes: MembershipChanges;
  readonly maintenance: Maintenance;
  readonly relay: Replicants;
  readonly replicator: SessionReplicator;
}

/** A frame from `peer` (directly, or passed on by a core: replicant.ts); false for one that has no place here. */
export function handleFrame(p: FrameParts, peer: string, f: Frame): boolean {
  const r = p.replicator;
  const disk = replicaDisk(r.replicas); // replicas on disk: frames that change them in place (replica-disk.ts)
  switch (f.type) {
    case F.Routes:
      if (!p.relay.routes(peer, f.body)) p.routeRep.onRoutes(peer, f.body);
      if (f.body.full && f.body.of === undefined) disk?.healed(peer); // after its claims
      break;
    case F.Forward:
      if (!p.relay.self || !p.relay.duplicate(f.msg)) p.forwarding.onForward(f);
      break;
    case F.Moved:
      p.registry.onMoved(peer, f.body);
      break;
    case F.Refused:
      p.registry.onRefused(peer, f.body.clientId);
      break;
    case F.Members:
      p.changes.onMembers(f.body.members);
      break;
    case F.Leave:
      p.changes.onLeave(peer, f.body);
      break;
    case F.Register:
      p.registry.onRegister(f.body.clientId, f.body.node, f.body.at, f.body.live, f.body.fresh === true);
      p.relay.register(peer, f.body);
      disk?.claimed(f.body.node, f.body.clientId, f.body.at, f.body.fresh === true);
      break;
    case F.Handoff:
      p.registry.onHandoff(peer, f.body);
      break;
    case F.Rebalance:
      p.maintenance.onFrame(peer, f.body);
      break;
    case F.Relay:
      p.relay.onRelay(peer, f);
      break;
    case F.RState:
      disk?.beforeState(peer, f.body.clientId);
      r.onState(peer, f.body);
      r.kept.state(peer, f.body);
      disk?.touched(f.body.clientId);
      break;
    case F.RMsg:
      r.onMsg(peer, f.body);
      r.kept.msg(peer, f.body);
      break;
    case F.RDone:
      r.onDone(peer, f.body);
      r.kept.done(f.body.clientId, f.body.mids);
      break;
    case F.ROut:
      r.onOut(peer, f.body);
      disk?.touched(f.body.clientId, f.body.mid);
      break;
    case F.REnd:
      r.held.ended(peer, f.body.clientId);
      r.onEnd(peer, f.body.clientId);
      r.kept.ended(peer, f.body.clientId);
      break;
    case F.Orphan:
      p.forwarding.onOrphan(peer, f.body);
      r.kept.orphans(peer, f.body.owner, f.body.msgs);
      break;
    case F.Held:
      r.held.onHeld(f.body);
      break;
    case F.OrphanGiven:
      p.forwarding.onOrphanGiven(f.body);
      break;
    case F.RWill:
      r.onWill(peer, f.body);
      break;
    case F.OrphanReq:
      r.onOrphanReq(peer, f.body.clientId, f.body.owner);
      break;
    case F.OrphanReply:
      r.onOrphanReply(peer, f.body);
      break;
    default:
      return false;
  }
  return true;
}
