// `sim report TRACE --html FILE`: one self-contained HTML page of a traced
// run: an SVG timeline (nodes, faults, client connections), per-phase
// delivery and worst-delay bars, delivery latency over time, and the
// verdict with every violation. No scripts, no external files.

import { writeFileSync } from 'node:fs';
import { readTrace, type Trace } from './trace.ts';

interface Ev {
  t: number;
  type: string;
  [k: string]: unknown;
}

const esc = (s: unknown) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const W = 1000; // drawing width of the time axis
const LEFT = 110;

function timeAxis(end: number, y: number, h: number): string {
  const step = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600].find((s) => end / 1000 / s <= 12) ?? 7200;
  const out: string[] = [];
  for (let s = 0; s * 1000 <= end; s += step) {
    const x = LEFT + (s * 1000 * W) / end;
    out.push(
      `<line x1="${x}" y1="${y}" x2="${x}" y2="${y + h}" stroke="#e3e7ec"/><text x="${x}" y="${y + h + 14}" class="ax">${s} s</text>`,
    );
  }
  return out.join('');
}

/** The timeline: a row per node (start/crash/restore markers), fault bands, a row per client (connected spans). */
export function timelineSvg(events: Ev[], end: number): string {
  const x = (t: number) => LEFT + (Math.min(t, end) * W) / end;
  const nodes = [...new Set(events.filter((e) => e.type === 'node.start').map((e) => String(e.node)))].sort();
  const clients = [
    ...new Set(events.filter((e) => e.type === 'client.connect').map((e) => String(e.c))),
  ].sort();
  const rowH = 18;
  const top = 24;
  const faultsY = top;
  const nodesY = faultsY + rowH + 6;
  const clientsY = nodesY + nodes.length * rowH + 10;
  const height = clientsY + clients.length * 10 + 30;
  const parts: string[] = [timeAxis(end, top - 4, height - top - 24)];
  // Fault bands: a partition, clog or pause lasts until its heal / unclog / unpause (or the end).
  const open = new Map<string, Ev>();
  const bands: string[] = [];
  const band = (from: Ev, to: number, label: string, color: string) =>
    bands.push(
      `<rect x="${x(from.t)}" y="${top - 4}" width="${Math.max(2, x(to) - x(from.t))}" height="${height - top - 24}" fill="${color}" opacity="0.12"><title>${esc(label)}</title></rect>` +
        `<rect x="${x(from.t)}" y="${faultsY}" width="${Math.max(2, x(to) - x(from.t))}" height="${rowH - 4}" fill="${color}" opacity="0.8"><title>${esc(label)}</title></rect>` +
        `<text x="${x(from.t) + 3}" y="${faultsY + 11}" class="lbl">${esc(label.slice(0, Math.max(0, Math.floor((x(to) - x(from.t)) / 6))))}</text>`,
    );
  const closers: Record<string, string> = {
    'fault.heal': 'fault.partition',
    'fault.unclog': 'fault.clog',
    'fault.unpause': 'fault.pause',
  };
  for (const e of events) {
    if (e.type === 'fault.partition' || e.type === 'fault.clog' || e.type === 'fault.pause')
      open.set(`${e.type}:${e.node ?? ''}`, e);
    const opener = closers[e.type];
    if (opener) {
      for (const [k, o] of open) {
        if (!k.startsWith(opener + ':') || (e.node !== undefined && k !== `${opener}:${e.node}`)) continue;
        band(
          o,
          e.t,
          describe(o),
          opener === 'fault.partition' ? '#d62728' : opener === 'fault.clog' ? '#ff7f0e' : '#9467bd',
        );
        open.delete(k);
      }
    }
  }
  for (const o of open.values()) band(o, end, describe(o), '#d62728');
  parts.push(...bands, `<text x="4" y="${faultsY + 11}" class="row">faults</text>`);
  nodes.forEach((n, i) => {
    const y = nodesY + i * rowH;
    parts.push(
      `<text x="4" y="${y + 12}" class="row">${esc(n)}</text><line x1="${LEFT}" y1="${y + 8}" x2="${LEFT + W}" y2="${y + 8}" stroke="#2c7fb8" stroke-width="6" opacity="0.35"/>`,
    );
  });
  for (const e of events) {
    const i = nodes.indexOf(String(e.node));
    const point =
      /^(fault\.(crash|pause|skew|drift|reset)|node\.)/.test(e.type) || e.type === 'cluster.peer.down';
    if (!point || i < 0) continue;
    const y = nodesY + i * rowH;
    const color =
      e.type === 'cluster.peer.down' ? '#ff7f0e' : e.type.startsWith('fault.') ? '#d62728' : '#1a7f37';
    parts.push(
      `<circle cx="${x(e.t)}" cy="${y + 8}" r="3.5" fill="${color}"><title>${esc(`${(e.t / 1000).toFixed(2)} s ${e.type} ${e.peer ?? ''}`)}</title></circle>`,
    );
  }
  parts.push(`<text x="4" y="${clientsY - 2}" class="row">clients</text>`);
  clients.forEach((c, i) => {
    const y = clientsY + i * 10;
    let since: number | null = null;
    const spans: [number, number][] = [];
    for (const e of events) {
      if (e.c !== c) continue;
      if (e.type === 'client.connack' && e.rc === 0) since = e.t;
      else if (
        (e.type === 'client.closed' || e.type === 'client.disconnect' || e.type === 'client.kill') &&
        since !== null
      ) {
        spans.push([since, e.t]);
        since = null;
      }
    }
    if (since !== null) spans.push([since, end]);
    parts.push(`<text x="${LEFT - 4}" y="${y + 7}" class="cl" text-anchor="end">${esc(c)}</text>`);
    for (const [a, b] of spans)
      parts.push(
        `<rect x="${x(a)}" y="${y + 1}" width="${Math.max(1, x(b) - x(a))}" height="7" fill="#4c9a2a"><title>${esc(`${c} connected ${(a / 1000).toFixed(2)}-${(b / 1000).toFixed(2)} s`)}</title></rect>`,
      );
  });
  return `<svg class="timeline" viewBox="0 0 ${LEFT + W + 20} ${height}" width="${LEFT + W + 20}" height="${height}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

function describe(e: Ev): string {
  if (e.type === 'fault.partition')
    return `partition ${
      String(e.a)
        .split(',')
        .filter((h) => /^n\d/.test(h))
        .join('+') || e.a
    } | ${
      String(e.b)
        .split(',')
        .filter((h) => /^n\d/.test(h))
        .join('+') || e.b
    }`;
  return `${e.type.slice(6)} ${e.node ?? ''}`.trim();
}

/** Delivery latency of each delivered message (deliver.t - pub.invoke.t), over the publish time, log scale. */
export function latencySvg(
  events: Ev[],
  end: number,
): { svg: string; p50: number; p99: number; max: number; n: number } {
  const sent = new Map<string, number>();
  const pts: [number, number][] = [];
  for (const e of events) {
    if (e.type === 'pub.invoke') sent.set(String(e.id), e.t);
    else if (e.type === 'deliver') {
      const t0 = sent.get(String(e.id));
      if (t0 !== undefined) pts.push([t0, Math.max(0.1, e.t - t0)]);
    }
  }
  const sorted = pts.map((p) => p[1]).sort((a, b) => a - b);
  const q = (f: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] : 0;
  const H = 200;
  const maxMs = Math.max(10, sorted[sorted.length - 1] ?? 10);
  const lo = Math.log10(0.1);
  const hi = Math.log10(maxMs * 1.2);
  const y = (ms: number) => 10 + H - ((Math.log10(ms) - lo) / (hi - lo)) * H;
  const parts: string[] = [timeAxis(end, 10, H)];
  for (let d = -1; d <= hi; d++)
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + W}" y1="${y(10 ** d)}" y2="${y(10 ** d)}" stroke="#eef1f4"/><text x="${LEFT - 6}" y="${y(10 ** d) + 4}" class="ax" text-anchor="end">${10 ** d >= 1000 ? `${10 ** d / 1000} s` : `${10 ** d} ms`}</text>`,
    );
  // At most ~4000 points drawn (evenly thinned): the page stays small.
  const every = Math.max(1, Math.ceil(pts.length / 4000));
  for (let i = 0; i < pts.length; i += every)
    parts.push(
      `<circle cx="${(LEFT + (pts[i][0] * W) / end).toFixed(1)}" cy="${y(pts[i][1]).toFixed(1)}" r="1.4" fill="#1f77b4" opacity="0.5"/>`,
    );
  const svg = `<svg viewBox="0 0 ${LEFT + W + 20} ${H + 40}" width="${LEFT + W + 20}" height="${H + 40}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
  return { svg, p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1] ?? 0, n: sorted.length };
}

function phasesSvg(phases: NonNullable<Trace['footer']['phases']>): string {
  const rowH = 26;
  const maxCount = Math.max(1, ...phases.flatMap((p) => [p.published, p.delivered]));
  const maxDelay = Math.max(1, ...phases.map((p) => p.maxDelayMs));
  const parts: string[] = [
    `<text x="150" y="12" class="ax">messages (published ▮ delivered ▮ lost ▮)</text><text x="620" y="12" class="ax">worst delay (log)</text>`,
  ];
  phases.forEach((p, i) => {
    const y = 20 + i * rowH;
    const bw = (n: number) => (n / maxCount) * 400;
    parts.push(
      `<text x="4" y="${y + 14}" class="row">${esc(p.phase)}</text>`,
      `<rect x="150" y="${y}" width="${bw(p.published)}" height="9" fill="#9ecae1"><title>${p.published} published</title></rect>`,
      `<rect x="150" y="${y + 10}" width="${bw(p.delivered)}" height="9" fill="#3182bd"><title>${p.delivered} delivered</title></rect>`,
      p.lost
        ? `<rect x="${150 + bw(p.delivered)}" y="${y + 10}" width="${Math.max(2, bw(p.lost))}" height="9" fill="#d62728"><title>${p.lost} lost</title></rect>`
        : '',
      `<text x="${155 + bw(Math.max(p.published, p.delivered))}" y="${y + 16}" class="ax">${p.published} / ${p.delivered}${p.lost ? ` / ${p.lost} lost` : ''}${p.duplicated ? `, ${p.duplicated} dup` : ''}</text>`,
      `<rect x="620" y="${y + 4}" width="${(Math.log10(1 + p.maxDelayMs) / Math.log10(1 + maxDelay)) * 300}" height="12" fill="#fdae6b"/><text x="${625 + (Math.log10(1 + p.maxDelayMs) / Math.log10(1 + maxDelay)) * 300}" y="${y + 14}" class="ax">${p.maxDelayMs} ms</text>`,
    );
  });
  return `<svg viewBox="0 0 1130 ${30 + phases.length * rowH}" width="1130" height="${30 + phases.length * rowH}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

export function reportHtml(trace: Trace): string {
  const events: Ev[] = trace.history.map((l) => JSON.parse(l));
  const f = trace.footer;
  const end = Math.max(1, f.simulatedMs ?? events[events.length - 1]?.t ?? 1);
  const lat = latencySvg(events, end);
  const violations = f.violations ?? [];
  const verdict = violations.length ? `FAIL (${violations.length})` : 'PASS';
  const h = trace.header;
  const drops = new Map<string, number>();
  for (const e of events)
    if (e.type === 'drop') drops.set(String(e.reason), (drops.get(String(e.reason)) ?? 0) + 1);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(h.name)} seed ${esc(h.seed)}: ${verdict}</title>
<style>
body{font:14px system-ui,sans-serif;margin:20px;color:#1d2530;background:#fff}h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:22px 0 6px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600;background:${violations.length ? '#c62828' : '#1a7f37'}}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eef1f4;text-align:left}
svg text{font:11px system-ui,sans-serif}svg .ax{fill:#5a6b7d}svg .row{fill:#1d2530;font-weight:600}svg .cl{fill:#5a6b7d;font-size:8px}svg .lbl{fill:#fff;font-size:10px}
.meta{color:#5a6b7d}
</style></head><body>
<h1>${esc(h.name)} <span class="meta">seed ${esc(h.seed)}</span> <span class="verdict">${verdict}</span></h1>
<div class="meta">${esc(h.scenario)} · ${(end / 1000).toFixed(2)} s simulated · ${f.events ?? '?'} events · history ${f.lines} lines, hash ${esc(f.hash)}${Object.keys(h.params ?? {}).length ? ` · params ${esc(JSON.stringify(h.params))}` : ''}</div>
<h2>Checker verdicts</h2>
${violations.length ? `<table><tr><th>property</th><th>detail</th></tr>${violations.map((v) => `<tr><td>${esc(v.property)}</td><td>${esc(v.detail)}</td></tr>`).join('')}</table>` : '<p>Every checker passed: no violation.</p>'}
${
  Object.keys(f.report ?? {}).length
    ? `<table>${Object.entries(f.report!)
        .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
        .join('')}</table>`
    : ''
}
<h2>Timeline</h2>
${timelineSvg(events, end)}
<h2>Per phase: delivery and worst delay</h2>
${f.phases?.length ? phasesSvg(f.phases) : '<p>The scenario reports no phases.</p>'}
<h2>Delivery latency over time</h2>
<div class="meta">${lat.n} deliveries · p50 ${lat.p50.toFixed(1)} ms · p99 ${lat.p99.toFixed(1)} ms · max ${lat.max.toFixed(1)} ms (publish to delivery, by publish time)</div>
${lat.svg}
${drops.size ? `<h2>Drops</h2><table>${[...drops].map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join('')}</table>` : ''}
</body></html>
`;
}

export function writeReportHtml(traceFile: string, out: string): void {
  writeFileSync(out, reportHtml(readTrace(traceFile)));
}
