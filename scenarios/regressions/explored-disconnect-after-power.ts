// Found by `npm run test:faults` (SEED=1101, shrunk). Checker correction: n1, where w0 and the watcher are
// connected, loses power; n2 notices after its down detection and publishes w0's will (due: the connection
// died with n1). w0, which did not notice, sends DISCONNECT into its dead connection as n1 restarts; the
// watcher gets the will on n2 after that. A DISCONNECT into a connection whose node crashed is not a clean
// end (checkWills already judged so; the swarm's own will verdict now agrees).
// Replay: npx sim run <this file> --seed 1
import { defineScenario } from '../../sim/scenario.ts';
import { playSwarm } from '../../sim/swarm.ts';

export default defineScenario({
  name: 'explored-disconnect-after-power',
  description:
    'a DISCONNECT sent into a connection whose node lost power does not make the will published at failover a will after a clean DISCONNECT',
  async run(w, ctx) {
    const r = await playSwarm(
      w,
      {
        nodes: 2,
        balancer: false,
        ackMode: 'replicated',
        subs: [{ node: 0, version: 5, clean: false, expiry: 86400, qos: 1, group: null }],
        pubs: [{ node: 0, version: 5, qos: 1 }],
        collisions: [],
        lateSubs: [],
        retained: [],
        wills: [
          {
            node: 0,
            version: 5,
            clean: false,
            delay: 0,
            expiry: 86400,
            at: 18501,
            end: 'disconnect',
            backAfter: null,
          },
        ],
      },
      [{ at: 11501, kind: 'crash', node: 'n1', mode: 'power', restartAfter: 6501 }],
    );
    for (const v of r.violations) ctx.violation(v.property, v.detail);
    for (const c of r.convergence) ctx.violation('liveness', c);
    ctx.report('parked', r.parked);
  },
});
