// Replicas of other nodes' sessions on disk (issue 15, item 1). n1 owns the persistent sessions of two
// offline subscribers (QoS 1 and QoS 2); a publisher on n2 sends them messages, each acknowledged once n2
// and n3 hold it (their replicas; ack mode 'replicated', data dirs). Then the nodes holding the replicas
// restart, and n1 is lost (its machine gone: it never comes back) before they hear of its sessions again:
//   case 1: every node loses power at once; n2 and n3 come back, n1 does not;
//   case 2: n2 and n3 are killed one after the other and restart cut off from n1, which dies before the cut heals.
// The subscribers then connect to n2. Before replicas were kept on disk, n2 and n3 came back without them,
// so the sessions (with every acknowledged message they were owed) were gone: session present 0 and the
// messages lost. Now n2 reads its replicas from its data dir and the client resumes from one.
// Replay: npx sim run <this file> --seed 1 --param case=2
import { defineScenario, judge } from 'mqttlab/sim';

export default defineScenario({
  name: 'replica-disk-owner-lost',
  description:
    "the replicas of a lost node's sessions survive the restart of the nodes holding them (data dirs)",
  params: {
    ownerBack: {
      default: 0,
      description: 'n1 restarts on its data dir after the subscribers resumed on n2 (1)',
    },
    case: {
      default: 1,
      description:
        '1: whole-cluster power loss, n1 not back; 2: n2, n3 killed, restarted cut off from n1, n1 dies',
    },
  },
  async run(w, ctx) {
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes, { persist: true });
    const reconnect = { minMs: 200, maxMs: 1000 };
    const subs = [1, 2].map((qos) =>
      w.client(`sub-q${qos}`, {
        target: ['n1', 'n2'],
        version: 5,
        clean: false,
        sessionExpiry: 86_400,
        keepalive: 10,
        reconnect,
        subscriptions: [{ filter: 'site/#', qos: qos as 1 | 2 }],
      }),
    );
    const pub = w.client('pub', {
      target: 'n2',
      version: 5,
      clean: false,
      sessionExpiry: 86_400,
      keepalive: 10,
      reconnect,
    });
    await w.until(() => pub.connected && subs.every((s) => s.connected), { timeoutMs: 10_000 });
    await w.sleep(2000);
    const from = w.now;
    await w.sleep(100);
    for (const s of subs) s.disconnect();
    await w.sleep(500);
    let k = 0;
    for (let t = 0; t < 2000; t += 20) {
      if (pub.connected && pub.inflight < 16) pub.publish(`site/${k % 4}`, (k++ % 2 ? 2 : 1) as 1 | 2);
      await w.sleep(20);
    }
    await w.sleep(1000); // every publish acknowledged
    const acked = pub.acked.size;
    if (ctx.param('case') === 1) {
      for (const n of nodes) w.crash(n, 'power');
      await w.sleep(5000);
      w.restart('n2');
      w.restart('n3');
    } else {
      // Killed one after the other; they restart cut off from n1, which dies before the cut heals.
      w.crash('n2', 'process');
      await w.sleep(2000);
      w.crash('n3', 'process');
      await w.sleep(1000);
      w.partition(['n1'], ['n2', 'n3']);
      w.restart('n2');
      await w.sleep(3000);
      w.restart('n3');
      await w.sleep(3000);
      w.crash('n1', 'power');
      w.heal();
    }
    await w.sleep(5000);
    const at = w.now;
    for (const s of subs) s.connect();
    await w.until(() => subs.every((s) => s.connected), { timeoutMs: 30_000 });
    await w.sleep(15_000);
    if (ctx.param('ownerBack') === 1) {
      // n1 was only down: it comes back with its own copies, which the live sessions on n2 merge (ids drop twins).
      w.restart('n1');
      await w.sleep(15_000);
    }
    for (const e of w.history.events)
      if (e.type === 'client.connack' && e.t >= at && e.rc === 0 && e.c.startsWith('sub-') && !e.present)
        ctx.violation('safety', `${e.c} resumed with session present 0`);
    ctx.report('acknowledged', acked);
    ctx.report(
      'received',
      subs.map((s) => `${s.id}: ${new Set(s.received.map((d) => d.id)).size}`).join(', '),
    );
    judge(
      ctx,
      w.history.events,
      subs.map((s) => ({ client: s.id, filter: 'site/#', from })),
    );
  },
});
