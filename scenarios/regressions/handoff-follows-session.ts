// Regression for issue 13, bug 2 (acknowledged message lost in a takeover
// race). A persistent session lives on n3 with queued QoS 1 messages; its
// client id connects to n1 and, 0-5 ms later, to n2. n3 hands the session to
// n1, but n1 has meanwhile lost the id to n2 and handed its own copy on: when
// n3's handoff reaches n1 there is no session left there. The handoff must
// follow the session to n2 (as late forwards do), not be dropped as
// `no-session` while the publisher holds its PUBACK.
// Judged strictly: every acknowledged QoS 1 message reaches the client id on
// some connection, whatever the broker recorded as dropped.
import { defineScenario } from '../../sim/scenario.ts';
import { simOnly } from '../../sim/scenario-world.ts';
import { convergenceProblems } from '../../sim/convergence.ts';
import { ackedNeverDelivered, dropsOf } from './strict.ts';

export default defineScenario({
  name: 'handoff-follows-session',
  description:
    '3 nodes; a session with queued messages on n3; its id connects to n1 then 0-5 ms later to n2 while messages flow; no acknowledged loss',
  async run(w, ctx) {
    const rounds = ctx.param('rounds', 20);
    const queued = ctx.param('queued', 5);
    const farMs = ctx.param('farMs', 2);
    w.addCluster(['n1', 'n2', 'n3']);
    // n3 a little farther from n1 and n2 than they are from each other: its handoff is the slow frame.
    for (const n of ['n1', 'n2'])
      simOnly(w, 'w.network').network.setLatency('n3', n, {
        kind: 'uniform',
        min: farMs * 0.75,
        max: farMs * 1.5,
      });
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
    const home = w.extraClient(ID, { ...opts, target: 'n3', host: 'dev-home' });
    const a = w.extraClient(ID, { ...opts, target: 'n1', host: 'dev-a' });
    const b = w.extraClient(ID, { ...opts, target: 'n2', host: 'dev-b' });
    const pub = w.client('pub', { target: 'n3', version: 5, keepalive: 30 });
    const rng = w.rng('scenario/handoff-follows-session');
    const converged = () => convergenceProblems(w).length === 0;
    if (!(await w.until(() => converged() && pub.connected, { timeoutMs: 30_000 })))
      ctx.violation('liveness', 'cluster did not come up');
    const from = w.now;
    const settle = async (label: string, pred: () => boolean) => {
      if (!(await w.until(pred, { timeoutMs: 30_000 })))
        ctx.violation('liveness', `${label}: ${convergenceProblems(w).join('; ')}`);
    };

    for (let r = 0; r < rounds; r++) {
      // The session goes home to n3 (taking over whichever connection holds it), then goes offline there.
      home.connect();
      await settle(`round ${r}: home connect`, () => home.connected && !a.connected && !b.connected);
      await w.sleep(100);
      home.disconnect();
      await w.sleep(100);
      // Messages queue in the offline session on n3; each is acknowledged to the publisher.
      const before = pub.acked.size;
      for (let i = 0; i < queued; i++) pub.publish(`dev/in/${r}`, 1);
      await settle(`round ${r}: publishes acknowledged`, () => pub.acked.size === before + queued);
      // The race: n1 first, n2 0-5 ms later, while messages keep arriving at n3 (each one 0.5 ms apart):
      // those accepted after the replicas were taken exist only in n3's session and its handoff.
      const gap = rng.next() * 5;
      const t0 = w.now;
      let racedA = false;
      let racedB = false;
      while (w.now - t0 < gap + 10) {
        if (!racedA) ((racedA = true), a.connect());
        if (!racedB && w.now - t0 >= gap) ((racedB = true), b.connect());
        pub.publish(`dev/in/${r}`, 1);
        await w.sleep(0.5);
      }
      await w.sleep(1000);
    }
    // Whoever holds the id last drains what is still queued.
    home.connect();
    await settle('final connect', () => home.connected && converged());
    await w.sleep(5000);

    const lost = ackedNeverDelivered(w.history.events, ID, 'dev/in/#', from);
    const drops = dropsOf(w.history.events, ID);
    ctx.report('published', `${pub.acked.size} acknowledged QoS 1 messages for ${ID} over ${rounds} races`);
    ctx.report(
      'drops',
      Object.entries(drops)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none',
    );
    if (lost.length)
      ctx.violation(
        'no-acked-loss',
        `${lost.length} acknowledged messages never reached ${ID}: ${lost.slice(0, 8).join(' ')}`,
      );
  },
});
