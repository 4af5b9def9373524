// The live world's node lookup for clients behind a balancer: overlapping lookups share one poll of
// the nodes' admin APIs (reconnect-storm --live: 3000 clients each polling every node's full client
// list starved the nodes and located none).
import { describe, it, expect } from 'vitest';
import { ClientLocator, type Fetch } from '../../sim/live/locator.ts';

/** Admin APIs of n1..n3 as a fake fetch: `where` says which nodes list a client as connected. */
function admin(where: Map<string, string[]>) {
  const ports = new Map([
    [1001, 'n1'],
    [1002, 'n2'],
    [1003, 'n3'],
  ]);
  const calls: string[] = [];
  const fetch: Fetch = async (url) => {
    const node = ports.get(Number(new URL(url).port))!;
    calls.push(node);
    await new Promise((r) => setTimeout(r, 1));
    const clients = [...where]
      .filter(([, ns]) => ns.includes(node))
      .map(([clientId]) => ({ clientId, connected: true }));
    return JSON.stringify({ clients });
  };
  const nodes = () => [...ports].map(([adminPort, name]) => ({ name, adminPort }));
  return { fetch, nodes, calls };
}

describe('ClientLocator', () => {
  it('answers 600 overlapping lookups with one request per node per round', async () => {
    const where = new Map(
      Array.from({ length: 600 }, (_, i) => [`dev-${i}`, [`n${(i % 3) + 1}`]] as [string, string[]]),
    );
    const a = admin(where);
    const loc = new ClientLocator(a.nodes, a.fetch);
    const found = await Promise.all([...where.keys()].map((id) => loc.locate(id)));
    expect(found).toEqual([...where.values()].map((ns) => ns[0]));
    expect(a.calls.length).toBe(3);
  });

  it('waits while two nodes list the client (a takeover in progress) and gives up with null after the timeout', async () => {
    const where = new Map([
      ['moving', ['n1', 'n2']],
      ['here', ['n3']],
    ]);
    const a = admin(where);
    const loc = new ClientLocator(a.nodes, a.fetch, 300, 10);
    const moving = loc.locate('moving');
    const gone = loc.locate('nowhere');
    expect(await loc.locate('here')).toBe('n3');
    where.set('moving', ['n2']); // the takeover finished
    expect(await moving).toBe('n2');
    expect(await gone).toBeNull();
  });
});
