// Regression (issue 13, bug 3): order broken after a move, with no fault.
// A persistent subscriber leaves n1 with 5 messages queued for it, then
// resumes on n2 (of 3) while a publisher sends every 1 ms. Messages that
// other nodes had forwarded to n1 unconfirmed were put in front of the
// older ones restored from the replica: it received `6 1 2 3 4 5 7 ...`.
// From the history: each publisher's messages on a topic arrive in publish
// order (first deliveries; MQTT's ordered topic guarantee) and every
// acknowledged message arrives.
import { defineScenario } from '../../sim/scenario.ts';
import { is } from '../../sim/events.ts';
import { convergenceProblems } from '../../sim/convergence.ts';

export default defineScenario({
  name: 'order-after-move',
  description:
    '3 (or 2) nodes; a subscriber with 5 queued messages resumes on another node while a publisher sends every 1 ms',
  async run(w, ctx) {
    const nodes = ['n1', 'n2', 'n3'].slice(0, ctx.param('nodes', 3));
    const pubNode = nodes[Math.min(ctx.param('pubNode', 3), nodes.length) - 1];
    w.addCluster(nodes);
    const sub = w.client('sub', {
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      keepalive: 30,
      reconnect: false,
      target: ['n1', 'n2'],
      subscriptions: [{ filter: 'o/#', qos: 1 }],
    });
    const pub = w.client('pub', { target: pubNode, keepalive: 30 });
    if (
      !(await w.until(() => convergenceProblems(w).length === 0 && sub.connected && pub.connected, {
        timeoutMs: 30_000,
      }))
    ) {
      return ctx.violation('liveness', 'cluster or clients did not come up');
    }
    await w.sleep(1000);
    sub.disconnect();
    for (let i = 0; i < 5; i++) pub.publish('o/t', 1);
    await w.sleep(500);
    // sleep() runs the world synchronously: the 1 ms publisher is this loop, with the reconnect 20 ms into it.
    for (let t = 0; t < 2000; t++) {
      if (t === 20) sub.connect();
      pub.publish('o/t', 1);
      await w.sleep(1);
    }
    if (!sub.connected) ctx.violation('liveness', 'sub did not reconnect');
    await w.sleep(3000);

    const ev = w.history.events;
    const acked = ev
      .filter(is('pub.ok'))
      .filter((e) => e.c === 'pub')
      .map((e) => e.id);
    const firsts: string[] = [];
    const seen = new Set<string>();
    for (const e of ev)
      if (e.type === 'deliver' && e.c === 'sub' && !seen.has(e.id)) (firsts.push(e.id), seen.add(e.id));
    ctx.report(
      'received',
      `${firsts.length} of ${acked.length} acknowledged; first: ${firsts.slice(0, 8).map(seq).join(' ')}`,
    );
    for (let i = 1; i < firsts.length; i++) {
      if (seq(firsts[i]) < seq(firsts[i - 1])) {
        ctx.violation(
          'ordered-topic',
          `${firsts[i]} arrived after ${firsts[i - 1]}: ${firsts
            .slice(Math.max(0, i - 6), i + 3)
            .map(seq)
            .join(' ')}`,
        );
        break;
      }
    }
    const missing = acked.filter((id) => !seen.has(id));
    if (missing.length)
      ctx.violation(
        'no-acked-loss',
        `${missing.length} acknowledged messages never delivered: ${missing.slice(0, 5).join(' ')}`,
      );
  },
});

/** The publisher's sequence number in a payload id `client:seq`. */
function seq(id: string): number {
  return Number(id.slice(id.lastIndexOf(':') + 1));
}
