// core/ must not reach the outside world: time, randomness, timers and I/O
// come in through core/env.ts so the simulator can control them.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';

const FORBIDDEN: [RegExp, string][] = [
  [/\bDate\s*\.\s*now\b/, 'Date.now'],
  [/\bnew\s+Date\b/, 'new Date'],
  [/\bDate\s*\(/, 'Date()'],
  [/\bMath\s*\.\s*random\b/, 'Math.random'],
  [/\bsetTimeout\b/, 'setTimeout'],
  [/\bsetInterval\b/, 'setInterval'],
  [/\bsetImmediate\b/, 'setImmediate'],
  [/\bqueueMicrotask\b/, 'queueMicrotask'],
  [/\bprocess\s*\.\s*(hrtime|nextTick|env|argv|exit)\b/, 'process.*'],
  [/\bperformance\s*\.\s*now\b/, 'performance.now'],
  [/\bcrypto\s*\.\s*(randomUUID|getRandomValues|randomBytes)\b/, 'crypto randomness'],
  [
    /from\s+['"](node:)?(net|fs|fs\/promises|dgram|tls|http|https|http2|child_process|worker_threads|os|crypto|timers|timers\/promises|cluster|dns|readline)['"]/,
    'Node I/O module',
  ],
  [
    /require\s*\(\s*['"](node:)?(net|fs|dgram|tls|http|https|child_process|os|crypto|timers)['"]\s*\)/,
    'Node I/O require',
  ],
  [/from\s+['"](ws|mqtt|seedrandom)['"]/, 'transport or randomness package'],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Source without comments and string contents, so prose does not trip the scan. */
function code(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('core/ is pure', () => {
  const list = files('core');
  it('has sources to scan', () => expect(list.length).toBeGreaterThan(5));
  for (const f of list) {
    it(`${f} uses no ambient time, randomness or I/O`, () => {
      const src = code(readFileSync(f, 'utf8'));
      const hits = FORBIDDEN.filter(([re]) => re.test(src)).map(([, name]) => name);
      expect(hits, `${f} uses ${hits.join(', ')}`).toEqual([]);
    });
  }
  it('the scanner catches violations', () => {
    const bad = code(
      'const t = Date.now(); // Math.random in a comment is fine\nimport net from "node:net";',
    );
    const hits = FORBIDDEN.filter(([re]) => re.test(bad)).map(([, n]) => n);
    expect(hits).toEqual(['Date.now', 'Node I/O module']);
  });
});
