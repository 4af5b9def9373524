// Found by `npm run test:faults` (SEED=505, shrunk): n1 is paused 6.5 s with s0 connected; n2 fails s0 over
// and takes p0:7, then crashes; n3 fails s0 over from n2. n1 wakes with s0 still connected; at the link-up
// n3 resent the forward of p0:8 it had queued for n1 before n1's claim made it hand its copy (with p0:7)
// over: s0 got p0:7 after p0:8. Fixed: a link-up sends claims before queued forwards, and a live session
// whose copy a peer claims offline holds its sends until that peer's handoff is in (Registry.awaitHandoff;
// handed-over messages go in front).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-pause-forward-before-handoff',
  description: 'a live session waits for the handoff of a copy a peer took over while it was paused',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
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
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 6001 },
        { at: 0, kind: 'heal' },
        { at: 6001, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
