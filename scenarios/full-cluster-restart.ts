// Whole-cluster restart: every node loses power at once (a rack's power, `docker compose down`, a bad
// rollout), with writes not yet fsynced lost. Each node has a data dir. First all restart within a
// couple of seconds in a random order, then, after another power loss, one at a time minutes apart.
// Persistent subscribers (some connected, some offline with queued messages) sit on every node;
// publishers keep publishing QoS 1/2 and retained messages through it all (in ack mode 'replicated').
// Every QoS 1/2 message acknowledged to its publisher must reach every persistent subscriber; each
// subscriber resumes with session present; no QoS 2 message is delivered twice (no crash excuses it);
// the retained messages survive (a fresh client on every node reads the newest acknowledged value of each topic).
import {
  defineScenario,
  trafficPhases,
  judge,
  phaseStats,
  convergenceProblems,
  DEFAULT_ACCEPTED,
  type ScenarioClient,
} from 'mqttlab/sim';

export default defineScenario({
  name: 'full-cluster-restart',
  description:
    '3 nodes with data dirs lose power at once, twice: restarted in any order, then one at a time minutes apart; nothing acknowledged is lost',
  params: {
    gapMs: { default: 120_000, description: 'time between node restarts in the one-at-a-time restart (ms)' },
    subscribers: { default: 6, description: 'persistent subscribers (spread over the nodes)' },
    topics: { default: 4, description: 'retained topics written during the run' },
    strictQos2: {
      default: 1,
      description:
        'a QoS 2 redelivery after the crash is a violation (1), or counted as the qos2-crash exception (0: to see what the strict check would fail)',
    },
  },
  async run(w, ctx) {
    const gapMs = ctx.param('gapMs');
    const nSubs = ctx.param('subscribers');
    const nTopics = ctx.param('topics');
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes, {
      persist: true,
      broker: { limits: { maxQueuedMessages: 100_000, maxInflight: 64 } as never },
    });
    const rng = w.rng('scenario/full-cluster-restart');
    const reconnect = { minMs: 300, maxMs: 3000 };
    // Odd subscribers go offline before each power loss: their messages are queued on their node.
    const subs = Array.from({ length: nSubs }, (_, i) =>
      w.client(`sub-${i}`, {
        target: nodes[i % nodes.length],
        version: i % 2 ? 5 : 4,
        clean: false,
        sessionExpiry: 86_400,
        keepalive: 30,
        reconnect,
        subscriptions: [{ filter: 'site/#', qos: (i % 3 === 0 ? 2 : 1) as 1 | 2 }],
      }),
    );
    // Publishers keep their sessions too: QoS 2 is exactly once within a session, and a publisher that starts
    // a new one after a power loss sends what it had in flight again as new messages [MQTT-4.3.3].
    const pubs = nodes.map((n) =>
      w.client(`pub-${n}`, {
        target: n,
        version: 5,
        keepalive: 30,
        reconnect,
        clean: false,
        sessionExpiry: 86_400,
      }),
    );
    const converged = () => convergenceProblems(w).length === 0;
    const allConnected = (cs: ScenarioClient[]) => cs.every((c) => c.connected);
    if (!(await w.until(() => converged() && allConnected([...subs, ...pubs]), { timeoutMs: 30_000 })))
      ctx.violation('liveness', `cluster or clients did not come up: ${convergenceProblems(w).join('; ')}`);
    await w.sleep(1000);
    const subscribedAt = w.now;
    await w.sleep(500);

    let k = 0;
    // A publisher publishes while connected and within the server's Receive Maximum (64): its
    // acknowledgements wait while its node is alone (no peer's routes known yet).
    const ready = (p: ScenarioClient) => p.connected && p.inflight < 32;
    const tick = () => {
      pubs.forEach((p, i) => {
        if (ready(p)) p.publish(`site/${i}/${k % 4}`, (i % 2 ? 2 : 1) as 1 | 2);
      });
      const rp = pubs[k % pubs.length];
      if (k % 3 === 0 && ready(rp)) rp.publish(`cfg/${k % nTopics}`, 1, { retain: true });
      k++;
    };
    const { phases, traffic, trafficUntil } = trafficPhases(w, tick);
    const offline = subs.filter((_, i) => i % 2 === 1);
    /** Every node loses power in the same instant, while publishes are in flight; returns each subscriber's connects. */
    const powerLoss = async (name: string) => {
      for (const s of offline) s.disconnect();
      await traffic(`${name}: offline subscribers queue`, 2000);
      tick();
      await w.sleep(Math.floor(rng.next() * 20));
      for (const n of nodes) w.crash(n, 'power');
      return subs.map((s) => s.connects);
    };
    /** After a restart: every node back, converged, every client connected; each subscriber resumed its session. */
    const rejoined = async (name: string, since: number, connects: number[]) => {
      for (const s of offline) s.connect();
      // Each subscriber connected again since the power loss (one whose socket was left half-open notices first).
      const back = () => subs.every((s, i) => s.connects > connects[i]);
      const ok = await trafficUntil(
        `${name}: rejoining`,
        () => converged() && allConnected([...subs, ...pubs]) && back(),
        180_000,
      );
      if (!ok) ctx.violation('liveness', `${name}: no convergence: ${convergenceProblems(w).join('; ')}`);
      const lost = new Set<string>();
      for (const e of w.history.events)
        if (e.type === 'client.connack' && e.t >= since && e.rc === 0 && !e.present && e.c.startsWith('sub-'))
          lost.add(e.c);
      if (lost.size)
        ctx.violation('safety', `${name}: session not present on resume for ${[...lost].join(', ')}`);
      ctx.report(name, ok ? `rejoined ${((w.now - since) / 1000).toFixed(1)} s after the power loss` : 'NO');
    };

    await traffic('steady', 3000);

    // 1: every node loses power; all restart within two seconds, in a random order.
    let connects = await powerLoss('power loss 1');
    let at = w.now;
    const order = [...nodes];
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const n of order) {
      await w.sleep(100 + Math.floor(rng.next() * 2000));
      w.restart(n);
    }
    ctx.report('restart 1 order', order.join(' '));
    await rejoined('restart 1', at, connects);
    await traffic('steady 2', 3000);

    // 2: every node loses power again; they come back one at a time, `gapMs` apart.
    connects = await powerLoss('power loss 2');
    at = w.now;
    for (const n of nodes) {
      await traffic(`${n} still down`, n === nodes[0] ? 2000 : gapMs);
      w.restart(n);
    }
    await rejoined('restart 2', at, connects);
    await traffic('after', 3000);
    await w.sleep(20_000); // queues drain, resends finish

    // The retained messages survived: a fresh client on every node reads the newest acknowledged value.
    const events = w.history.events;
    const newest = new Map<string, string[]>(); // topic -> ids of the last acknowledged write and later ones
    for (const e of events) {
      if (e.type !== 'pub.invoke' || !e.retain) continue;
      const t = String(e.topic);
      const l = newest.get(t) ?? [];
      l.push(String(e.id));
      newest.set(t, l);
    }
    const acked = new Set<string>();
    for (const p of pubs) for (const id of p.acked) acked.add(id);
    const readers = nodes.map((n) => w.client(`reader-${n}`, { target: n, version: 5, keepalive: 30 }));
    await w.until(() => allConnected(readers), { timeoutMs: 10_000 });
    for (const r of readers) r.subscribe('cfg/#', 1);
    await w.sleep(3000);
    let served = 0;
    for (const [topic, ids] of newest) {
      let last = -1;
      ids.forEach((id, i) => {
        if (acked.has(id)) last = i;
      });
      if (last < 0) continue;
      const ok = new Set(ids.slice(last)); // the newest acknowledged, or one published after it
      for (const r of readers) {
        const got = r.received.filter((d) => d.retain && d.topic === topic);
        if (got.length === 0 || !ok.has(got[got.length - 1].id))
          ctx.violation(
            'safety',
            `${r.id}: retained ${topic} is ${got.length ? got[got.length - 1].id : 'missing'}, expected ${ids[last]}`,
          );
        else served++;
      }
    }
    ctx.report('retained', `${served} reads of ${newest.size} topics served the newest acknowledged value`);

    const expect = subs.map((s) => ({ client: s.id, filter: 'site/#', from: subscribedAt }));
    ctx.phases(phaseStats(events, phases, expect));
    // With data dirs QoS 2 stays exactly once across the restarts: a redelivery after a crash is not excused.
    const strict = ctx.param('strictQos2') === 1;
    judge(ctx, events, expect, { accept: strict ? DEFAULT_ACCEPTED : [...DEFAULT_ACCEPTED, 'qos2-crash'] });
  },
});
