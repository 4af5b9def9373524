// The monitoring files in deploy/: Prometheus alert rules (promtool check +
// promtool's rule unit tests when Debian's prometheus package is installed)
// and the Grafana dashboard (schema and layout), and everywhere: every series
// the rules and the dashboard query exists in a real scrape of running nodes
// (standalone with a data dir, and a two-node cluster).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { parse } from 'yaml';
import { isolated, waitUntil } from '../helpers/runtime.ts';
import { freePorts } from '../helpers/ports.ts';
import { tool } from '../helpers/tools.ts';

const RULES = 'deploy/prometheus/alerts.yml';
const DASHBOARD = 'deploy/grafana/mqttlab.json';
const promtool = tool('promtool').path !== null;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const rules: Rule[] = parse(readFileSync(RULES, 'utf8')).groups.flatMap((g: { rules: Rule[] }) => g.rules);
const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
const panels: any[] = dash.panels;
const exprs = (): string[] => [
  ...rules.map((r) => r.expr),
  ...panels.flatMap((p) => (p.targets ?? []).map((t: { expr: string }) => t.expr)),
  ...dash.templating.list.filter((v: any) => v.type === 'query').map((v: any) => v.definition),
];

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/** Metric names a PromQL expression selects: identifiers that are not functions, keywords, labels or ranges. */
export function metricNames(expr: string): string[] {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\blabel_values\(([^,)]+),[^)]*\)/g, '$1') // Grafana's variable query: (metric, label)
    .replace(/\b\d+(ms|[smhdwy])\b/g, ''); // durations
  const out: string[] = [];
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = s.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0]) || /^[0-9]/.test(m[0])) continue;
    out.push(m[0]);
  }
  return out;
}

/** Family names (TYPE lines) of a scrape, histograms with their _bucket/_sum/_count series. */
function familyNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1] + s);
  }
  return names;
}

async function scrapeText(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  expect(res.status).toBe(200);
  return res.text();
}

describe('Prometheus alert rules', () => {
  it('cover node down, peer unreachable, drops rising, queue near its limit, fsync latency, connections; each with severity, summary, description', () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const want of [
      'MqttlabNodeDown',
      'MqttlabPeerUnreachable',
      'MqttlabMessagesDropped',
      'MqttlabSessionQueueNearLimit',
      'MqttlabFsyncSlow',
      'MqttlabConnectionsHigh',
    ]) {
      expect(names).toContain(want);
    }
    for (const r of rules) {
      expect(['critical', 'warning', 'info'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary, r.alert).toMatch(/\S/);
      expect(r.annotations.description, r.alert).toMatch(/\S/);
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
    }
  });

  it.skipIf(!promtool)(
    'pass `promtool check rules` and the rule unit tests in alerts.test.yml (skipped without promtool: apt-get install prometheus)',
    () => {
      const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      const unit = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], {
        cwd: 'deploy/prometheus',
        encoding: 'utf8',
      });
      expect(unit.status, unit.stdout + unit.stderr).toBe(0);
      expect(unit.stdout).toContain('SUCCESS');
    },
  );
});

describe('Grafana dashboard', () => {
  it('is a dashboard of Prometheus panels on a 24-column grid without overlaps, ids unique, datasource and node variables defined', () => {
    expect(dash.uid).toBe('mqttlab');
    expect(dash.schemaVersion).toBeGreaterThanOrEqual(36);
    const vars = new Map(dash.templating.list.map((v: any) => [v.name, v]));
    expect((vars.get('datasource') as any)?.query).toBe('prometheus');
    expect((vars.get('instance') as any)?.type).toBe('query');
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of panels) {
      const g = p.gridPos;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
      if (p.type === 'row') continue;
      expect(['timeseries', 'stat', 'state-timeline', 'table', 'gauge'], p.title).toContain(p.type);
      expect(p.datasource.uid).toBe('${datasource}');
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      const refs = p.targets.map((t: any) => t.refId);
      expect(new Set(refs).size, p.title).toBe(refs.length);
      // Every query filters by the node variable, so the picker applies to every panel.
      for (const t of p.targets) expect(t.expr, p.title).toContain('instance=~"$instance"');
    }
    const titles = panels.map((p) => p.title).join('\n');
    for (const want of [
      'Connections',
      'Messages in / out',
      'Drops by reason',
      'Delivery latency',
      'Peer links',
      'Queue depths',
    ])
      expect(titles).toContain(want);
  });
});

describe('every series the alert rules and the dashboard query', () => {
  it('the expression reader finds metric names, not functions, labels or keywords', () => {
    expect(
      metricNames('histogram_quantile(0.99, sum by (instance, le) (rate(a_bucket{x="y{"}[5m]))) > 0.1'),
    ).toEqual(['a_bucket']);
    expect(metricNames('b / c > 0.8 and on (instance) d offset 5m')).toEqual(['b', 'c', 'd']);
    expect(metricNames('label_values(e, instance)')).toEqual(['e']);
  });

  it(
    'exists in a real scrape of running nodes (standalone with a data dir, and a two-node cluster)',
    isolated(async (rt) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-monitoring-'));
      try {
        const solo = await rt.server({ admin: { enabled: true, port: 0 }, dataDir: dir });
        const [p1, p2] = await freePorts(2);
        const seeds = [`a@127.0.0.1:${p1}`, `b@127.0.0.1:${p2}`];
        const node = (name: string, port: number) =>
          rt.server({
            node: name,
            admin: { enabled: true, port: 0 },
            cluster: { enabled: true, host: '127.0.0.1', port, secret: 's', seeds, heartbeatIntervalMs: 100 },
          });
        const a = await node('a', p1);
        const b = await node('b', p2);
        await waitUntil(() => a.cluster!.status().every((m) => m.state === 'running'), 5000, 'cluster up');
        // A forwarded message: peer acknowledgements observed (the peer histogram has series).
        const sub = await rt.client(b, { protocolVersion: 5 });
        await sub.subscribeAsync('x', { qos: 1 });
        await waitUntil(() => a.cluster!.routes.size > 0, 3000, 'route on a');
        const pub = await rt.client(a, { protocolVersion: 5 });
        await pub.publishAsync('x', 'hi', { qos: 1 });
        await sub.inbox.waitFor(1);
        const texts = await Promise.all([solo, a, b].map((s) => scrapeText(s.adminPort!)));
        const have = new Set(texts.flatMap((t) => [...familyNames(t)]));
        have.add('up'); // written by Prometheus itself for every target
        const missing = new Set<string>();
        for (const e of exprs())
          for (const n of metricNames(e)) if (!have.has(n)) missing.add(`${n} (in ${e})`);
        expect([...missing]).toEqual([]);
        // promtool's own lint of the exposition, where available.
        if (promtool) {
          for (const t of texts) {
            const lint = spawnSync('promtool', ['check', 'metrics'], { input: t, encoding: 'utf8' });
            expect(lint.stdout + lint.stderr).not.toMatch(/error/i);
          }
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );
});
