// Regression (issue 13, bug 1): a persistent session that resumes on another
// node from that node's replica, when no running peer has to be asked for
// forwards its old owner never confirmed (every 2-node cluster; with 3
// nodes, after a crash, on the node that is not the backup), sent its queued
// PUBLISHes before the CONNACK, then all again with DUP after it
// [MQTT-3.2.0-1: the CONNACK is the first packet the server sends].
// Here: the subscriber leaves n1 with messages queued for it, (3 nodes: n1
// crashes and n2 takes its sessions over), then it resumes on the last node.
// From the history: after each CONNECT no delivery before the CONNACK, no
// DUP on a message never delivered before, every acknowledged message
// delivered once.
import { defineScenario } from '../../sim/scenario.ts';
import { is, type Ev } from '../../sim/events.ts';
import { convergenceProblems } from '../../sim/convergence.ts';

export default defineScenario({
  name: 'connack-first',
  description:
    '2 or 3 nodes; a persistent subscriber with queued messages resumes on another node from its replica',
  async run(w, ctx) {
    const n = ctx.param('nodes', 2);
    const nodes = ['n1', 'n2', 'n3'].slice(0, n);
    const last = nodes[n - 1];
    w.addCluster(nodes);
    const opts = {
      version: 5 as const,
      clean: false,
      sessionExpiry: 3600,
      keepalive: 30,
      reconnect: false as const,
    };
    const sub = w.client('sub', {
      ...opts,
      target: ['n1', last],
      subscriptions: [{ filter: 'q/#', qos: 1 }],
    });
    const pub = w.client('pub', { target: last, keepalive: 30 });
    if (
      !(await w.until(() => convergenceProblems(w).length === 0 && sub.connected && pub.connected, {
        timeoutMs: 30_000,
      }))
    ) {
      return ctx.violation('liveness', 'cluster or clients did not come up');
    }
    await w.sleep(1000);
    sub.disconnect();
    for (let i = 0; i < 20; i++) {
      pub.publish(`q/${i % 2}`, 1);
      await w.sleep(10);
    }
    await w.sleep(1000);
    if (n === 3) {
      w.crash('n1', 'power');
      await w.sleep(15_000); // detected, and n2 (its backup) turned the replica into a live session
    }
    sub.connect();
    await w.until(() => sub.connected, { timeoutMs: 10_000 });
    await w.sleep(3000);

    for (const v of connackFirst(w.history.events)) ctx.violation(v.property, v.detail);
    const acked = w.history.events
      .filter(is('pub.ok'))
      .filter((e) => e.c === 'pub')
      .map((e) => e.id);
    const got = new Map<string, number>();
    for (const e of w.history.events)
      if (e.type === 'deliver' && e.c === 'sub') got.set(e.id, (got.get(e.id) ?? 0) + 1);
    const missing = acked.filter((id) => !got.has(id));
    const twice = [...got].filter(([, k]) => k > 1).map(([id]) => id);
    ctx.report(
      'resumed',
      `${acked.length} acknowledged; sub resumed on ${sub.node}, got ${got.size} distinct, ${twice.length} more than once`,
    );
    if (missing.length)
      ctx.violation(
        'no-acked-loss',
        `${missing.length} acknowledged messages never delivered: ${missing.slice(0, 5).join(' ')}`,
      );
    if (twice.length)
      ctx.violation(
        'delivered-once',
        `${twice.length} messages delivered more than once without a reconnect in between: ${twice.slice(0, 5).join(' ')}`,
      );
  },
});

/** CONNACK before any PUBLISH on a connection; DUP only on a message already sent to that client. */
function connackFirst(events: Ev[]): { property: string; detail: string }[] {
  const out: { property: string; detail: string }[] = [];
  const awaiting = new Set<string>();
  const sent = new Map<string, Set<string>>();
  for (const e of events) {
    if (e.type === 'client.connect') awaiting.add(e.c);
    else if (e.type === 'client.connack') awaiting.delete(e.c);
    else if (e.type === 'deliver') {
      const c = e.c;
      if (awaiting.has(c))
        out.push({
          property: 'connack-first',
          detail: `t=${e.t} ${c} got PUBLISH ${e.id} before its CONNACK`,
        });
      let s = sent.get(c);
      if (!s) sent.set(c, (s = new Set()));
      if (e.dup && !s.has(e.id))
        out.push({
          property: 'dup-only-on-resend',
          detail: `t=${e.t} ${c} got ${e.id} with DUP, never sent before`,
        });
      s.add(e.id);
    }
  }
  return out;
}
