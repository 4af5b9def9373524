#!/usr/bin/env node
// npm links the bins of dependencies into node_modules/.bin, not the
// project's own; link ours too so `npx runtime` and `npx sim` work in a
// fresh clone right after `npm ci`.
import { mkdirSync, symlinkSync, rmSync, readFileSync, chmodSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const binDir = join(root, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
for (const [name, target] of Object.entries(pkg.bin ?? {})) {
  const link = join(binDir, name);
  rmSync(link, { force: true });
  symlinkSync(relative(binDir, join(root, target)), link);
  chmodSync(join(root, target), 0o755);
}
