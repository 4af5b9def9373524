// The import graph of core/: every `import`/`export ... from` of a relative .ts file (type-only
// imports included: a type cycle still means no file can be read alone). Prints the strongly
// connected components with more than one file, and the files over the line limit.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface ImportGraph {
  files: string[];
  edges: Map<string, string[]>;
  lines: Map<string, number>;
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
}

export function importGraph(root: string, dir = 'core'): ImportGraph {
  const abs: string[] = [];
  walk(join(root, dir), abs);
  const files = abs.map((f) => relative(root, f)).sort();
  const edges = new Map<string, string[]>();
  const lines = new Map<string, number>();
  const re = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/g;
  for (const f of files) {
    const text = readFileSync(join(root, f), 'utf8');
    lines.set(f, text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
    const to = new Set<string>();
    for (const m of text.matchAll(re)) to.add(relative(root, resolve(root, dirname(f), m[1])));
    edges.set(f, [...to].filter((t) => t !== f).sort());
  }
  return { files, edges, lines };
}

/** Tarjan's strongly connected components with more than one file, largest first. */
export function cycles(g: ImportGraph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.edges.get(v) ?? []) {
      if (!g.edges.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const f of g.files) if (!idx.has(f)) visit(f);
  return out.sort((a, b) => b.length - a.length);
}

if (process.argv[1]?.endsWith('import-graph.ts')) {
  const g = importGraph(process.cwd());
  const cs = cycles(g);
  console.log(`${g.files.length} files in core/, ${cs.length} import cycle(s)`);
  for (const c of cs) console.log(`  cycle of ${c.length}: ${c.join(' ')}`);
  const big = [...g.lines].filter(([, n]) => n > 500).sort((a, b) => b[1] - a[1]);
  for (const [f, n] of big) console.log(`  over 500 lines: ${f} (${n})`);
}
