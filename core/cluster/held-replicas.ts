// What a lost owner's backup may lack. The backup (membership.ts backupOf: by name order) restores the owner's
// sessions from its own replicas, but a backup that was cut off from the owner never got the replicas of the
// sessions that came to the owner meanwhile, nor their wills (explored-backup-missed-replica-will). So every
// other node that fails the owner over hands the backup what it holds of it (F.Held), once per owner and loss;
// the backup takes a replica only of a claim newer than anything it holds or knows of that client (a session
// here, a replica, one ended or claimed since), with its will, and only once the owner's life is over in its own
// view too (a peer that still hears the owner gets the truth from it). It restores what it took as a failover
// does. Only the backup restores, as before: one node per session; a second takeover in a cut merges by claims.

import { RecentSet } from '../recent-set.ts';
import type { LocalNode } from './local-node.ts';
import { F, encodeJson, fromWire, type HeldBody, type HeldReplica } from './peer-protocol.ts';
import { replicaHandoff, type Replica } from './replica.ts';
import { replicaDisk } from './replica-disk.ts';
import type { WillReplicator } from './will-replication.ts';

/** Sessions per F.Held frame. */
const HELD_PER_FRAME = 256;

/** The members as seen here: the incarnation of a peer we are (or were last) linked to. */
export interface Lives {
  get(node: string): { peerInc: string; downSince: number } | undefined;
}

export interface HeldLinks {
  readonly node: string;
  readonly membership?: Lives;
  backupOf(owner: string): string;
  isRunning(node: string): boolean;
  /** Whether the client connected again (anywhere) after `at`. */
  claimedSince(clientId: string, at: number): boolean;
  sendReliableTo(node: string, frame: Buffer): void;
}

/** Restores `replicas` of `owner` here as its backup, and arms `wills` (SessionReplicator.ownerDown with those). */
export type Restore = (owner: string, pastLife: boolean, replicas: Replica[], wills: Set<string>) => void;

export class HeldReplicas {
  /** Owner -> the backup we handed what we held of it to, and which loss (its life and when it went down). */
  private handed = new Map<string, string>();
  /** Claims whose session ended (REnd) or replicas we took: `clientId at`; an older copy is not taken after. */
  private gone = new RecentSet<string>(8192);
  /** Replicas taken from a holder: one may replace an older offline session here when restored. */
  private taken = new WeakSet<Replica>();

  constructor(
    private readonly c: HeldLinks,
    private readonly b: LocalNode,
    private readonly replicas: Map<string, Replica>,
    private readonly wills: WillReplicator,
    private readonly restore: Restore,
  ) {}

  private lifeOf(node: string): string | undefined {
    return this.c.membership?.get(node)?.peerInc;
  }

  /**
   * We fail `owner` over (`pastLife`: its last life, it restarted since): if we are not its backup, the backup
   * gets what we hold of it, once per loss of `owner` (true); false if we are.
   */
  notBackup(owner: string, pastLife: boolean): boolean {
    const backup = this.c.backupOf(owner);
    if (backup === this.c.node) return false;
    const m = this.c.membership?.get(owner);
    // Once per backup and loss (each failover runs this again for the owners lost before).
    const loss = `${backup} ${m?.peerInc} ${m?.downSince}`;
    if (!m || backup === owner || this.handed.get(owner) === loss || !this.c.isRunning(backup)) return true;
    const now = this.b.env.clock.now();
    const replicas: HeldReplica[] = [];
    for (const r of this.replicas.values()) {
      if (r.owner !== owner || (pastLife && !r.old)) continue;
      const h: HeldReplica = { ...replicaHandoff(r, now), at: r.at };
      if (r.in2.length) h.in2 = r.in2;
      if (r.lastSent !== undefined) h.lastSent = r.lastSent;
      replicas.push(h);
    }
    // Of a past life, only the wills of its sessions: the others may be of its new life's clients.
    const ids = new Set(replicas.map((h) => h.clientId));
    const wills = this.wills.heldOf(owner).filter((w) => !pastLife || ids.has(w.clientId));
    if (!replicas.length && !wills.length) return true;
    this.handed.set(owner, loss);
    // A node still running in our view was seen restarted: that life is over for sure.
    const life: Partial<HeldBody> = this.c.isRunning(owner) ? { ended: true } : { inc: m.peerInc };
    // In frames of HELD_PER_FRAME sessions (bounded frames), each with its sessions' wills; the others last.
    for (let i = 0; i === 0 || i < replicas.length; i += HELD_PER_FRAME) {
      const part = replicas.slice(i, i + HELD_PER_FRAME);
      const last = i + HELD_PER_FRAME >= replicas.length;
      const mine = new Set(part.map((h) => h.clientId));
      const ws = wills.filter((w) => mine.has(w.clientId) || (last && !ids.has(w.clientId)));
      const body: HeldBody = { owner, ...life, replicas: part, wills: ws };
      this.c.sendReliableTo(backup, encodeJson(F.Held, body));
    }
    return true;
  }

  /** The session of `clientId` ended on `from` (before the replica goes): an older copy of it is taken no more. */
  ended(from: string, clientId: string): void {
    const r = this.replicas.get(clientId);
    if (r?.owner === from) this.gone.add(`${clientId} ${r.at}`);
  }

  /** F.Held: what a peer held of a lost owner whose backup it takes us for. */
  onHeld(h: HeldBody): void {
    const owner = h.owner;
    const running = this.c.isRunning(owner);
    // Taken only by the backup in our view too, once that life is over in it: we hold the owner unreachable, or
    // link to another life of it, or the sender saw it restart; a node that still hears the owner gets it from it.
    if (this.c.backupOf(owner) !== this.c.node) return;
    if (!h.ended && running && this.lifeOf(owner) === h.inc) return;
    const now = this.b.env.clock.now();
    const took: Replica[] = [];
    const ids = new Set<string>();
    for (const x of h.replicas) {
      const s = this.b.sessions.get(x.clientId);
      const r = this.replicas.get(x.clientId);
      if ((s && (s.conn || s.connectedAt >= x.at)) || (r && r.at >= x.at)) continue;
      // Nor a session that ended, or moved on to a newer claim (handed from here, or resumed elsewhere).
      if (this.gone.has(`${x.clientId} ${x.at}`) || this.c.claimedSince(x.clientId, x.at)) continue;
      const msgs: Replica['msgs'] = new Map();
      for (const w of x.msgs)
        if (w.mid !== undefined)
          msgs.set(w.mid, { msg: fromWire(w, now), qos: w.dq ?? w.qos, sentAs: w.sentAs });
      const done = new RecentSet<string>(8192);
      for (const mid of x.seen ?? []) if (!msgs.has(mid)) done.add(mid);
      const nr: Replica = {
        clientId: x.clientId,
        owner,
        at: x.at,
        expiry: x.expiry,
        subs: x.subs,
        msgs,
        done,
        in2: x.in2 ?? [],
        rel: new Set(x.rel ?? []),
        lastSent: x.lastSent,
        user: x.user,
        old: running || undefined,
      };
      this.replicas.set(x.clientId, nr);
      replicaDisk(this.replicas)?.touched(x.clientId);
      this.taken.add(nr);
      this.gone.add(`${x.clientId} ${x.at}`);
      took.push(nr);
      ids.add(x.clientId);
    }
    // Their wills, and those of the owner's clients without a session (Session Expiry 0) we never held.
    const wills = new Set<string>();
    const pushed = new Set(h.replicas.map((x) => x.clientId));
    const sessionless = (id: string) => !pushed.has(id) && !this.b.sessions.has(id) && !this.replicas.has(id);
    for (const w of h.wills)
      if ((ids.has(w.clientId) || sessionless(w.clientId)) && this.wills.adopt(owner, w))
        wills.add(w.clientId);
    if (took.length || wills.size) this.restore(owner, running, took, wills);
  }

  /**
   * Before a replica is restored: whether the place is free. An offline session here of an older claim gives way
   * to a replica taken from a holder (the newer claim, as the registry ranks them): its queue goes into it.
   */
  room(r: Replica): boolean {
    const s = this.b.sessions.get(r.clientId);
    if (!s) return true;
    if (!this.taken.has(r) || s.conn || s.connectedAt >= r.at) return false;
    for (const d of s.pending())
      if (d.msg.mid !== undefined && !r.msgs.has(d.msg.mid) && !r.done.has(d.msg.mid))
        r.msgs.set(d.msg.mid, { msg: d.msg, qos: d.qos });
    this.b.dropSession(s);
    return true;
  }
}
