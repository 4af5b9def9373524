// Takeover race. Models EMQX PRs #6393 / #6396 (messages arriving after
// {takeover,'begin'} to a persistent session were lost) and #6183 ("Fix
// takeover race"), and VerneMQ #201 (queue-migration race) and #2075 (the
// cluster allowed connects with a duplicated client id). The same client
// id (a persistent v5 session) connects on two different nodes at nearly
// the same instant (0-3 ms apart), over and over, while a publisher on a
// third node sends it QoS 1/2 messages. After every race, once the cluster
// settled, at most one node may hold a live connection for the id; at the
// end it must converge, and no acknowledged message may be missing from
// the session (whichever of the two connections it reached).
// The session subscribes at QoS 1 (publishers send QoS 1 and 2): QoS 2's
// exactly-once rests on packet-id state kept by the client process, which
// two processes sharing one client id do not share (a stale PUBREC state
// in the losing process swallows a later message that reuses its packet
// id), so exactly-once is not a property of this setup, only no-loss.
import { defineScenario, judge, phaseStats, convergenceProblems, simOnly } from 'mqttlab/sim';

export default defineScenario({
  name: 'takeover-race',
  description:
    '3 nodes; one client id connects on n1 and n2 within 0-3 ms, repeatedly, while messages flow to it from n3',
  params: {
    rounds: { default: 40, description: 'number of takeover rounds' },
  },
  async run(w, ctx) {
    const rounds = ctx.param('rounds');
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes, { broker: { limits: { maxQueuedMessages: 100_000, maxInflight: 64 } as never } });
    const ID = 'dev';
    const opts = {
      version: 5 as const,
      clean: false,
      sessionExpiry: 86_400,
      keepalive: 30,
      reconnect: false as const,
      autoConnect: false,
      subscriptions: [{ filter: 'dev/in/#', qos: 1 as const }],
    };
    // Two processes with one client id (World.client keeps ids unique, so these are built directly).
    const a = w.extraClient(ID, { ...opts, target: 'n1', host: 'dev-a' });
    const b = w.extraClient(ID, { ...opts, target: 'n2', host: 'dev-b' });
    const pub1 = w.client('pub-1', { target: 'n3', keepalive: 30 });
    const pub2 = w.client('pub-2', { target: 'n3', version: 5, keepalive: 30 });
    const rng = w.rng('scenario/takeover-race');

    const converged = () => convergenceProblems(w).length === 0;
    a.connect();
    if (
      !(await w.until(() => converged() && a.connected && pub1.connected && pub2.connected, {
        timeoutMs: 30_000,
      }))
    )
      ctx.violation('liveness', 'cluster or clients did not come up');
    await w.sleep(1000);
    const subscribedAt = w.now;

    /** Nodes holding a live connection for the id. */
    const liveOn = () =>
      nodes.filter((n) => w.isReady(n) && !!simOnly(w, 'w.broker()').broker(n).sessions.get(ID)?.conn);
    const phases: { name: string; from: number; to: number }[] = [];
    let k = 0;
    const tick = () => {
      pub1.publish(`dev/in/${k % 3}`, 1);
      pub2.publish(`dev/in/${k % 3}`, 2);
      k++;
    };
    const traffic = async (ms: number) => {
      for (let t = 0; t < ms; t += 50) {
        tick();
        await w.sleep(50);
      }
    };

    let from = w.now;
    await traffic(2000);
    phases.push({ name: 'steady', from, to: w.now });

    from = w.now;
    const winners = { n1: 0, n2: 0, none: 0 };
    let maxLive = 0;
    for (let r = 0; r < rounds; r++) {
      // Both processes (re)connect nearly together; whichever goes first alternates.
      const [first, second] = r % 2 ? [b, a] : [a, b];
      if (first.connected) first.disconnect(); // a fresh CONNECT, like a device rebooting
      first.connect();
      tick();
      await w.sleep(rng.next() * 3);
      if (second.connected) second.kill();
      second.connect();
      await traffic(500);
      const live = liveOn();
      maxLive = Math.max(maxLive, live.length);
      if (live.length > 1)
        ctx.violation(
          'single-connection',
          `round ${r}: ${ID} has live connections on ${live.join(' and ')} 500 ms after the race`,
        );
      if (live.length === 1) winners[live[0] as 'n1' | 'n2']++;
      else winners.none++;
      // The loser was told to go away; the next round brings it back.
    }
    phases.push({ name: 'racing', from, to: w.now });

    // Settle: the last winner stays; if neither holds the id, reconnect one.
    from = w.now;
    if (!a.connected && !b.connected) a.connect();
    const settled = await w.until(
      () => converged() && liveOn().length === 1 && (a.connected || b.connected),
      { timeoutMs: 60_000 },
    );
    if (!settled)
      ctx.violation(
        'liveness',
        `after the races: ${convergenceProblems(w).join('; ')}; live on [${liveOn().join(',')}]`,
      );
    const live = liveOn();
    if (live.length !== 1)
      ctx.violation('single-connection', `${ID} live on [${live.join(',')}] after convergence`);
    const holder = a.connected ? a : b;
    ctx.report(
      'races',
      `${rounds} rounds; connection left on n1 ${winners.n1}x, n2 ${winners.n2}x, none ${winners.none}x; at most ${maxLive} live connection(s) 500 ms after a race`,
    );
    ctx.report(
      'end',
      `${ID} live on ${live.join(',') || 'none'} (client sees ${holder.connected ? holder.node : 'none'}); converged: ${settled ? 'yes' : 'NO'}`,
    );
    await traffic(2000);
    phases.push({ name: 'settled', from, to: w.now });
    await w.sleep(20_000);

    const events = w.history.events;
    const expect = [{ client: ID, filter: 'dev/in/#', from: subscribedAt }];
    ctx.phases(phaseStats(events, phases, expect));
    judge(ctx, events, expect);
  },
});
