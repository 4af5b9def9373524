// The latency-vs-throughput curve of `npm run bench` as one self-contained
// HTML file (inline SVG, no scripts, no external assets): x is the publish
// rate, y the end-to-end latency, both log scale; one colour per broker,
// one dash pattern per percentile, min..max of the repetitions as a bar.

export interface LatencySeries {
  broker: string;
  percentile: 'p50' | 'p99' | 'p999';
  points: { rate: number; us: number; min: number; max: number }[];
}

const COLORS: Record<string, string> = { mqttlab: '#d62728', mosquitto: '#1f77b4', aedes: '#2ca02c' };
const DASH: Record<LatencySeries['percentile'], string> = { p50: '', p99: '6 4', p999: '2 3' };
const W = 720;
const H = 440;
const M = { left: 70, right: 170, top: 30, bottom: 50 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function logScale(lo: number, hi: number, a: number, b: number): (v: number) => number {
  const l0 = Math.log10(lo);
  const l1 = Math.log10(hi);
  return (v) => a + ((Math.log10(v) - l0) / (l1 - l0 || 1)) * (b - a);
}

/** Powers of ten (and 2x, 5x) between lo and hi, for ticks. */
function ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  return out;
}

const fmt = (v: number) => (v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : String(+v.toFixed(1)));

export function latencyPlotHtml(series: LatencySeries[], note: string): string {
  const pts = series.flatMap((s) => s.points);
  if (pts.length === 0) throw new Error('no latency points to plot');
  const rates = pts.map((p) => p.rate);
  const us = pts.flatMap((p) => [p.min, p.max, p.us]).filter((v) => v > 0);
  const [xLo, xHi] = [Math.min(...rates) / 1.5, Math.max(...rates) * 1.5];
  const [yLo, yHi] = [Math.min(...us) / 1.5, Math.max(...us) * 1.5];
  const x = logScale(xLo, xHi, M.left, W - M.right);
  const y = logScale(yLo, yHi, H - M.bottom, M.top);
  const svg: string[] = [];
  svg.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  svg.push(
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#999"/>`,
  );
  for (const t of ticks(yLo, yHi)) {
    svg.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#eee"/>`,
    );
    svg.push(`<text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const r of [...new Set(rates)])
    svg.push(`<text x="${x(r).toFixed(1)}" y="${H - M.bottom + 18}" text-anchor="middle">${fmt(r)}</text>`);
  svg.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">publish rate (msg/s, log)</text>`,
  );
  svg.push(
    `<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">end-to-end latency (µs, log)</text>`,
  );
  let ly = M.top + 6;
  for (const s of series) {
    if (s.points.length === 0) continue;
    const color = COLORS[s.broker] ?? '#555';
    const path = s.points.map((p) => `${x(p.rate).toFixed(1)},${y(p.us).toFixed(1)}`).join(' ');
    svg.push(
      `<polyline class="series" data-broker="${esc(s.broker)}" data-percentile="${s.percentile}" points="${path}" fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="${DASH[s.percentile]}"/>`,
    );
    for (const p of s.points) {
      svg.push(
        `<line x1="${x(p.rate).toFixed(1)}" x2="${x(p.rate).toFixed(1)}" y1="${y(p.min).toFixed(1)}" y2="${y(p.max).toFixed(1)}" stroke="${color}" stroke-opacity="0.4" stroke-width="4"/>`,
      );
      svg.push(
        `<circle cx="${x(p.rate).toFixed(1)}" cy="${y(p.us).toFixed(1)}" r="3" fill="${color}"><title>${esc(s.broker)} ${s.percentile} @ ${p.rate} msg/s: ${Math.round(p.us)} µs (${Math.round(p.min)}..${Math.round(p.max)})</title></circle>`,
      );
    }
    svg.push(
      `<line x1="${W - M.right + 12}" x2="${W - M.right + 42}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2" stroke-dasharray="${DASH[s.percentile]}"/>`,
    );
    svg.push(`<text x="${W - M.right + 48}" y="${ly + 4}">${esc(s.broker)} ${s.percentile}</text>`);
    ly += 18;
  }
  svg.push('</svg>');
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><title>mqttlab latency vs throughput</title></head>',
    '<body style="font-family:sans-serif">',
    '<h1 style="font-size:18px">Latency vs throughput (QoS 0, 64 B, 1 publisher → 1 subscriber over loopback)</h1>',
    svg.join('\n'),
    `<p>${esc(note)}. Points are medians; bars span min..max of the repetitions. From <code>npm run bench</code>.</p>`,
    '</body></html>',
    '',
  ].join('\n');
}
