// Found by test:faults SEED=3505 (after 13) on the final code of 2026-12-03 night; it failed the same on the
// code of the stop before (2beb44a). 2 nodes behind the balancer, a QoS 2 publisher on n1 and a QoS 2
// persistent subscriber s1 on n2; a one-way partition drops n2's frames to n1 (n1 still reaches n2), then n2
// is paused 19.5 s. n1's forwards p0:22-27 reached n2, whose QoS 2 guard held each PUBLISH until n1
// confirmed its packet id (ROut), which n1 never heard. n1, hearing nothing of n2, took it for lost and
// failed s1 over with those forwards as orphans; n2 lost n1 half a millisecond later (n1 closed the link)
// and let the held PUBLISHes go, as for any lost peer. The client got them from n2, was cut off by n2's
// pause, resumed on n1 and got them again under n1's packet ids (qos2-exactly-once). Not the documented
// exception (a node dying while cut off): n2 could have known, since n1's pings kept arriving with an
// acknowledgement stalled for seconds: n1 was alive and deaf to n2, so its copy would take s1 over without
// those packet ids. Fixed: a QoS 2 step a peer deaf to us never confirmed is not let go when that peer is
// lost; it waits until the peer hears it (the link back), restarts or is removed (core/cluster/deaf-peer.ts).
// Here s1 gets p0:22-27 once, from n1; without the pause, once from n2 at the heal.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-oneway-pause-qos2-dup',
  description: 'QoS 2 to a persistent session behind a one-way cut and a pause: each message once',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: true,
        ackMode: 'replicated',
        subs: [
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null },
          { node: 0, version: 5, clean: false, expiry: 86400, qos: 2, group: null },
        ],
        pubs: [{ node: 0, version: 5, qos: 2 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [],
      },
      [
        { at: 0, kind: 'clog', a: 'n1', b: 'n5', releaseAfter: 100 },
        { at: 20900, kind: 'partition', oneWay: true, a: ['n2'], b: ['n1', 'n3', 'n4', 'n5'] },
        { at: 26501, kind: 'pause', node: 'n2', resumeAfter: 19501 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
