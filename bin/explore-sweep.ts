// `npm run test:faults`: a larger sweep of generated fault schedules (minutes, not seconds).
import { explore, toScenario } from '../sim/explore.ts';
import { mkdirSync, writeFileSync } from 'node:fs';

const runs = Number(process.env.RUNS ?? 200);
const r = await explore(runs, process.env.SEED ? Number(process.env.SEED) : undefined);
if (r.ok) console.log(`${r.runs} passed, 0 failed`);
else {
  console.log(`counterexample after ${r.runs} runs:\n${JSON.stringify(r.schedule)}\n${r.why}`);
  if (r.schedule) {
    // One level below the repository root, like scenarios/, so its imports resolve; replay with `npx sim run <file> --seed N`.
    const file = `explored/explored-${r.schedule.seed}.ts`;
    mkdirSync('explored', { recursive: true });
    writeFileSync(file, toScenario(r.schedule, r.why ?? ''));
    console.log(`kept as ${file}`);
  }
  console.log(`${r.runs - 1} passed, 1 failed`);
  process.exitCode = 1;
}
