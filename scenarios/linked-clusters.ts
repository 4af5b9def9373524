// Cluster linking (EMQX's Cluster Linking; docs/cluster-linking.md): two independent 3-node clusters, A and
// B, in two regions, linked. Each has a local subscriber to its own region's topics and a subscriber to the
// other region's; two publishers on each side. Only the filters the other side subscribes to cross the link,
// and a message crosses it once, from the node it was published on.
// 1. steady traffic both ways;
// 2. the link between the regions is cut: each side keeps serving its own subscribers; each node keeps what
//    the other side subscribes to in a bounded buffer (linkBuffer) and drops what exceeds it, counted;
//    at the heal the links come back and the buffers are sent in order;
// 3. region B is lost (every node powered off): A keeps serving locally; what A publishes for B meanwhile
//    is counted as published while the region was down;
// 4. region B comes back empty: its clients reconnect and subscribe again, the links come up, traffic flows
//    both ways again and must cross.
// Checked: the standard checkers on the local subscriptions, link delivery (every message acknowledged in
// one region on a topic the other subscribed to arrives there, unless counted as a buffer drop or as
// published while that region was down) and loop freedom (no message crosses into a cluster twice).
import {
  defineScenario,
  judge,
  phaseStats,
  trafficPhases,
  linkAddress,
  checkLinkDelivery,
  formatTally,
  type Tally,
} from 'mqttlab/sim';

export default defineScenario({
  name: 'linked-clusters',
  description:
    'two 3-node clusters linked across regions; a link partition (local traffic flows, the link catches up from a bounded buffer); region B lost and back',
  params: {
    cutMs: { default: 15_000, description: 'how long the link between the regions stays cut (ms)' },
    linkBuffer: {
      default: 50,
      description: 'messages each node keeps per link while it is down (beyond: dropped, counted)',
    },
    lostMs: { default: 10_000, description: 'how long A keeps publishing after region B is lost (ms)' },
  },
  // Live: the runtime counts what a full link buffer drops but does not say which messages (the simulator's
  // history names each), so the checker could not excuse them: live runs keep a buffer the cut does not fill.
  live: { timeScale: 1, maxQuietMs: 10_000, params: { linkBuffer: 10_000 } },
  async run(w, ctx) {
    const A = ['a1', 'a2', 'a3'];
    const B = ['b1', 'b2', 'b3'];
    const secret = 'a-b-link-secret';
    const cluster = { linkBuffer: ctx.param('linkBuffer') };
    const broker = { limits: { maxQueuedMessages: 100_000, maxInflight: 64 } as never };
    w.addCluster(A, {
      broker,
      secret: 'a-secret',
      name: 'A',
      links: [{ name: 'B', address: linkAddress(B), secret }],
      cluster,
    });
    w.addCluster(B, {
      broker,
      secret: 'b-secret',
      name: 'B',
      links: [{ name: 'A', address: linkAddress(A), secret }],
      cluster,
    });
    const reconnect = { minMs: 300, maxMs: 4000 };
    const sub = (id: string, node: string, filter: string) =>
      w.client(id, {
        target: node,
        version: 5,
        clean: false,
        sessionExpiry: 86_400,
        keepalive: 30,
        reconnect,
        subscriptions: [{ filter, qos: 1 }],
      });
    sub('a-local', 'a1', 'ra/#');
    sub('a-from-b', 'a2', 'rb/#');
    sub('b-local', 'b1', 'rb/#');
    sub('b-from-a', 'b2', 'ra/#');
    const pubs = ['a1', 'a3', 'b2', 'b3'].map((n, i) =>
      w.client(`pub-${n}`, { target: n, version: i % 2 ? 4 : 5, keepalive: 30, reconnect }),
    );
    // Each node's links as it reports them (`cluster status`; live: read from its admin API).
    const links = (nodes: string[]) => nodes.flatMap((n) => w.nodeStatus(n)?.links ?? []);
    const linksUp = () =>
      [...A, ...B].every((n) => {
        const ls = w.nodeStatus(n)?.links;
        return !!ls?.length && ls.every((l) => l.state === 'up' && l.routes > 0);
      });
    const allConnected = () => [...w.clients.values()].every((c) => c.connected);
    if (!(await w.until(() => linksUp() && allConnected(), { timeoutMs: 30_000 })))
      ctx.violation('liveness', 'the links or the clients did not come up');
    await w.sleep(1000);
    const from = w.now;

    let k = 0;
    const region = (p: (typeof pubs)[number]) => (p.id.startsWith('pub-a') ? 'ra' : 'rb');
    let publishers = pubs;
    const tick = () => {
      for (const p of publishers) p.publish(`${region(p)}/${p.id}/${k % 3}`, 1);
      k++;
    };
    const { phases, traffic, trafficUntil } = trafficPhases(w, tick);
    await traffic('steady', 5000);

    // The link between the regions is cut: each side serves its own subscribers; the links buffer.
    w.partition(A, B);
    await traffic('link cut', ctx.param('cutMs'));
    const buffered = links(A).reduce((n, l) => n + l.buffered, 0);
    w.repair(A, B);
    const caughtUp = await trafficUntil(
      'link back',
      () => linksUp() && links([...A, ...B]).every((l) => l.buffered < 5),
      60_000,
    );
    if (!caughtUp) ctx.violation('liveness', 'the links did not catch up within 60 s of the heal');
    await traffic('after the cut', 3000);
    publishers = [];
    await traffic('quiet', 3000);
    const cut = links([...A, ...B]);
    ctx.report(
      'link cut',
      `A's nodes held ${buffered} messages for B at the heal; dropped beyond the buffer: ${cut.reduce((n, l) => n + l.dropped, 0)}; resent: ${cut.reduce((n, l) => n + l.resent, 0)}`,
    );

    // Region B is lost: A keeps serving its own subscribers.
    for (const n of B) w.crash(n, 'power');
    publishers = pubs.filter((p) => p.id.startsWith('pub-a'));
    await traffic('region B lost', ctx.param('lostMs'));
    publishers = [];
    await w.sleep(5000);
    const lost = links(A);
    ctx.report(
      'links of A, B lost',
      lost.map((l) => `${l.state} buffered ${l.buffered} dropped ${l.dropped}`).join('; '),
    );

    // Region B comes back (empty: no data dirs): its subscribers subscribe again, the links come up again
    // (A sends what it still held), and traffic flows both ways as before.
    for (const n of B) w.restart(n);
    if (!(await trafficUntil('region B back', () => linksUp() && allConnected(), 60_000)))
      ctx.violation('liveness', 'the links or the clients did not come back with region B');
    await w.sleep(1000);
    publishers = pubs;
    await traffic('after the return', 5000);
    publishers = [];
    await traffic('end', 5000);

    const events = w.history.events;
    const local = [
      { client: 'a-local', filter: 'ra/#', from },
      { client: 'b-local', filter: 'rb/#', from },
    ];
    ctx.phases(phaseStats(events, phases, local));
    judge(ctx, events, local);
    const tally: Tally = {};
    const cross = [
      { client: 'b-from-a', filter: 'ra/#', from },
      { client: 'a-from-b', filter: 'rb/#', from },
    ];
    for (const v of checkLinkDelivery(events, cross, tally)) ctx.violation(v.property, v.detail);
    ctx.report('across the link', formatTally(tally));
  },
});
