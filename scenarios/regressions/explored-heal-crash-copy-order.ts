// Found by test:faults SEED=2404 (after 62). The named availability case `copy-late-order` (docs/guarantees.md,
// Order): a split {n2,n5} | {n1,n3,n4}; the subscriber stays on n1, the publisher on n2, whose failed-over copy
// of the session (replicated to n5) collects its messages. n2 crashes in the instant of the heal: n5 fails that
// copy over, the publisher reconnects through the balancer to n3 and its next message reaches n1 before n5 is
// linked to n1 again (peer dials retry after about 1 s), so the copy handed over by n5 brings older messages
// after a newer one. n1 cannot know of the heal before a link comes up; holding the live session for every
// peer that was cut off would stop it for the whole split. None is lost; the checker counts them.
// The heal and crash are at 6501 (SEED=2404 had 5501): since a failover answers the publishers of the forwards it
// took over only once its running peers confirmed the copy (copy-keeper), the original instant came before those
// acknowledgements and the publisher sent p0:1-6 again, in order; a second later the class shows as found.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-heal-crash-copy-order',
  description: 'a copy failed over from a node that crashed at the heal arrives before newer messages',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 5,
        balancer: true,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'partition', oneWay: false, a: ['n2', 'n5'], b: ['n1', 'n3', 'n4'] },
        { at: 6501, kind: 'heal' },
        { at: 6501, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
