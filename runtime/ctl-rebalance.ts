// `runtime ctl rebalance ...`: the requests for runtime/rebalance-api.ts and how their answers print.

import type { CtlCommand } from './ctl.ts';

export interface RebalanceFlags {
  evacuation?: boolean;
  'migrate-to'?: string;
  'conn-evict-rate'?: number;
  'sess-evict-rate'?: number;
  'wait-health-check'?: number;
  'wait-takeover'?: number;
  'redirect-to'?: string;
  nodes?: string;
  'conn-threshold'?: number;
  'rel-conn-threshold'?: number;
}

/** `rebalance start [--evacuation]`: the flags that apply, as the API's body. */
export function rebalanceStart(f: RebalanceFlags, usage: (message: string) => never): CtlCommand {
  const only = f.evacuation
    ? (['nodes', 'conn-threshold', 'rel-conn-threshold'] as const)
    : (['migrate-to', 'sess-evict-rate', 'redirect-to'] as const);
  for (const k of only)
    if (f[k] !== undefined)
      usage(`--${k} is for rebalance start ${f.evacuation ? 'without' : 'with'} --evacuation`);
  const body: Record<string, unknown> = {};
  const put = (key: string, v: unknown) => {
    if (v !== undefined) body[key] = v;
  };
  put('connEvictRate', f['conn-evict-rate']);
  put('waitHealthCheck', f['wait-health-check']);
  put('waitTakeover', f['wait-takeover']);
  if (f.evacuation) {
    put('migrateTo', f['migrate-to']);
    put('sessEvictRate', f['sess-evict-rate']);
    put('redirectTo', f['redirect-to']);
  } else {
    put('nodes', f.nodes);
    put('connThreshold', f['conn-threshold']);
    put('relConnThreshold', f['rel-conn-threshold']);
  }
  return {
    method: 'POST',
    path: f.evacuation ? '/api/rebalance/evacuation/start' : '/api/rebalance/start',
    body,
    render: (r) => `${r.result} ${r.node}\n\n${renderRebalance(r)}`,
  };
}

/** The status answer as lines. */
export function renderRebalance(r: any): string {
  const out: string[] = [];
  const e = r.evacuation;
  if (e)
    out.push(
      `${e.kind} on ${r.node}: ${e.phase}, targets ${e.targets.join(',') || '-'}`,
      `  connections evicted ${e.connectionsEvicted}, left ${e.connectionsLeft} (${e.connEvictRate}/s)`,
      `  sessions moved ${e.sessionsMigrated}, left ${e.sessionsLeft} (${e.sessEvictRate}/s)`,
    );
  const p = r.rebalance;
  if (p) {
    const loads = Object.entries(p.loads ?? {}).map(([n, c]) => `${n}:${c}`);
    const donors = Object.entries(p.donors ?? {}).map(([n, c]) => `${n}:-${c}`);
    out.push(
      `rebalance coordinated by ${r.node}: ${p.phase}${p.reason ? ` (${p.reason})` : ''}`,
      `  connections ${loads.join(' ') || '-'}; donors ${donors.join(' ') || '-'}`,
    );
  }
  return out.length ? out.join('\n') : `nothing runs on ${r.node}`;
}
