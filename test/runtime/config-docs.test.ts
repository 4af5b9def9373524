// docs/configuration.md is generated from the config schema (scripts/config-docs.ts): it must be
// current and name every key the broker accepts.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC, configKeys, render } from '../../scripts/config-docs.ts';
import { runtimeConfig } from '../../runtime/config.ts';

describe('docs/configuration.md', () => {
  it('is what scripts/config-docs.ts generates (else: npx tsx scripts/config-docs.ts)', () => {
    expect(readFileSync(DOC, 'utf8')).toBe(render());
  });

  it('lists every config key, each accepted by the broker with its documented default', () => {
    const text = readFileSync(DOC, 'utf8');
    const keys = configKeys();
    expect(keys.length).toBeGreaterThan(80);
    for (const [k] of keys) expect(text, k).toContain(`| \`${k}\` |`);
    // Every documented row is a key the broker accepts: a config made of all of them at their defaults starts.
    const cfg: Record<string, any> = {};
    for (const m of text.matchAll(/^\| `([\w.]+)` \| `(.*?)` \|/gm)) {
      const path = m[1].split('.');
      let o = cfg;
      for (const p of path.slice(0, -1)) o = o[p] ??= {};
      o[path[path.length - 1]] = JSON.parse(m[2].replace(/\\\|/g, '|'));
    }
    expect(() => runtimeConfig({ ...cfg, cluster: { ...cfg.cluster, enabled: false } })).not.toThrow();
  });
});
