// The documented counterexample of ack mode 'replicated' (docs/durability.md, "Ack mode quorum"): n1 is
// paused for longer than the heartbeat timeout (a VM migrated, a stop-the-world stall). It wakes to
// find every peer silent, takes them for lost, and, in 'replicated', acknowledges the publishes that
// waited in its socket at once: no running peer is left to wait for. It is killed before its links
// come back, and with it the only copy of what it acknowledged. In 'quorum' (the default here) the
// acknowledgements wait until a majority of the members hold the messages: nothing acknowledged is
// lost. `--param quorum=0` runs it in 'replicated' and the no-acked-loss checker fails.
import { defineScenario, judge, convergenceProblems } from 'mqttlab/sim';

export default defineScenario({
  name: 'paused-node-acks',
  description:
    "n1 paused past the heartbeat timeout, wakes, acknowledges, is killed before its links return: 'quorum' loses nothing",
  params: {
    quorum: { default: 1, description: "ack mode 'quorum' (1) or 'replicated' (0: shows the loss)" },
    pauseMs: { default: 12_000, description: 'how long n1 is paused (ms; the heartbeat timeout is 5 s)' },
    killAfterMs: { default: 300, description: 'how long after it wakes n1 is killed (ms)' },
  },
  async run(w, ctx) {
    const nodes = ['n1', 'n2', 'n3'];
    const ackMode = ctx.param('quorum') === 1 ? 'quorum' : 'replicated';
    w.addCluster(nodes, { cluster: { ackMode } });
    const sub = w.client('sub', {
      target: 'n2',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      keepalive: 30,
      reconnect: { minMs: 300, maxMs: 2000 },
      subscriptions: [{ filter: 'a/#', qos: 1 }],
    });
    const pub = w.client('pub', {
      target: 'n1',
      version: 5,
      keepalive: 60,
      reconnect: { minMs: 500, maxMs: 2000 },
    });
    if (
      !(await w.until(() => convergenceProblems(w).length === 0 && sub.connected && pub.connected, {
        timeoutMs: 20_000,
      }))
    )
      ctx.violation('liveness', `cluster or clients did not come up: ${convergenceProblems(w).join('; ')}`);
    await w.sleep(1000);
    const from = w.now;
    const tick = async (ms: number) => {
      for (let t = 0; t < ms; t += 100) {
        if (pub.connected && pub.inflight < 50) pub.publish(`a/${t % 7}`, 1);
        await w.sleep(100);
      }
    };
    await tick(2000);
    w.pause('n1');
    await tick(ctx.param('pauseMs')); // the publisher's packets wait in n1's socket
    w.unpause('n1');
    await tick(ctx.param('killAfterMs'));
    const ackedBeforeKill = pub.acked.size;
    const held = w.sim?.cluster('n1').stats.quorumHeld; // simulator only: the node's counter
    w.crash('n1', 'process');
    await w.sleep(3000);
    w.restart('n1');
    await tick(3000);
    await w.sleep(15_000);
    ctx.report('ack mode', ackMode);
    ctx.report('acknowledged before the kill', ackedBeforeKill);
    if (held !== undefined) ctx.report('n1 held for lack of a majority', held);
    judge(ctx, w.history.events, [{ client: 'sub', filter: 'a/#', from }]);
  },
});
