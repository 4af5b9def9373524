// `npm run test:diff`: differential runs, simulator vs real processes. Each
// generated workload and fault schedule (sim explore's swarm) is played in
// the simulator and against `runtime start` processes on loopback (sim/live,
// real faults through the fault proxy and signals, HAProxy when the
// workload has a balancer), judged by the same checkers; prints a table of
// the verdicts and the schedules where they differ.
//   RUNS=N (default 50)  SEED=S (default 1)  TIME_SCALE=X (default 0.1)  OUT=file.json (all results)
// Differences to expect from the model (not bugs): see docs/sim-vs-live.md.
import fs from 'node:fs';
import { differential, formatTable } from '../sim/live/differential.ts';

const runs = Number(process.env.RUNS ?? 50);
const rows = await differential({
  runs,
  seed: Number(process.env.SEED ?? 1),
  timeScale: Number(process.env.TIME_SCALE ?? 0.1),
  log: (l) => console.log(l),
});
console.log(formatTable(rows));
if (process.env.OUT) fs.writeFileSync(process.env.OUT, JSON.stringify(rows, null, 1));
const differ = rows.filter((r) => r.differs).length;
console.log(`${rows.length} schedules, ${differ} with different verdicts`);
// mqtt.js and the proxy can leave handles open after the worlds closed: end here.
process.exit(0);
