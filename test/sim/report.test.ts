// Pictures and CI output of simulator runs: `sim run --junit` (one case per
// seed, failures per violation), `sim report TRACE --html` (one
// self-contained page), and that page rendered by headless Chromium.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { junitXml, caseOf } from '../../sim/junit.ts';
import { reportHtml } from '../../sim/report-html.ts';
import { readTrace } from '../../sim/trace.ts';
import { ROOT } from '../helpers/processes.ts';

const CHROMIUM = ['chromium', 'chromium-browser'].find((c) => spawnSync(c, ['--version']).status === 0);
let dir = '';
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqttlab-report-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('JUnit XML', () => {
  it('one case per run, a failure per violation, text escaped, counts in the suite', () => {
    const base = {
      scenario: 'x<y',
      hash: 'h',
      events: 1,
      historyLines: 1,
      simulatedMs: 1000,
      wallMs: 1500,
      report: { note: 'a & b' },
    };
    const xml = junitXml('sim run s.ts', [
      caseOf({ ...base, seed: '1', violations: [] }, 'npx sim run s.ts --seed 1'),
      caseOf(
        { ...base, seed: '2', violations: [{ property: 'no-loss', detail: 'msg "m1" <lost>\u0001' }] },
        'npx sim run s.ts --seed 2',
      ),
    ]);
    expect(xml).toContain(
      '<testsuite name="sim run s.ts" tests="2" failures="1" errors="0" skipped="0" time="3.000">',
    );
    expect(xml).toContain('<testcase name="seed 1" classname="x&lt;y" time="1.500">');
    expect(xml).toContain(
      '<failure type="no-loss" message="no-loss: msg &quot;m1&quot; &lt;lost&gt;\ufffd (replay: npx sim run s.ts --seed 2)">',
    );
    expect(xml).toContain(
      '<system-out>history hash h, 1 events, 1.00 s simulated\nnote: a &amp; b</system-out>',
    );
    // Balanced tags: every opened element is closed.
    for (const tag of ['testsuites', 'testsuite', 'testcase', 'system-out'])
      expect(xml.split(new RegExp(`<${tag}[ >]`)).length).toBe(xml.split(`</${tag}>`).length);
  });
});

describe('sim run --junit / --trace and sim report --html', () => {
  let trace = '';
  let html = '';

  it('the CLI writes JUnit XML and a trace; the report is one page with an SVG timeline, phases, latency and verdicts', () => {
    trace = path.join(dir, 't.jsonl');
    const junit = path.join(dir, 'j.xml');
    html = path.join(dir, 'r.html');
    const r = spawnSync(
      process.execPath,
      [
        'bin/sim.js',
        'run',
        'scenarios/will-on-node-crash.ts',
        '--seed',
        '1',
        '--trace',
        trace,
        '--junit',
        junit,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const xml = fs.readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="sim run scenarios\/will-on-node-crash.ts" tests="1" failures="0"/);
    expect(xml).toMatch(/<testcase name="seed 1" classname="will-on-node-crash"/);
    const rep = spawnSync(process.execPath, ['bin/sim.js', 'report', trace, '--html', html], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(rep.status, rep.stderr).toBe(0);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('<svg class="timeline"');
    expect(page).toContain('class="verdict">PASS<');
    expect(page).toContain('Delivery latency over time');
    expect(page).toContain(readTrace(trace).footer.hash);
    // Self-contained: no scripts, no external resources.
    expect(page).not.toMatch(/<script|<link|src=|href=|@import|url\(/);
    // The crashed node shows on the timeline.
    expect(page).toMatch(/<title>[\d.]+ s fault\.crash/);
  }, 180_000);

  it('a failing run shows FAIL with each violation', () => {
    const t = readTrace(trace);
    const page = reportHtml({
      ...t,
      footer: { ...t.footer, violations: [{ property: 'no-loss', detail: 'p1:7 <never delivered>' }] },
    });
    expect(page).toContain('class="verdict">FAIL (1)<');
    expect(page).toContain('<td>no-loss</td><td>p1:7 &lt;never delivered&gt;</td>');
  });

  it.skipIf(!CHROMIUM)(
    'renders in headless Chromium: the DOM holds the SVGs, a screenshot is written (skipped without chromium: apt-get install chromium)',
    () => {
      const args = [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${path.join(dir, 'profile')}`,
      ];
      const dom = spawnSync(CHROMIUM!, [...args, '--dump-dom', `file://${html}`], {
        encoding: 'utf8',
        timeout: 90_000,
      });
      expect(dom.status, dom.stderr.slice(-500)).toBe(0);
      expect((dom.stdout.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(2); // timeline and latency (this scenario has no phases)
      expect(dom.stdout).toContain('Checker verdicts');
      const png = path.join(dir, 'shot.png');
      const shot = spawnSync(
        CHROMIUM!,
        [...args, '--window-size=1280,1400', `--screenshot=${png}`, `file://${html}`],
        { encoding: 'utf8', timeout: 90_000 },
      );
      expect(shot.status, shot.stderr.slice(-500)).toBe(0);
      const buf = fs.readFileSync(png);
      expect(buf.subarray(1, 4).toString()).toBe('PNG');
      expect(buf.readUInt32BE(16)).toBe(1280); // width from the IHDR chunk
      expect(buf.length).toBeGreaterThan(20_000); // a drawn page, not a blank one (a blank 1280x1400 PNG is ~5 KB)
    },
    200_000,
  );
});
