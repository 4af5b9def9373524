// Retained publish racing a subscribe on another node. Models VerneMQ #2251
// (a retained message published on one node and subscribed to on another
// 0-1 s later was often never delivered: the retained store is replicated
// eventually and the new route is not known yet) and VerneMQ's documented
// "window of uncertainty" for retained messages. Here: 3 nodes, no faults;
// many trials, each publishes a retained QoS 1 message to a fresh topic on
// one node and 0-5 ms later a client on another node subscribes to it.
// Every subscriber must get the retained message, and at the end all
// retained stores and route tables must agree.
import { defineScenario, judge, phaseStats, convergenceProblems, type Expectation } from 'mqttlab/sim';

export default defineScenario({
  name: 'retained-cross-node',
  description:
    '3 nodes; retained publish on one node, subscribe on another 0-5 ms later; every subscriber gets it',
  params: {
    trials: { default: 300, description: 'number of retain-then-subscribe trials' },
    maxGapMs: {
      default: 5,
      description: 'largest gap between the retained publish and the subscribe on another node (ms)',
    },
  },
  async run(w, ctx) {
    const trials = ctx.param('trials');
    const maxGapMs = ctx.param('maxGapMs');
    const nodes = ['n1', 'n2', 'n3'];
    w.addCluster(nodes);
    const pubs = nodes.map((n) => w.client(`pub-${n}`, { target: n, version: 5, keepalive: 30 }));
    const subs = nodes.map((n) => w.client(`sub-${n}`, { target: n, version: 5, keepalive: 30 }));
    const rng = w.rng('scenario/retained-cross-node');
    const converged = () => convergenceProblems(w).length === 0;
    if (
      !(await w.until(() => converged() && [...w.clients.values()].every((c) => c.connected), {
        timeoutMs: 30_000,
      }))
    )
      ctx.violation('liveness', 'cluster or clients did not come up');
    await w.sleep(500);

    const expect: Expectation[] = [];
    const gaps = [0, 0, 0, 0, 0, 0];
    const phases: { name: string; from: number; to: number }[] = [];
    const from = w.now;
    for (let i = 0; i < trials; i++) {
      const pn = i % 3;
      const sn = (pn + 1 + (i % 2)) % 3; // always another node
      const topic = `cfg/${i}`;
      const at = w.now;
      pubs[pn].publish(topic, 1, { retain: true, payload: `v${i}` });
      const gap = Math.min(maxGapMs, Math.floor(rng.next() * (maxGapMs + 1)));
      gaps[Math.min(gap, 5)]++;
      if (gap > 0) await w.sleep(gap);
      subs[sn].subscribe(topic, 1);
      expect.push({ client: subs[sn].id, filter: topic, from: at });
      await w.sleep(10 + rng.next() * 10);
    }
    phases.push({ name: `${trials} trials`, from, to: w.now });
    await w.sleep(5000);
    const ok = await w.until(converged, { timeoutMs: 30_000 });
    if (!ok) ctx.violation('liveness', `no convergence: ${convergenceProblems(w).join('; ')}`);
    ctx.report('gaps', gaps.map((n, g) => `${g} ms: ${n}`).join(', '));

    const events = w.history.events;
    const got = events.filter((e) => e.type === 'deliver' && e.retain).length;
    const live = events.filter(
      (e) => e.type === 'deliver' && !e.retain && String(e.topic).startsWith('cfg/'),
    ).length;
    ctx.report(
      'retained',
      `${trials} subscribes: ${got} got it as retained, ${live} live (route known in time); retained stores agree: ${ok ? 'yes' : 'NO'}`,
    );
    ctx.phases(phaseStats(events, phases, expect));
    judge(ctx, events, expect);
  },
});
