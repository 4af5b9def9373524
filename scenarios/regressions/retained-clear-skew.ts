// Regression (issue 13, bug 5, clock skew): retained set/clear merged last-writer-wins by the origin
// node's clock, so a clear on a node whose clock is behind was ignored by its peers but applied locally,
// and the retained stores never agreed again. Here n2's clock is 20 minutes behind n1's and n3's 10;
// sets and clears alternate between the nodes, each after the previous one was acknowledged, and then
// again across a split (each topic written on one side only). Every node must serve the value acknowledged
// last (nothing after a clear), and the stores must agree.
import { defineScenario } from '../../sim/scenario.ts';
import { simOnly } from '../../sim/scenario-world.ts';
import { checkRetainedAfterConvergence, retainedCluster } from './retained-ops.ts';

export default defineScenario({
  name: 'retained-clear-skew',
  description:
    '3 nodes with skewed clocks; retained sets and clears alternate between nodes, then across a split; stores agree on the last acknowledged',
  async run(w, ctx) {
    const nodes = ['n1', 'n2', 'n3'];
    // The clocks disagree from the start (a runtime node's clock is monotonic from its start: a step
    // while it runs would not reach it, and in the simulator it would cut every link at once).
    for (const [n, ms] of [
      ['n1', 1_200_000],
      ['n3', 600_000],
    ] as const) {
      simOnly(w, 'w.host()').host(n, true);
      w.skew(n, ms);
    }
    const rng = w.rng('scenario/retained-clear-skew');
    const put = await retainedCluster(w, ctx, nodes, rng, 5);

    // Connected: each operation follows the acknowledgement of the previous one.
    const order = ['n1', 'n2', 'n3', 'n2', 'n1', 'n3'];
    for (let i = 0; i < 24; i++) {
      const node = order[(i + Math.floor(rng.next() * 3)) % order.length];
      const topic = `skew/${i % 4}`;
      await put(node, topic, rng.next() < 0.4 ? null : `v${i}`);
    }
    // The slow node clears what the fast ones set, and sets what they cleared.
    await put('n1', 'skew/x', 'x1');
    await put('n2', 'skew/x', null);
    await put('n3', 'skew/y', 'y1');
    await put('n1', 'skew/y', null);
    await put('n2', 'skew/y', 'y2');
    await w.sleep(1000);

    // Across a split: the slow node alone on its side; each topic written on one side only.
    w.partition(['n2', 'wr-n2'], ['n1', 'n3', 'wr-n1', 'wr-n3']);
    await w.sleep(6000 + rng.next() * 4000);
    await put('n2', 'skew/x', 'x2'); // set on the slow side after a clear made on the slow side
    await put('n2', 'skew/0', null);
    await put('n1', 'skew/y', null); // cleared on the fast side; the slow side holds y2
    await put('n3', 'skew/1', 'w1');
    await w.sleep(rng.next() * 3000);
    w.heal();
    await checkRetainedAfterConvergence(w, ctx, nodes, 'skew/#');
  },
});
