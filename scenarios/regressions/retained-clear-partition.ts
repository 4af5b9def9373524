// Regression (issue 13, bug 5, correct clocks): a retained clear deleted the entry without a tombstone
// and every link-up resent all retained messages, so a node cut off during a clear spread the old value
// again at the heal. Here n3 is cut off; clears and sets happen on both sides (never the same topic on
// both: those are ordered by the history); after the heal every node must serve the value acknowledged
// last (nothing after a clear) and the stores must agree.
import { defineScenario } from '../../sim/scenario.ts';
import { checkRetainedAfterConvergence, retainedCluster } from './retained-ops.ts';

export default defineScenario({
  name: 'retained-clear-partition',
  description:
    '3 nodes; retained set everywhere; n3 cut off; clears and sets on both sides; heal; no cleared value comes back',
  async run(w, ctx) {
    const nodes = ['n1', 'n2', 'n3'];
    const rng = w.rng('scenario/retained-clear-partition');
    const put = await retainedCluster(w, ctx, nodes, rng, 20);

    // Before the split: every topic has a value everywhere.
    await put('n1', 'cfg/a', 'a1');
    await put('n2', 'cfg/b', 'b1');
    await put('n3', 'cfg/c', 'c1');
    await put('n3', 'cfg/d', 'd1');
    await put('n1', 'cfg/e', 'e1');
    await w.sleep(1000);

    w.partition(['n3', 'wr-n3'], ['n1', 'n2', 'wr-n1', 'wr-n2']);
    await w.sleep(6000 + rng.next() * 4000);
    await put('n1', 'cfg/a', null); // cleared on the majority side: n3 still holds a1
    await put('n2', 'cfg/b', 'b2'); // replaced on the majority side
    await put('n3', 'cfg/c', null); // cleared on n3: n1 and n2 still hold c1
    await put('n2', 'cfg/d', null);
    await put('n2', 'cfg/d', 'd2'); // cleared then set again
    await put('n3', 'cfg/e', null);
    await put('n3', 'cfg/e', 'e2');
    await put('n3', 'cfg/e', null); // set again then cleared on n3
    await w.sleep(rng.next() * 5000);
    w.heal();
    await checkRetainedAfterConvergence(w, ctx, nodes, 'cfg/#');
  },
});
