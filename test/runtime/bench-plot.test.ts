// The latency-vs-throughput page of `npm run bench`: self-contained (no
// scripts, no external assets), one line per broker and percentile, each
// point placed by its rate and latency on log scales.

import { describe, it, expect } from 'vitest';
import { latencyPlotHtml, type LatencySeries } from '../../bench/plot.ts';

const pt = (rate: number, us: number) => ({ rate, us, min: us * 0.9, max: us * 1.2 });

describe('latencyPlotHtml', () => {
  it('draws one polyline per broker and percentile, higher latency higher up, faster rate further right', () => {
    const series: LatencySeries[] = [
      { broker: 'mqttlab', percentile: 'p50', points: [pt(1000, 100), pt(10_000, 120), pt(50_000, 300)] },
      { broker: 'mqttlab', percentile: 'p99', points: [pt(1000, 900), pt(10_000, 1500), pt(50_000, 9000)] },
      { broker: 'mosquitto', percentile: 'p50', points: [pt(1000, 90), pt(10_000, 95), pt(50_000, 200)] },
      { broker: 'aedes', percentile: 'p999', points: [] },
    ];
    const html = latencyPlotHtml(series, 'test');
    expect(html).not.toMatch(/<script|src=|href=/);
    const lines = [
      ...html.matchAll(
        /<polyline class="series" data-broker="(\w+)" data-percentile="(\w+)" points="([^"]+)"/g,
      ),
    ];
    expect(lines.map((m) => `${m[1]} ${m[2]}`)).toEqual(['mqttlab p50', 'mqttlab p99', 'mosquitto p50']);
    const xy = (m: RegExpMatchArray) => m[3].split(' ').map((p) => p.split(',').map(Number));
    const p50 = xy(lines[0]);
    const p99 = xy(lines[1]);
    expect(p50[0][0]).toBeLessThan(p50[1][0]);
    expect(p50[1][0]).toBeLessThan(p50[2][0]);
    for (let i = 0; i < 3; i++) expect(p99[i][1]).toBeLessThan(p50[i][1]); // SVG y grows downwards
    expect(html).toContain('<title>mqttlab p99 @ 50000 msg/s: 9000 µs (8100..10800)</title>');
  });

  it('refuses an empty plot', () => {
    expect(() => latencyPlotHtml([{ broker: 'mqttlab', percentile: 'p50', points: [] }], 'x')).toThrow(
      /no latency points/,
    );
  });
});
