// Top self-time functions of a V8 .cpuprofile (from `npm run bench -- --cpu-prof DIR`).
//   tsx bench/prof-top.ts FILE.cpuprofile [N] [--skip MS]   (--skip: leave out the first MS, e.g. start-up)
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
const prof = JSON.parse(readFileSync(process.argv[2], 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const n = Number(process.argv[3]?.startsWith('--') ? 25 : (process.argv[3] ?? 25));
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const self = new Map<string, number>();
const skipAt = process.argv.indexOf('--skip');
const skipUs = skipAt > 0 ? Number(process.argv[skipAt + 1]) * 1000 : 0;
let total = 0;
let clock = 0;
prof.samples.forEach((id, i) => {
  clock += prof.timeDeltas[i] ?? 0;
  if (clock < skipUs) return;
  const f = byId.get(id)!.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules\/|work\/wt\/[^/]+\/)/, '')}:${f.lineNumber + 1}`;
  const dt = prof.timeDeltas[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
const busy = total - (self.get('(idle) :0') ?? 0);
console.log(`total ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n))
  console.log(`${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
