// Schedules found by `sim explore`'s swarm testing (generated workloads and
// faults), shrunk and kept in scenarios/regressions/. Each asserts the right
// behaviour: no violation, and the cluster converges. A bug still open is
// an `it.fails` naming the fix it waits for.
import { describe, it, expect } from 'vitest';
import { runScenario, type Scenario } from '../../sim/scenario.ts';
import { checkOrder } from '../../sim/checkers/order.ts';
import type { Ev, Tally } from '../../sim/checkers/common.ts';

async function load(file: string): Promise<Scenario> {
  return (await import(`../../scenarios/regressions/${file}`)).default as Scenario;
}

async function verdict(file: string, seed = 1): Promise<string[]> {
  const r = await runScenario(await load(file), seed);
  return r.violations.map((v) => `${v.property}: ${v.detail}`);
}

/** How many first deliveries of the scenario's seed 1 the order checker excused as `category`. */
async function excused(file: string, category = 'copy-late-order'): Promise<number> {
  const r = await runScenario(await load(file), 1, { keepLines: true });
  const events = (r.lines ?? []).map((l) => JSON.parse(l) as Ev).filter((e) => typeof e.type === 'string');
  const tally: Tally = {};
  checkOrder(events, { tally });
  return tally[category] ?? 0;
}

describe('regressions found by sim explore (swarm)', () => {
  // Issue 13 bug 7 (fresh-id race): fixed by claims stamped after any known claim.
  it('explored-collision-skew: one fresh client id on two nodes 1 ms apart, one clock 1 ms ahead, ends with one live connection', async () => {
    expect(await verdict('explored-collision-skew.ts')).toEqual([]);
  });

  // The handoff-race family of bug 2 on the shared-subscription path: fixed by late handoffs following the session.
  it("explored-shared-handback: a share group message published on the member's node while its session is handed back after a heal reaches the member", async () => {
    expect(await verdict('explored-shared-handback.ts')).toEqual([]);
  });

  // Share-group forwards the crashed node never confirmed were orphaned for plain subscriptions only:
  // now they go to one member of the group among its failed-over sessions (Unacked.groups).
  // The fix above also gave share-group forwards a *running* owner had not confirmed yet to a session
  // moving away from it (orphan fetch on resume): the owner had given them to another member, so the
  // message reached two members (shared-sub-failover seed 1: m-n2 moves back to n2 while m-n3 on n3
  // got pub-n1:132). Only a failed owner's share-group forwards are orphans.
  it.each([1, 2, 3, 4, 5])(
    'shared-sub-failover seed %i: one member per message when a member moves off a running node',
    async (seed) => {
      const s = (await import('../../scenarios/shared-sub-failover.ts')).default as Scenario;
      const r = await runScenario(s, seed);
      expect(r.violations.map((v) => `${v.property}: ${v.detail}`)).toEqual([]);
    },
  );

  it("explored-shared-power-crash: the only share-group member's node loses power and restarts after 1 s; acknowledged messages reach the member", async () => {
    expect(await verdict('explored-shared-power-crash.ts')).toEqual([]);
  });

  // Not a broker bug: both sides of a clog accept a connect (availability during a split). The takeover
  // must follow within 1 s of the clog's end, and order holds per connection (split-connect trade-off).
  it('explored-collision-clog: one fresh client id connected through the balancer on both sides of a 1.5 s clog is down to one connection right after it', async () => {
    expect(await verdict('explored-collision-clog.ts')).toEqual([]);
  });

  // A delay-0 will is due when the connection dies with its node: a reconnect elsewhere before the
  // survivor notices the failure does not cancel it (it did; found by npm run test:faults).
  it('explored-will-no-delay-crash: a client with a delay-0 will dies with its node and resumes elsewhere at once; the will is published', async () => {
    expect(await verdict('explored-will-no-delay-crash.ts')).toEqual([]);
  });

  // Order after a session move: the queue a session resumed from its replica kept what the client had just
  // acknowledged on its old node (the replica's acknowledgements are batched); the handoff's `seen` drops them.
  it("explored-takeover-acked: an id connects to its session's node, then 3 ms later to the other one; what it acknowledged on the first does not come again as new", async () => {
    expect(await verdict('explored-takeover-acked.ts')).toEqual([]);
  });

  // A node resumed from a pause fails its peer over though it is alive: the share-group forwards it gives a
  // failed-over member are no longer sent to the peer again for that group (one member per message).
  it('explored-shared-pause-failover: a node paused 10 s with a QoS 2 share-group publish fails its live peer over on resume; one member gets it', async () => {
    expect(await verdict('explored-shared-pause-failover.ts')).toEqual([]);
  });

  // Not a broker bug: cluster nodes keep no disk, so a whole-cluster outage loses the sessions and the wills
  // not yet published (docs/guarantees.md); the swarm judges such a will as it judges the lost sessions.
  it('explored-cluster-wipe-will: both nodes crash at once with a will client connected; its lost will is not judged, everything else is', async () => {
    expect(await verdict('explored-cluster-wipe-will.ts')).toEqual([]);
  });

  // Not a broker bug: a connection to a node that lost power is served by no one (single-connection ends it there).
  it('explored-power-crash-collision: an id reconnects on the other node while its old node is powered off; one connection is served, the other is half-open', async () => {
    expect(await verdict('explored-power-crash-collision.ts')).toEqual([]);
  });

  // Issue 13 bug 7 family: the taken-over connection's offline claim overwrote the winner's in the registry.
  it('explored-takeover-claim-order: an id connects on both nodes as a clog ends, one clock 2 ms behind; one connection is left at once', async () => {
    expect(await verdict('explored-takeover-claim-order.ts')).toEqual([]);
  });

  // A will published during a split (split-will) left no copy on the peer for the client's real loss later:
  // the link-up resync now sends the wills of connected clients again.
  it('explored-split-will-rearm: a will published during a clog while its client stayed connected is published again when the client is later lost with its node', async () => {
    expect(await verdict('explored-split-will-rearm.ts')).toEqual([]);
  });

  // The documented availability window (acknowledged while cut off, then the node crashed) for a retained write.
  it('explored-retained-cutoff-crash: a retained write acknowledged by a node cut off from its peer, then crashed, is counted as split loss, not a stale read', async () => {
    const s = (await import('../../scenarios/regressions/explored-retained-cutoff-crash.ts'))
      .default as Scenario;
    const r = await runScenario(s, 1);
    expect(r.violations).toEqual([]);
    expect(r.report['split loss']).toBe(2); // the older value read back on n1 and on n2
  });

  // A re-subscribe of the same filter withdrew its route and announced it again: a peer that published in
  // between dropped the message though the subscription never went away.
  it('explored-resubscribe-route: a subscriber subscribes to its filter again while a peer publishes; the message arrives', async () => {
    const s = (await import('../../scenarios/regressions/explored-resubscribe-route.ts')).default as Scenario;
    expect((await runScenario(s, 54430)).violations).toEqual([]);
  });

  // A replica given a share-group orphan counted as the group's member having it: the forward sent to the
  // owner again (back from a one-way cut) went without the group, and the replica's copy was dropped.
  it('explored-shared-replica-orphan: a node cut off one way gives share-group forwards to its replica of a member that stays connected on the owner; they reach the member', async () => {
    expect(await verdict('explored-shared-replica-orphan.ts')).toEqual([]);
  });

  // A paused node served share-group forwards from its inbox on resume, while its peer had failed it over and
  // given them to a member's failed-over session, handed back right after: one message, two members.
  it('explored-shared-pause-handback: a node paused 6 s with share-group forwards in its inbox serves them on resume; the member handed back does not get them again', async () => {
    expect(await verdict('explored-shared-pause-handback.ts')).toEqual([]);
  });

  // Was the documented restart-under-partition exception (21 messages counted as parked). Since a live session
  // waits for the handoff of a copy a peer claims (Registry.awaitHandoff), the older messages go first: none parked.
  it("explored-restart-clog-order: a node restarts inside a 19.5 s clog from its sessions' backup; the backup's older messages go before the new ones", async () => {
    const s = (await import('../../scenarios/regressions/explored-restart-clog-order.ts'))
      .default as Scenario;
    const r = await runScenario(s, 1);
    expect(r.violations).toEqual([]);
    expect(r.report.parked).toBe(0);
  });

  // Not broker bugs: the split-connect trade-off (docs/guarantees.md). A node that just resumed from a pause has
  // its links dead and its peers down until it dials again; single-connection.ts now takes the nodes' own view.
  it('explored-pause-collision: an id connects to a paused node, accepted on resume while the node has its peers down; the takeover follows the redial', async () => {
    expect(await verdict('explored-pause-collision.ts')).toEqual([]);
  });

  it('explored-clog-pause-collision: an id connects on both sides of a clog that ends while one node is paused; one connection is left once they hear each other', async () => {
    expect(await verdict('explored-clog-pause-collision.ts')).toEqual([]);
  });

  it("explored-split-collision-order: a fresh id connected on both sides of a split; the other copy's queue handed over at the takeover is split-connect-order, not an order violation", async () => {
    expect(await verdict('explored-split-collision-order.ts')).toEqual([]);
  });

  // Not a broker bug: a publisher that starts clean sends an unacknowledged QoS 2 message again after its node
  // crashed, to a server with no state of it (docs/guarantees.md); shared-once counts it as publisher-resend.
  it("explored-shared-publisher-resend: a clean QoS 2 publisher's node crashes before its PUBRECs; its resends reach other members of the group", async () => {
    expect(await verdict('explored-shared-publisher-resend.ts')).toEqual([]);
  });

  // A peer that restarted empty took its routes with it: until the backup's restore reached this node, what its
  // lost sessions were owed was routed to no one and acknowledged. Now it goes to them as orphans.
  it("explored-restart-clog-shared-loss: a share-group member's node restarts empty while the backup's link is clogged; acknowledged messages reach the member", async () => {
    expect(await verdict('explored-restart-clog-shared-loss.ts')).toEqual([]);
  });

  it("explored-restart-clog-loss: a persistent subscriber's node restarts empty while the backup's link is clogged; acknowledged messages reach it", async () => {
    expect(await verdict('explored-restart-clog-loss.ts')).toEqual([]);
  });

  // A backup restored a failed peer's copy of a session (the peer took it over during a one-way cut) though
  // the registry said its connection was live on a node it hears: the offline copy took share-group
  // messages no connection got. Fixed: ownerDown hands such a replica to that node (Registry.liveOn).
  it('explored-oneway-claim-loss: a one-way cut makes two nodes restore a member connected on a third; acknowledged share-group messages reach it', async () => {
    const s = (await import('../../scenarios/regressions/explored-oneway-claim-loss.ts')).default as Scenario;
    expect((await runScenario(s, 701969)).violations).toEqual([]);
  });

  it("explored-oneway-shared-loss: a one-way cut of a share-group member's backup; the backup's backup does not restore the member's copy while it is live elsewhere, and acknowledged messages reach it", async () => {
    expect(await verdict('explored-oneway-shared-loss.ts')).toEqual([]);
  });

  // The share-group orphans a node gave a failed-over session are remembered when their owner comes back, so a
  // member's session that owner hands over later does not bring them to the group again.
  it("explored-shared-orphan-handback: a paused node's share-group forwards, given as orphans to one member, are not delivered again to the member its session is handed from", async () => {
    expect(await verdict('explored-shared-orphan-handback.ts')).toEqual([]);
  });

  // Not a broker bug: the documented availability window (acknowledged while cut off, then the node crashed)
  // also for acknowledgements the node sent just before its crash that reached the publisher after it.
  it('explored-cutoff-crash-late-ack: a node cut off one way acknowledges alone and crashes; its last acknowledgements arrive after the crash and count as split loss', async () => {
    expect(await verdict('explored-cutoff-crash-late-ack.ts')).toEqual([]);
  });

  // Not a broker bug: the split-connect trade-off; a paused node cannot hear the other node's claim.
  it("explored-paused-holder-collision: an id connects again while its connection's node is paused; the paused node takes its connection over as it resumes", async () => {
    expect(await verdict('explored-paused-holder-collision.ts')).toEqual([]);
  });

  // Wills (issue 13, npm run test:faults survey seed 7). Broker bugs:
  // A forward step of a node's clock looked like silent peers: the failure detector now uses the monotonic clock.
  it("explored-skew-step-will: a 4.6 s step of one node's clock takes no peer for dead, so no will is published for a client still connected", async () => {
    expect(await verdict('explored-skew-step-will.ts')).toEqual([]);
  });

  // Peers held wills by client id: the will of the client's new connection replaced the one of the connection
  // that died with its node, due at once (no delay). Now by owner and client id.
  it("explored-delay0-will-moved: a v3.1.1 client whose node loses power resumes elsewhere with a will again before the loss is noticed; the lost connection's will is published", async () => {
    expect(await verdict('explored-delay0-will-moved.ts')).toEqual([]);
  });

  // A failover of a split-brain copy armed the will of a connection live on a node the backup could hear.
  it("explored-split-copy-will: a session copy failed over during a one-way partition is restored again on the client's side without publishing the will of its live connection", async () => {
    expect(await verdict('explored-split-copy-will.ts')).toEqual([]);
  });

  // A failed-over will of a Session Expiry 0 client waited for its delay and was dropped when the client
  // reconnected (a new session): its session had ended with the connection, so it was due at once.
  it('explored-expiry0-will: a Clean Start client with a will delay loses its connection with its node and reconnects elsewhere at once; the will is published', async () => {
    expect(await verdict('explored-expiry0-will.ts')).toEqual([]);
  });

  // A node frozen longer than a client's keep alive blamed the client for its own freeze on resuming.
  it('explored-paused-keepalive: a client that disconnects cleanly while its node is frozen gets no will from that node when it resumes', async () => {
    expect(await verdict('explored-paused-keepalive.ts')).toEqual([]);
  });

  // QoS 2 sent by a session's old node (PUBREC cut off) went out again under new packet ids after it moved.
  it('explored-qos2-oneway-handoff: QoS 2 messages sent before a one-way cut move with their packet ids; the client gets each once', async () => {
    expect(await verdict('explored-qos2-oneway-handoff.ts')).toEqual([]);
  });

  // An owner's sessions stayed replicas when its backup died at the same moment.
  it('explored-backup-lost-too: an owner and its backup crash together; the next node takes the sessions over and nothing acknowledged is lost', async () => {
    expect(await verdict('explored-backup-lost-too.ts')).toEqual([]);
  });

  // A will published during a pause came again from the node that woke up and failed the session over.
  it('explored-pause-handoff-will: a will published by the node of the client while a paused peer failed the session over is not published again when that node hands the session over', async () => {
    expect(await verdict('explored-pause-handoff-will.ts')).toEqual([]);
  });

  // An owner's sessions stayed replicas when its backup came back empty just before the owner's restart was noticed.
  it('explored-backup-restarted-empty: an owner and its backup crash and restart empty together; the node with the replica takes the session over and nothing acknowledged is lost', async () => {
    expect(await verdict('explored-backup-restarted-empty.ts')).toEqual([]);
  });

  // A will the backup published came again from the next backup, which still held the dead owner's copy.
  it('explored-backup-will-moved: an owner dies, its backup publishes the will of a client and dies too; the next node does not publish the will again', async () => {
    expect(await verdict('explored-backup-will-moved.ts')).toEqual([]);
  });

  // A forward queued for a paused node overtook the handoff of the copy a peer had failed over.
  it('explored-pause-forward-before-handoff: a live session on a node that was paused waits for the handoff of the copy a peer failed over before it sends the forwards queued for it: order holds', async () => {
    expect(await verdict('explored-pause-forward-before-handoff.ts')).toEqual([]);
  });

  // Checker corrections (the broker was right):
  it('explored-disconnect-to-crashed: a DISCONNECT sent into a connection whose node lost power is not clean: the will published at failover is due', async () => {
    expect(await verdict('explored-disconnect-to-crashed.ts')).toEqual([]);
  });

  it('explored-wipe-power-will: a will client connected on a node that lost power as the last one of the cluster gets no will (whole-cluster outage), though its client noticed later', async () => {
    expect(await verdict('explored-wipe-power-will.ts')).toEqual([]);
  });

  it('explored-will-attribution: a will published for a connection lost with its node after the client reconnected elsewhere is judged against that connection', async () => {
    expect(await verdict('explored-will-attribution.ts')).toEqual([]);
  });
  it('explored-split-double-will: a node dies while the two others are clogged apart; each publishes its will once (split-will), not a will-once failure', async () => {
    expect(await verdict('explored-split-double-will.ts')).toEqual([]);
  });
  it('explored-kill-after-restart: a will published at failover is on time though the client drops its half-open connection only after the node restarted', async () => {
    expect(await verdict('explored-kill-after-restart.ts')).toEqual([]);
  });
  it('explored-two-wipes-will: a will lost in the first of two whole-cluster outages is excused by that outage, not judged against the last one', async () => {
    expect(await verdict('explored-two-wipes-will.ts')).toEqual([]);
  });
  it('explored-clog-late-subscribe: a subscription made while its node is clogged from the node of the publisher is owed what is published after the unclog (split-subscribe)', async () => {
    expect(await verdict('explored-clog-late-subscribe.ts')).toEqual([]);
  });
  //
  it('explored-clog-moved-forward-order: a forward sent before the subscription was made, passed on by the old node after a takeover during a clog, does not reach it (subscription epochs): order holds', async () => {
    expect(await verdict('explored-clog-moved-forward-order.ts')).toEqual([]);
  });
  it('explored-pause-stale-order: a message kept for a paused node does not reach a subscription made there after it was published (subscription epochs): order holds', async () => {
    expect(await verdict('explored-pause-stale-order.ts')).toEqual([]);
  });
  //
  it('explored-power-will-before-kill: a will published at the failover of a node that lost power counts for the connection it ended, though the client killed it only later', async () => {
    expect(await verdict('explored-power-will-before-kill.ts')).toEqual([]);
  });
  //
  it('explored-lost-alone: a session made on a node a one-way cut kept from linking dies with that node; what it was owed is excused as in a whole-cluster outage (lostAlone)', async () => {
    expect(await verdict('explored-lost-alone.ts')).toEqual([]);
  });
  //
  it('explored-every-copy-lost: the owner and then the replica holder, restarted empty behind a cut, lose every copy of a session: excused as in a whole-cluster outage', async () => {
    expect(await verdict('explored-every-copy-lost.ts')).toEqual([]);
  });
  // Checker correction (swarm will verdict): split-will before the crash
  it('explored-split-will-before-crash: the will a cut-off peer published while the connection was live (split-will) counts for that connection when its node crashes afterwards', async () => {
    expect(await verdict('explored-split-will-before-crash.ts')).toEqual([]);
  });
  // Checker correction (swarm will verdict): split-will held past a clean DISCONNECT
  it('explored-split-will-before-disconnect: a split-will published before a clean DISCONNECT and held by the clog until after it is not a will after a clean DISCONNECT', async () => {
    expect(await verdict('explored-split-will-before-disconnect.ts')).toEqual([]);
  });
  //
  it('explored-shared-moved-member: a share-group forward that reaches a node after the group member moved on follows the member instead of being lost', async () => {
    expect(await verdict('explored-shared-moved-member.ts')).toEqual([]);
  });
  // Checker correction (swarm): ackedAlone
  it('explored-sub-acked-alone: a subscription a node acknowledged alone and lost with it in a crash before any link came back is not owed later messages (ackedAlone)', async () => {
    expect(await verdict('explored-sub-acked-alone.ts')).toEqual([]);
  });
  // Checker correction (swarm): ackedAlone also when the node had not noticed the cut yet (SEED=3404)
  it('explored-cut-sub-acked-alone: a subscription a node acknowledged while cut off from every peer, not noticed yet, and lost with it in a crash before the cut ended is not owed later messages', async () => {
    expect(await verdict('explored-cut-sub-acked-alone.ts')).toEqual([]);
  });
  // Checker correction (swarm will verdict): DISCONNECT into a crashed connection
  it('explored-disconnect-after-power: a DISCONNECT into a connection whose node lost power is no clean end for the swarm will verdict either', async () => {
    expect(await verdict('explored-disconnect-after-power.ts')).toEqual([]);
  });
  //
  it('explored-shared-orphan-resend: a share-group orphan the backup gave a member is not served again by the owner when it is back: the backup tells the sender (OrphanGiven)', async () => {
    expect(await verdict('explored-shared-orphan-resend.ts')).toEqual([]);
  });
  // Checker correction (order): per session
  it('explored-new-session-order: a new session (session present 0) has no order with what the lost session got', async () => {
    expect(await verdict('explored-new-session-order.ts')).toEqual([]);
  });
  //
  it('explored-failover-copy-replica: a failed-over copy of a session whose owner still runs does not replace the owner replicas on other nodes', async () => {
    expect(await verdict('explored-failover-copy-replica.ts')).toEqual([]);
  });
  //
  it('explored-will-backup-chain: a will the backup of a lost node published is not published again by the next backup when the first dies', async () => {
    expect(await verdict('explored-will-backup-chain.ts')).toEqual([]);
  });
  //
  it('explored-resume-before-backup-handback: a failed-over copy behind a clog reaching the session resumed meanwhile is the named copy-late-order case', async () => {
    expect(await verdict('explored-resume-before-backup-handback.ts')).toEqual([]);
    expect(await excused('explored-resume-before-backup-handback.ts')).toBeGreaterThan(0);
  });

  //
  it('explored-paused-failover-copy-order: a failed-over copy made by a node woken from a pause, handed back after newer messages, is the named copy-late-order case', async () => {
    expect(await verdict('explored-paused-failover-copy-order.ts')).toEqual([]);
    expect(await excused('explored-paused-failover-copy-order.ts')).toBeGreaterThan(0);
  });
  // Checker correction (order): DUP first
  it('explored-dup-first-order: a DUP copy that arrives first is the first arrival of the message for the order checker', async () => {
    expect(await verdict('explored-dup-first-order.ts')).toEqual([]);
  });
  //
  it('explored-orphan-before-subscribe: an unconfirmed forward turned orphan does not reach a replica subscription made after it was sent (subscription epochs in replicas and orphans)', async () => {
    expect(await verdict('explored-orphan-before-subscribe.ts')).toEqual([]);
  });
  //
  it('explored-split-subscribe-kept: a message kept during a cut reaches a subscription made during it, although the session already had later messages from that origin on another topic', async () => {
    expect(await verdict('explored-split-subscribe-kept.ts')).toEqual([]);
  });
  //
  it('explored-live-owner-replica: a replica follows the node where its connection is live, not a failed-over copy that reached it first', async () => {
    expect(await verdict('explored-live-owner-replica.ts')).toEqual([]);
  });
  // Checker correction (order): connect race
  it('explored-connect-race-order: two connections of one id that raced set no order for each other while both are open', async () => {
    expect(await verdict('explored-connect-race-order.ts')).toEqual([]);
  });
  // the copy handed to the survivor of a split-connect counts from the takeover (0x8E), not from the loser close
  it('explored-split-handed-before-close: the other copy handed to the survivor of a split-connect may arrive before the loser sees its close', async () => {
    expect(await verdict('explored-split-handed-before-close.ts')).toEqual([]);
  });
  //
  it('explored-handoff-via: a handoff carrying a copy taken in from another node counts as that node handoff too', async () => {
    expect(await verdict('explored-handoff-via.ts')).toEqual([]);
  });
  // Checker correction (order): split-connect merge paths
  it('explored-split-merge-paths: what the merge of split-connect copies brings to the survivor in the settle time after the takeover has no order among it', async () => {
    expect(await verdict('explored-split-merge-paths.ts')).toEqual([]);
  });
  //
  it('explored-two-path-heal-order: forwards of one origin passed on by the node a session left, held by a cut, are the named moved-late-order case', async () => {
    expect(await verdict('explored-two-path-heal-order.ts')).toEqual([]);
    expect(await excused('explored-two-path-heal-order.ts', 'moved-late-order')).toBeGreaterThan(0);
  });
  // Checker correction (order): old session carried over
  it('explored-old-session-carried: the old session messages a paused node passes on to the new session (present 0) have no order against its own', async () => {
    expect(await verdict('explored-old-session-carried.ts')).toEqual([]);
  });
  //
  it('explored-restarted-owner-replica: a replica made by an owner that restarted since does not shut out the failed-over copy of the same claim', async () => {
    expect(await verdict('explored-restarted-owner-replica.ts')).toEqual([]);
  });
  //
  it('explored-paused-copy-two-links: the copy a paused node made of a session, handed back after newer forwards, is the named copy-late-order case', async () => {
    expect(await verdict('explored-paused-copy-two-links.ts')).toEqual([]);
    expect(await excused('explored-paused-copy-two-links.ts')).toBeGreaterThan(0);
  });
  // A retained write read while a node catches up after a freeze is versioned from the moment it froze.
  it('explored-paused-stale-retained: a stale retained publish read by a node woken from a pause does not overwrite the newer value acknowledged elsewhere', async () => {
    expect(await verdict('explored-paused-stale-retained.ts')).toEqual([]);
  });
  //
  it('explored-fresh-claim-will: a pending will is published when its client connects elsewhere and is told session present 0', async () => {
    expect(await verdict('explored-fresh-claim-will.ts')).toEqual([]);
  });
  // Checker correction (wills): will alone
  it('explored-will-alone: a will set on a node that could reach no peer until it crashed is lost with it (not demanded)', async () => {
    expect(await verdict('explored-will-alone.ts')).toEqual([]);
  });
  //
  it('explored-past-life-nowill: the no-will word of a restarted node new life does not discard the will taken over from its old life', async () => {
    expect(await verdict('explored-past-life-nowill.ts')).toEqual([]);
  });
  //
  it('explored-offline-will-resent: a link-up resends the pending will of an offline session, so a peer that restarted empty holds it', async () => {
    expect(await verdict('explored-offline-will-resent.ts')).toEqual([]);
  });
  //
  it('explored-will-origin: a will failed over twice is published as the will of the connection it belongs to', async () => {
    expect(await verdict('explored-will-origin.ts')).toEqual([]);
  });
  //
  it('explored-split-will-early: a will armed by a failover during a cut follows the will timer of the node the connection was lost on', async () => {
    expect(await verdict('explored-split-will-early.ts')).toEqual([]);
  });
  //
  it('explored-fresh-same-claim: the fresh claim of the very connection a failed-over copy came from does not publish its will', async () => {
    expect(await verdict('explored-fresh-same-claim.ts')).toEqual([]);
  });
  // Checker correction (order): before subscribe
  it('explored-subscribe-race-resend: a message published before the matching subscription was acknowledged is not judged for order when a resend brings it', async () => {
    expect(await verdict('explored-subscribe-race-resend.ts')).toEqual([]);
  });
  // A will clear says whether the will was published or discarded (`gone`) or moved with its session.
  it('explored-expired-in-pause-will: a will published by a node waking from a pause is not published again by the peer that failed its session over', async () => {
    expect(await verdict('explored-expired-in-pause-will.ts')).toEqual([]);
  });
  // A will failed over from a node heard again is that node's to publish, also on a fresh claim of its id.
  it('explored-paused-fresh-claim-will: a will published by its node is not published again by a node woken from a pause on the fresh claim of the id', async () => {
    expect(await verdict('explored-paused-fresh-claim-will.ts')).toEqual([]);
  });
  // Checker correction (order): a SUBSCRIBE never acknowledged owes nothing (before-subscribe)
  it('explored-unacked-subscribe-order: what a SUBSCRIBE never acknowledged brings (read by a paused node on waking) sets no order', async () => {
    expect(await verdict('explored-unacked-subscribe-order.ts')).toEqual([]);
  });
  // Found on this branch (SEED=2202): a handoff carried the time left on a will (willIn) but not the will itself.
  it('explored-pause-backup-crash-will: a will taken over by a backup that crashed, then handed over by its woken node, is published', async () => {
    expect(await verdict('explored-pause-backup-crash-will.ts')).toEqual([]);
  });
  // Found on this branch (SEED=2202 after 194 schedules); the two-path order class, still open.
  it('explored-paused-clog-two-paths: forwards held on a clogged link after a newer one passed on by a woken node are the named moved-late-order case', async () => {
    expect(await verdict('explored-paused-clog-two-paths.ts')).toEqual([]);
    expect(await excused('explored-paused-clog-two-paths.ts', 'moved-late-order')).toBeGreaterThan(0);
  });
  // Found on this branch (SEED=1707 after 167 schedules), not analysed yet (see its header).
  it('explored-two-crashes-session-lost: a late subscription lost with every copy of its session is owed nothing after', async () => {
    expect(await verdict('explored-two-crashes-session-lost.ts')).toEqual([]);
  });
  // Checker correction (qos2): publisher new session
  it('explored-qos2-publisher-new-session: a QoS 2 message a Clean Start publisher sends again after its node crashed is counted as qos2-publisher-new-session', async () => {
    expect(await verdict('explored-qos2-publisher-new-session.ts')).toEqual([]);
  });

  // Checker correction (wills): split-will same instant
  it('explored-split-will-same-instant: a split-will published in the same instant the connection ends is not the will of that loss', async () => {
    expect(await verdict('explored-split-will-same-instant.ts')).toEqual([]);
  });
  // Checker correction (order): old connection late
  it('explored-old-connection-late: what the older connection of an id gets late, sent before a newer one took it over, sets no order against it', async () => {
    expect(await verdict('explored-old-connection-late.ts')).toEqual([]);
  });
  // Checker correction (swarm): late subscription, node crashed in the cut
  it('explored-clog-sub-node-crash: a subscription made during a clog whose node crashed before it ended is owed from the backup failover', async () => {
    expect(await verdict('explored-clog-sub-node-crash.ts')).toEqual([]);
  });
  // Broker fix (forwarding): parked share group
  it('explored-parked-share-late-member: a parked publish serves each share group once at its release, by a peer member if none served it at publish', async () => {
    expect(await verdict('explored-parked-share-late-member.ts')).toEqual([]);
  });
  // Acknowledged loss: the copy's messages were held by its node alone. Fixed: a peer keeps what a copy it does
  // not follow replicates and hands it to the session if the copy's node is lost first (copy-keeper.ts).
  it('explored-copy-holder-crash: a failed-over copy made during a clog survives its node crashing before the hand-back', async () => {
    expect(await verdict('explored-copy-holder-crash.ts')).toEqual([]);
  });
  // Its mirror: the node that took the owner for lost is not its backup, so the forwards go to the backup as
  // orphans, into its replica of the live owner's session; the backup hands them to the owner (copy-keeper.ts).
  it('explored-orphan-holder-crash: orphans sent to the backup of an owner it still reaches reach the owner when their sender crashes before the heal', async () => {
    expect(await verdict('explored-orphan-holder-crash.ts')).toEqual([]);
  });
  // Order: a copy failed over from a node lost at the heal arrives after newer messages (header: the options).
  it('explored-heal-crash-copy-order: the copy of a node crashed at the heal, reaching the live session after newer messages, is the named copy-late-order case', async () => {
    expect(await verdict('explored-heal-crash-copy-order.ts')).toEqual([]);
    expect(await excused('explored-heal-crash-copy-order.ts')).toBeGreaterThan(0);
  });
  // Checker correction (swarm): copies lost after the owner
  it('explored-copies-lost-after-owner: every copy of a session lost one after the other, the owner first, owes nothing from before', async () => {
    expect(await verdict('explored-copies-lost-after-owner.ts')).toEqual([]);
  });
  // Broker fix (registry) and checker correction (qos2): fresh session carried
  it('explored-fresh-session-carried-dup: messages of an old session handed to a session the client started afresh go with DUP 0', async () => {
    expect(await verdict('explored-fresh-session-carried-dup.ts')).toEqual([]);
  });
  // Order: copies from a pause and a power loss at once, merged out of sequence (header of the scenario).
  it('explored-paused-two-failovers-order: the copies a woken node and its peer made of each other merge in publish order', async () => {
    expect(await verdict('explored-paused-two-failovers-order.ts')).toEqual([]);
  });
  // Broker fix (copy-keeper): found by test:faults SEED=3303. A copy kept beside the replica of an owner that restarted
  // empty since went to that owner, which dropped it (no-session); now the replica follows the copy's lost holder.
  it("explored-restarted-owner-copy-lost: a failed-over copy kept beside the replica of an owner that restarted empty survives its holder's power loss", async () => {
    expect(await verdict('explored-restarted-owner-copy-lost.ts')).toEqual([]);
  });
  // Broker fix (autoheal): found by test:faults SEED=3303 once the copy-keeper fix was in. A backup seen restarted
  // before anyone noticed its owner's loss was still chosen as that owner's backup by the peer failing it over.
  it("explored-restart-hides-backup: an owner's sessions fail over at the next backup when its backup restarted empty before the owner's loss was noticed", async () => {
    expect(await verdict('explored-restart-hides-backup.ts')).toEqual([]);
  });
  // Broker fix (autoheal): found by test:faults SEED=3303 after the two fixes above. The peer kept its dead link to a
  // restarted node's old life (both dialed by that node) and closed the new one.
  it("explored-restart-link-tie: a restarted node's new link replaces the dead one to its old life, so the node gets its peer's sessions", async () => {
    expect(await verdict('explored-restart-link-tie.ts')).toEqual([]);
  });
  // Will lost, SEED=3404: the backup by name order was cut off from the owner and lacked the replica the only other
  // holder kept. Fixed (held-replicas.ts): a holder that fails the owner over hands the backup what it holds of it
  // (F.Held); the backup takes a newer claim than it holds, with its will, and restores it.
  it("explored-backup-missed-replica-will: a will is published when the owner's backup by name order never got its replica", async () => {
    expect(await verdict('explored-backup-missed-replica-will.ts')).toEqual([]);
  });
  // Acknowledged loss, SEED=3101 after 58: the share-group forward to a node's failed-over copy, that node lost
  // (restarted) before confirming it, reached no member: no replica here was the lost node's. Fixed: the orphans
  // of a lost copy holder go to the sessions it held copies of (copy-keeper.ts, CopyKeeper.holderOrphans).
  it('explored-share-failover-orphan: a share-group forward to a copy whose node restarts before confirming it reaches the member', async () => {
    expect(await verdict('explored-share-failover-orphan.ts')).toEqual([]);
  });
  // Order, SEED=3101 after 249: a forward to a node for a share group overtook what was kept for that node while
  // its routes were unknown (its other subscribers get both). Fixed: those go first (forwarding.ts sendStale).
  it('explored-stale-share-forward-order: a forward picked for a share group does not overtake the messages kept for its node while its routes were unknown', async () => {
    expect(await verdict('explored-stale-share-forward-order.ts')).toEqual([]);
  });
  // Order, SEED=3101 after 249 (shrunk again): a pass-on by the node a session left, 1.6 ms after a cut ended, was
  // not named (moved.msgs), so the two-path case was judged. Fixed: Membership.cutWithin counts a cut just ended.
  it('explored-heal-moved-unnamed: a forward passed on just after a cut ended is named and is the moved-late-order case', async () => {
    expect(await verdict('explored-heal-moved-unnamed.ts')).toEqual([]);
    expect(await excused('explored-heal-moved-unnamed.ts', 'moved-late-order')).toBeGreaterThan(0);
  });
  // Acknowledged loss, SEED=3101 after 327: a share group served by a node back from a restart, by its past life's
  // route. Fixed: a peer whose table is not in yet serves a group only if no other node does (pickNode).
  it('explored-restart-share-old-route: a share group is not served by a restarted node by its old route while another member runs', async () => {
    const r = await runScenario(await load('explored-restart-share-old-route.ts'), 576061);
    expect(r.violations.map((v) => `${v.property}: ${v.detail}`)).toEqual([]);
  });
  // Order, SEED=3303 after 102: a cut shorter than the failure detector's timeout; a pass-on by the node the
  // session left overtook the direct path and was not named. Now a peer silent past two heartbeats names them.
  it('explored-silent-cut-relay-order: a forward passed on after a short silent cut is the named moved-late-order case', async () => {
    expect(await verdict('explored-silent-cut-relay-order.ts')).toEqual([]);
    expect(await excused('explored-silent-cut-relay-order.ts', 'moved-late-order')).toBeGreaterThan(0);
  });
  // Share once, SEED=3303 after 102 (merged code): what peers kept of a copy its holder had handed back long ago
  // sent that holder's unconfirmed share-group forwards to another member when it was taken for lost. Fixed: F.REnd.
  it('explored-handed-back-holder-orphans: a node that handed its failed-over copies back and is later taken for lost has its share-group forwards served once', async () => {
    expect(await verdict('explored-handed-back-holder-orphans.ts')).toEqual([]);
  });
  // QoS 2 twice (SEED=3505): a node let go the QoS 2 PUBLISHes a peer deaf to it (one-way cut) never confirmed
  // when it lost that peer, which had taken the session over without their packet ids. Fixed: they wait
  // until that peer hears them, restarts or is removed (core/cluster/deaf-peer.ts).
  it('explored-oneway-pause-qos2-dup: QoS 2 to a persistent session behind a one-way cut and a pause: each message once', async () => {
    expect(await verdict('explored-oneway-pause-qos2-dup.ts')).toEqual([]);
  });
  // Will twice (SEED=3707 after 58, the same on main): a fresh claim reached a node woken from a pause before the
  // node whose will it had failed over, and it published that will, which that node had published already.
  // Fixed: such a will waits for its node a down detection (core/cluster/unheard-owner-will.ts).
  // Replay: npx sim run scenarios/regressions/explored-pause-will-twice.ts --seed 1
  it('explored-pause-will-twice: a will published while its backup was paused is not published again by the backup on a fresh claim that reaches it first', async () => {
    expect(await verdict('explored-pause-will-twice.ts')).toEqual([]);
  });
  // Checker case (swarm, willAlone; SEED=3707 after 148): a will set on a node that had taken its peers for lost
  // (just woken from a pause) and crashed before it linked to one again is lost with it, as a subscription
  // acknowledged alone is (ackedAlone); main's willAlone (19a0c7a) counts a peer down in the node's view. Replay: npx sim run scenarios/regressions/explored-pause-crash-nowill.ts --seed 1
  it('explored-pause-crash-nowill: a will set on a node woken from a pause that linked to no peer before it crashed is not demanded', async () => {
    expect(await verdict('explored-pause-crash-nowill.ts')).toEqual([]);
  });
  // Will lost, SEED=3606 after 321: two nodes restored one session (each took its owner for lost); the copy that
  // gave way dropped the will it had taken over, the other had none (its holder had cleared it for the first's).
  // Fixed: a handoff carries a will taken over by failover to a copy of the same connection that holds none.
  it('explored-split-pause-crash-will: the will of a client lost across a split, a pause and a power loss is published', async () => {
    expect(await verdict('explored-split-pause-crash-will.ts')).toEqual([]);
  });
  // A random-seed sweep (after 160) on i13-backup: a retained write lost with every copy one after the other (no
  // data dirs), as a session's can be. A checker gap: the swarm now excuses it (retainedCopiesLost).
  it('explored-retained-both-crash: a retained message whose every holder was lost before the other resynced: the older value is the last held', async () => {
    expect(await verdict('explored-retained-both-crash.ts')).toEqual([]);
  });
  // SEED=3404 on i13-backup: a will set on a node whose links were down in its own view (woken from a pause, or
  // just healed) until it lost its process: nothing could replicate it. A checker gap: willAlone now counts a
  // peer down in the node's view as out of reach, as a fault is.
  it('explored-wake-unlinked-will: the will of a connection made on a node woken from a pause, lost with it before it linked again: not owed', async () => {
    expect(await verdict('explored-wake-unlinked-will.ts')).toEqual([]);
  });
  it('explored-heal-unlinked-will: the will of a connection made on a node cut off, lost with it before its links were back after the heal: not owed', async () => {
    expect(await verdict('explored-heal-unlinked-will.ts')).toEqual([]);
  });
  // SEED=3707 after 148 (the same on main 30b6d16): a will sent to a peer paused from the CONNACK, which cut the
  // link unread on waking while the node took it for lost, lost with the node's crash before a link came back:
  // out of reach throughout (a pause, then down in the node's view), not owed (willAlone).
  it('explored-paused-peer-will-unheard: the will of a connection on a node that crashed just after its paused peer woke, the link not back: not owed', async () => {
    expect(await verdict('explored-paused-peer-will-unheard.ts')).toEqual([]);
  });
  // SEED=3707 after 148 (the same on main): a will sent to a paused peer, which cut the link unread on waking (its
  // overdue heartbeat tick ran before the backlog was read). Fixed (core/cluster/heartbeat.ts): the tick that finds
  // the process frozen picks the links silent past the timeout as before, but cuts them only once what waited in
  // the sockets is read. An earlier fix (cut no link on that tick) broke order: the two thaw-* regressions below.
  // Replay: npx sim run scenarios/regressions/explored-paused-both-will-unheard.ts --seed 1
  it('explored-paused-both-will-unheard: the will of a connection on a node lost while paused, sent to a peer paused before, is published', async () => {
    expect(await verdict('explored-paused-both-will-unheard.ts')).toEqual([]);
  });
  // The stops of the sweeps (SEED=3909 after 126, a random seed) with the reverted fix that cut no link on the tick
  // that found the process frozen (34c579c): the woken node kept a link to a peer that had restarted or been cut
  // off, and routed its backlog by that stale view (header of each scenario). They pass on main and with the fix.
  it('explored-thaw-restart-orphans-order: a woken node judges a restarted peer silent before it routes its backlog', async () => {
    expect(await verdict('explored-thaw-restart-orphans-order.ts')).toEqual([]);
  });
  it('explored-thaw-collision-order: a woken node judges a peer cut off during its pause silent before it routes its backlog', async () => {
    expect(await verdict('explored-thaw-collision-order.ts')).toEqual([]);
  });
  // SEED=60613 after 276 on i13-th at 0dc8176 (passes on main): the woken node wrote a will on a link it then cut,
  // and the peer published it at once (header of the scenario). Fixed: such a link is written to no more.
  it('explored-wake-claim-will-split: a node woken from a pause says nothing on the links it is about to cut', async () => {
    expect(await verdict('explored-wake-claim-will-split.ts', 606911)).toEqual([]);
  });
  // SEED=3909 after 295 on i13-th, with the backlog read before the silent links are cut but before the fix in
  // core/cluster/copy-keeper.ts (passes on main): a share group got messages twice (header of the scenario).
  it("explored-wake-holder-share-twice: a lost copy holder's share-group orphans given to the session are not served again at its return", async () => {
    expect(await verdict('explored-wake-holder-share-twice.ts')).toEqual([]);
  });
  // SEED=3707 after 215 (on i13-will2-thaw; the same on main): a retained write whose acknowledging node was lost,
  // then its one other holder (paused meanwhile) before a link came up at it: every copy lost in turn, the
  // documented bound; retainedCopiesLost now follows each holder to its own crash.
  it('explored-retained-pause-both-crash: a retained write lost with its node and then with a paused holder: the older value is the last held', async () => {
    expect(await verdict('explored-retained-pause-both-crash.ts')).toEqual([]);
  });
  // SEED=3606 after 72 on i13-backup (failed on main too): orphans a node gave the backup of a lost owner were
  // dropped, and their publishers answered, when that backup turned out to have restarted too. Fixed
  // (core/cluster/failover.ts): they go to the owner's next backup, and the publishers wait for it.
  it('explored-two-crashes-restart-loss: a message acknowledged just after two nodes restarted together reaches the failed-over subscriber', async () => {
    expect(await verdict('explored-two-crashes-restart-loss.ts')).toEqual([]);
  });
  // SEED=3505 after 398: a paused node served its inbox to a share group whose failed-over member's client had
  // already got the messages on the other node; the documented late-forward limit in the order the checker did
  // not excuse. Fixed in the checker (sim/checkers/shared-once.ts): shared-late-forward in either order.
  it('explored-pause-shared-late-second: a paused node serves its inbox to a share group after its failed-over member had it: counted, not failed', async () => {
    expect(await verdict('explored-pause-shared-late-second.ts')).toEqual([]);
  });
  // SEED=3808 after 272: a retained write its writer gave up delivering to a peer declared down (a clog) was lost
  // with the writer's power; the other peers never lost their link, so no resync. Fixed: a lost or restarted
  // peer's retained writes go from each node to its running peers (core/cluster/failover.ts).
  it('explored-power-retained-diverge: a retained set during a clog, then the writer loses power: the stores converge', async () => {
    expect(await verdict('explored-power-retained-diverge.ts')).toEqual([]);
  });
  // SEED=3505 after 97: messages kept for a cut-off peer went after the heal only to its plain routes, never to
  // a share group's member there (a session failed over to it during the cut). Fixed: releaseStale serves each
  // group with a member on the peer once (core/cluster/forwarding.ts).
  it('explored-restart-split-share-fresh: a share-group member failed over across a cut gets what the other side acknowledged for the group meanwhile', async () => {
    expect(await verdict('explored-restart-split-share-fresh.ts')).toEqual([]);
  });
  // A random-seed sweep (after 293) on i13-backup merged: a forward queued for a node taken for lost was stamped
  // with the subscription epoch heard before, so a subscription made there meanwhile (on a node woken from a pause)
  // did not get it when it was resent. Fixed: a forward to an unreachable node is unstamped, as what is kept is.
  it('explored-late-sub-pause-loss: a late subscription made while a node sleeps gets what was acknowledged after it', async () => {
    expect(await verdict('explored-late-sub-pause-loss.ts')).toEqual([]);
  });
  // SEED=3909 after 266 (the same before today's merges): n2 restarted empty behind a partition, then n1 crashed;
  // every copy of a retained message was gone, and the swarm excused that only when every node was down at once.
  // A checker gap (docs/guarantees.md, "Without data dirs"); fixed on main by retainedCopiesLost (512bb13).
  it('explored-retained-every-copy-lost: a retained message lost with every node that held it, one after the other, is not owed', async () => {
    expect(await verdict('explored-retained-every-copy-lost.ts')).toEqual([]);
  });
  // SEED=4010 after 67 (the same before today's merges): a peer cut off one way from the node a client came back
  // to published the will of that live connection (a split-will) within 1 s of the return, and the swarm took it
  // for the will of the connection that had ended with a clean DISCONNECT. A checker gap; fixed in willVerdicts.
  it('explored-split-will-after-return: a split-will of the return connection is not a will after the clean DISCONNECT before it', async () => {
    expect(await verdict('explored-split-will-after-return.ts')).toEqual([]);
  });
  // SEED=4111 after 339 (the same before today's merges): forwards to a restarted node's old life were orphaned to
  // its backup, cut off one way; that backup failed the session over and was lost before confirming the F.Orphan
  // frame, and the copy of the orphans kept in the sender's replica was dropped when the backup's copy replaced it.
  // Fixed (core/cluster/replica.ts takenOver): a replica replaced by a failover's copy of the same claim keeps
  // the orphans it was given (plain ones). One way only: the redirect of the frame in failover.ts is unchanged
  // (earlier fix orphan-frames.ts, sending them both ways, gave share groups their messages twice; taken out).
  it("explored-restart-oneway-orphans-lost: forwards to a restarted node's old life reach the session after its backup, cut off one way, is lost too", async () => {
    expect(await verdict('explored-restart-oneway-orphans-lost.ts')).toEqual([]);
  });
  // SEED=4111 after 339 (its shrink once the above was fixed by orphan-frames.ts; the same before today's merges):
  // orphans kept in a replica of a restarted node's session were dropped when a newer owner's copy (two failovers
  // on) replaced that replica. Fixed as above (replica.ts takenOver).
  it('explored-restart-oneway-two-owners-loss: forwards to a restarted node holding a failed-over session behind a one-way cut reach it', async () => {
    expect(await verdict('explored-restart-oneway-two-owners-loss.ts')).toEqual([]);
  });
  // Made from the first of the two above by a power loss of the orphans' sender (n3) before the backup confirmed
  // them: autoheal's drop of the restarted node's frames had answered their publishers at once, and the messages
  // died with n3. Fixed (failover.ts `restarted`): those publishers wait as a lost peer's do.
  it("restart-oneway-sender-lost: forwards to a restarted node's old life are not acknowledged before a peer confirmed their orphans", async () => {
    expect(await verdict('restart-oneway-sender-lost.ts')).toEqual([]);
  });
  // SEED=3909 after 160 on main a71bbb5 (new from the i13-backup merge): a will a node took over by failover from
  // a peer it took for lost, handed back to that peer after it had published it, was armed there again. Fixed
  // (handoff-will.ts): a node takes no failed-over will from a handoff that took it over from itself.
  it('explored-pause-handback-will-twice: a will published on the client node is not published again from a handed-back copy', async () => {
    expect(await verdict('explored-pause-handback-will-twice.ts')).toEqual([]);
  });
  // A random-seed sweep (after 125) on the final code of 2026-12-03: w1's will was lost with every copy of its
  // session (its peer restarted empty inside a cut, then its node crashed under the connection). A checker gap
  // (willCopiesLost, the bound of lostAlone); no broker change.
  it('explored-kill-will-missing: a will lost with every copy of its session is not demanded', async () => {
    expect(await verdict('explored-kill-will-missing.ts')).toEqual([]);
  });
  // SEED=3606 (after 72) on the final code of 2026-12-03, failing the same on 8389404: orphans of a lost owner,
  // passed on to its next backup after its backup (which had failed the session over) was lost too, reached no
  // session there: its copy came from the backup. Fixed (orphan-lineage.ts): they follow the session's lineage.
  it("explored-restart-loss-3606: a lost owner's orphans reach its session failed over twice", async () => {
    expect(await verdict('explored-restart-loss-3606.ts')).toEqual([]);
  });
  // The same schedule with n2's crash a power loss (SEED=3606 after 72 once the above was fixed): the orphans come
  // to n3 when n2 is back, after n1's new life is: the lineage holds 5 minutes, not until the owner is heard again.
  it("explored-restart-power-loss-3606: a lost owner's orphans passed on after it is back reach its session failed over twice", async () => {
    expect(await verdict('explored-restart-power-loss-3606.ts')).toEqual([]);
  });
  // OPEN, SEED=3606 after 72 once both above were fixed (failing the same on main 8f25f03): an orphan reaching the
  // backup after the session it failed over was handed off goes to no one (root cause in the scenario's header).
  it.fails(
    "explored-handoff-orphan-loss-3606: a lost owner's orphan reaching its backup after the session was handed off (open)",
    async () => {
      expect(await verdict('explored-handoff-orphan-loss-3606.ts')).toEqual([]);
    },
  );
  // OPEN, SEED=9191 after 179 on 931b7ac, failing the same on b7245c5: an order violation, not analysed.
  it.fails('explored-order-9191: c0 gets p1:33-35 after p1:41 (open)', async () => {
    expect(await verdict('explored-order-9191.ts')).toEqual([]);
  });
});
