// JUnit XML for CI systems (`sim run --junit FILE`, also with --seeds, and
// `sim explore --junit FILE`): one test suite per command, one test case per
// run (scenario and seed), a <failure> per violated property.

import { writeFileSync } from 'node:fs';
import type { RunResult } from './scenario.ts';

export interface JUnitCase {
  /** The test's name, e.g. "seed 2". */
  name: string;
  /** Groups cases, e.g. the scenario name. */
  classname: string;
  seconds: number;
  failures: { type: string; message: string }[];
  /** Extra lines (the run's report), as system-out. */
  out?: string;
}

const esc = (s: string) =>
  s
    // Characters XML 1.0 cannot hold at all.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

export function caseOf(r: RunResult, replay: string): JUnitCase {
  const report = Object.entries(r.report).map(([k, v]) => `${k}: ${v}`);
  return {
    name: `seed ${r.seed}`,
    classname: r.scenario,
    seconds: r.wallMs / 1000,
    failures: r.violations.map((v) => ({
      type: v.property,
      message: `${v.property}: ${v.detail} (replay: ${replay})`,
    })),
    out: [
      `history hash ${r.hash}, ${r.events} events, ${(r.simulatedMs / 1000).toFixed(2)} s simulated`,
      ...report,
    ].join('\n'),
  };
}

export function junitXml(suite: string, cases: JUnitCase[]): string {
  const failures = cases.filter((c) => c.failures.length > 0).length;
  const time = cases.reduce((a, c) => a + c.seconds, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(suite)}" tests="${cases.length}" failures="${failures}" errors="0" time="${time.toFixed(3)}">`,
    `  <testsuite name="${esc(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${time.toFixed(3)}">`,
  ];
  for (const c of cases) {
    lines.push(
      `    <testcase name="${esc(c.name)}" classname="${esc(c.classname)}" time="${c.seconds.toFixed(3)}">`,
    );
    for (const f of c.failures)
      lines.push(
        `      <failure type="${esc(f.type)}" message="${esc(f.message)}">${esc(f.message)}</failure>`,
      );
    if (c.out) lines.push(`      <system-out>${esc(c.out)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}

export function writeJUnit(file: string, suite: string, cases: JUnitCase[]): void {
  writeFileSync(file, junitXml(suite, cases));
}
