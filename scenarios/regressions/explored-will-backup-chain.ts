// Found by `npm run test:faults` (SEED=1101, shrunk). w0 (Session Expiry 0, no delay) is connected on n1,
// which crashes: its backup n2 publishes w0's will. n2 crashes 500 ms later; n3, which held n1's copy of the
// will too, fails n1's sessions over again as n1's next backup and published the will a second time. Now the
// backup that publishes a lost node's will tells the others to drop their copies of that connection's will.
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-will-backup-chain',
  description: 'a will a backup published for a lost node is not published again by the next backup',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 3,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          { node: 1, version: 5, clean: true, delay: 0, expiry: 86400, at: 0, end: 'kill', backAfter: 8000 },
        ],
      },
      [
        { at: 0, kind: 'pause', node: 'n1', resumeAfter: 100 },
        { at: 8001, kind: 'crash', node: 'n1', mode: 'process', restartAfter: 1000 },
        { at: 8501, kind: 'crash', node: 'n2', mode: 'process', restartAfter: 1000 },
      ],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
