// Regression (issue 13, bug 4): a persistent subscription made on n2 while
// n1 is cut off. QoS 1 messages published on n1 right after the heal were
// acknowledged and never delivered: n1's dial started during the split was
// retried only after its timeout, and until the link was back n1 did not
// know the new route. Every message acknowledged to n1's publisher after the
// heal must reach the subscriber, and so must what n1 acknowledged during the
// split after the subscription (kept for n2 while its routes were unknown:
// up to forwardBuffer messages, for at most autocleanMs; both far off here).
import { defineScenario } from '../../sim/scenario.ts';
import { is } from '../../sim/events.ts';
import { convergenceProblems } from '../../sim/convergence.ts';

export default defineScenario({
  name: 'subscribe-during-split',
  description:
    '3 nodes; n1 cut off; persistent subscribe on n2; heal; QoS 1 publishes on n1 from the heal on must all arrive',
  async run(w, ctx) {
    const count = ctx.param('messages', 350);
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes);
    const pub = w.client('pub', { target: 'n1', version: 5, keepalive: 30 });
    const rng = w.rng('scenario/subscribe-during-split');
    if (!(await w.until(() => convergenceProblems(w).length === 0 && pub.connected, { timeoutMs: 30_000 })))
      ctx.violation('liveness', 'cluster did not form');
    await w.sleep(500);

    w.partition(['n1', 'pub'], ['n2', 'n3', 'sub']);
    // Long enough for both sides to declare the other down (heartbeat timeout 5 s), plus a seeded offset so the
    // heal falls anywhere in n1's dial cycle.
    await w.sleep(7000 + rng.next() * 5000);
    const sub = w.client('sub', {
      target: 'n2',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      keepalive: 30,
      subscriptions: [{ filter: 'split/#', qos: 1 }],
    });
    await w.until(() => w.history.events.some((e) => e.type === 'sub.ok' && e.c === 'sub'), {
      timeoutMs: 10_000,
    });
    // Published on n1 during the split, after the subscription.
    for (let i = 0; i < 20; i++) {
      pub.publish('split/during', 1);
      await w.sleep(100);
    }
    await w.sleep(rng.next() * 3000);
    w.heal();
    const healedAt = w.now;
    for (let i = 0; i < count; i++) {
      pub.publish(`split/after/${i % 7}`, 1);
      await w.sleep(10);
    }
    await w.until(() => convergenceProblems(w).length === 0, { timeoutMs: 60_000 });
    await w.sleep(5000);

    const ev = w.history.events;
    const invokedAt = new Map<string, number>();
    for (const e of ev) if (e.type === 'pub.invoke' && e.c === 'pub') invokedAt.set(e.id, e.t);
    const got = new Map<string, number>();
    for (const e of ev) if (e.type === 'deliver' && e.c === 'sub' && !got.has(e.id)) got.set(e.id, e.t);
    const acked = ev
      .filter(is('pub.ok'))
      .filter((e) => e.c === 'pub')
      .map((e) => e.id);
    const after = acked.filter((id) => invokedAt.get(id)! >= healedAt);
    const during = acked.filter((id) => invokedAt.get(id)! < healedAt);
    const lostAfter = after.filter((id) => !got.has(id));
    const delay = Math.max(
      0,
      ...after.filter((id) => got.has(id)).map((id) => got.get(id)! - invokedAt.get(id)!),
    );
    ctx.report(
      'after the heal',
      `${after.length} acknowledged, ${after.length - lostAfter.length} delivered, max delay ${delay.toFixed(0)} ms`,
    );
    ctx.report(
      'during the split',
      `${during.length} acknowledged, ${during.filter((id) => got.has(id)).length} delivered`,
    );
    if (after.length < count)
      ctx.violation(
        'liveness',
        `only ${after.length} of ${count} publishes after the heal were acknowledged`,
      );
    if (lostAfter.length)
      ctx.violation(
        'no-acked-loss',
        `${lostAfter.length} messages acknowledged after the heal never reached sub (first ${lostAfter[0]})`,
      );
    const lostDuring = during.filter((id) => !got.has(id));
    if (lostDuring.length)
      ctx.violation(
        'no-acked-loss',
        `${lostDuring.length} messages acknowledged during the split never reached sub (first ${lostDuring[0]})`,
      );
  },
});
