// `npm run test:faults`: a larger sweep of generated workloads and fault schedules (minutes, not seconds).
// RUNS=N (default 400), SEED=N, ACK_MODES=replicated,local (default replicated; local's loss is then found).
// A failure is shrunk and kept as explored/explored-<seed>.ts; replay with `npx sim run <file> --seed N`.
import { explore, toScenario } from '../sim/explore.ts';
import { mkdirSync, writeFileSync } from 'node:fs';

const runs = Number(process.env.RUNS ?? 400);
const ackModes = (process.env.ACK_MODES ?? 'replicated').split(',') as ('replicated' | 'local')[];
const t0 = performance.now();
let done = 0;
const perMinute = () => ((done * 60_000) / (performance.now() - t0)).toFixed(0);
const r = await explore(runs, process.env.SEED ? Number(process.env.SEED) : undefined, {
  ackModes,
  onRun: () => {
    if (++done % 50 === 0) console.log(`${done} schedules run (${perMinute()}/min)`);
  },
});
const wall = ((performance.now() - t0) / 1000).toFixed(0);
if (r.ok)
  console.log(
    `${r.runs} passed, 0 failed: ${done} generated workloads and fault schedules in ${wall} s (${perMinute()}/min)`,
  );
else {
  console.log(
    `counterexample after ${r.runs} runs (${done} including shrinking, ${wall} s, ${perMinute()}/min):\n${JSON.stringify(r.schedule)}\n${r.why}`,
  );
  if (r.schedule) {
    // One level below the repository root, like scenarios/, so its imports resolve.
    const file = `explored/explored-${r.schedule.seed}.ts`;
    mkdirSync('explored', { recursive: true });
    writeFileSync(file, toScenario(r.schedule, r.why ?? ''));
    console.log(`kept as ${file}`);
  }
  console.log(`${r.runs - 1} passed, 1 failed`);
  process.exitCode = 1;
}
