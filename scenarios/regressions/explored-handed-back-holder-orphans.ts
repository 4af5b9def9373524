// Found by test:faults SEED=3303 (after 102) on the night's merged code. FIXED: n1, woken from a pause, failed n2
// and n3 over and handed their copies (s1, s2) back a second later. Peers kept what n1 sent of those copies beside
// their replicas (copy-keeper) and never forgot it: 20 s later a clog n4-n1 made n4 take n1 for lost, and n4 gave the
// share-group forwards n1 had not confirmed (for s0, the g2 member on n1) to s1, the other g2 member, as orphans of
// a copy n1 no longer held; n1, alive behind the clog, delivered them to s0 too (shared-once: two members). A
// holder's F.REnd (it holds the session no more) now drops what peers kept of its copy.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-handed-back-holder-orphans',
  description:
    'a node that handed its failed-over copies back long ago is clogged and taken for lost: its share-group forwards are not given to another member',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 4,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: true, expiry: 86400, qos: 1, group: 'g2' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: 'g2' },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 5501 },
        { at: 20501, kind: 'clog', a: 'n4', b: 'n1', releaseAfter: 4501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
