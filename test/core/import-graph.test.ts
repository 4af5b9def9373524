// The shape of core/ (issue 14): no import cycle through the cluster, the sessions or the stores, no
// large cycle anywhere, no file too long to read alone. Type-only imports count: a cycle of types
// still means none of its files can be read or replaced alone.
import { describe, expect, it } from 'vitest';
import { cycles, importGraph } from '../../scripts/import-graph.ts';

const root = new URL('../..', import.meta.url).pathname;
const g = importGraph(root);

describe('core/ import graph', () => {
  it('reads every file of core/ and the imports between them', () => {
    expect(g.files.length).toBeGreaterThan(30);
    expect(g.edges.get('core/broker.ts')).toContain('core/session.ts');
  });

  it('has no cycle that contains a cluster/, session or store file', () => {
    const bad = cycles(g).filter((c) => c.some((f) => /cluster\/|session|store/.test(f)));
    expect(bad).toEqual([]);
  });

  it('has no cycle of more than 5 files (the connection and its packet handlers may depend on each other)', () => {
    expect(cycles(g).filter((c) => c.length > 5)).toEqual([]);
  });

  it('core/broker.ts imports no cluster file, and the cluster imports no Broker class', () => {
    expect(g.edges.get('core/broker.ts')!.filter((f) => f.startsWith('core/cluster/'))).toEqual([]);
    const clusterToBroker = g.files.filter(
      (f) => f.startsWith('core/cluster/') && g.edges.get(f)!.includes('core/broker.ts'),
    );
    expect(clusterToBroker).toEqual([]);
  });

  it('has no file over 500 lines', () => {
    expect([...g.lines].filter(([, n]) => n > 500).map(([f, n]) => `${f} (${n})`)).toEqual([]);
  });

  it('finds a cycle when there is one (the check is not vacuous)', () => {
    const fake = {
      files: ['a.ts', 'b.ts', 'c.ts'],
      edges: new Map([
        ['a.ts', ['b.ts']],
        ['b.ts', ['a.ts']],
        ['c.ts', ['a.ts']],
      ]),
      lines: new Map(),
    };
    expect(cycles(fake)).toEqual([['a.ts', 'b.ts']]);
  });
});
