// The model as plain text, for when stdout is not a terminal (runtime ui
// piped or redirected prints one look at the cluster and exits).

import type { UiState } from './model.ts';
import { fmtUptime } from './model.ts';

export function plainText(s: UiState): string {
  const out: string[] = [];
  out.push(`${s.title}`);
  out.push('node        state        uptime  conn  sess  routes  queued  in/s   out/s');
  for (const n of s.nodes) {
    const r = s.rates[n.name];
    out.push(
      [
        n.name.padEnd(11),
        n.state.padEnd(12),
        fmtUptime(n.uptimeMs).padStart(6),
        String(n.connections).padStart(5),
        String(n.sessions).padStart(5),
        String(n.routes).padStart(7),
        String(n.queued).padStart(7),
        (r ? r.inPerSec.toFixed(1) : '-').padStart(6),
        (r ? r.outPerSec.toFixed(1) : '-').padStart(7),
      ].join(' '),
    );
  }
  if (s.links.length)
    out.push(
      `links  ${s.links.map((l) => `${l.a}-${l.b} ${l.state}${l.open ? ` (${l.open} open)` : ''}`).join(', ')}`,
    );
  for (const p of s.properties)
    out.push(
      `${p.status === 'passing' ? 'ok  ' : p.status === 'failing' ? 'FAIL' : '... '} ${p.name}: ${p.detail}`,
    );
  return out.join('\n');
}
