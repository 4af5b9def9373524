import { it } from 'vitest';
import fc from 'fast-check';
import { TestClient, newBroker } from './helpers/core-client.ts';
import * as M from './malformed-input.test.ts';
it('stats', () => {
  const arb = (M as any).__mutatedScenario as fc.Arbitrary<any>;
  const samples = fc.sample(arb, { seed: 0x5eed + 2, numRuns: 400 });
  let both = 0, connectedEnd = 0, closed = 0, disc = 0, nochunks = 0;
  const rc: Record<string, number> = {};
  for (const s of samples) {
    const all = Buffer.concat(s.chunks);
    if (all.includes('$queue/wb/x') && all.includes('$share/$queue/wb/x')) both++;
    const { broker } = newBroker();
    const bad = new TestClient(broker, 5);
    for (const c of s.chunks) bad.sendRaw(c);
    if (bad.conn.state === 'connected') connectedEnd++;
    if (bad.closed) closed++;
  }
  console.log({ both, connectedEnd, closed, n: samples.length, closedByReason: 0 });
});
