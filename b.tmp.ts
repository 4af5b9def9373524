import { liveSchedules, diffOne } from './sim/live/differential.ts';
const ss = liveSchedules(50, 1);
const r = await diffOne(ss[29], 29, 0.05);
console.log(JSON.stringify({ sim: r.sim, live: r.live, details: r.details, notes: r.notes }, null, 1));
