// Which node holds a client's live connection, for clients behind a balancer (they cannot tell).
// Asked of the nodes' admin APIs (`GET /api/clients`). Lookups that overlap share one poll: one
// request per node per round answers all of them, so a reconnect storm of thousands of clients
// costs a few requests per round instead of thousands of full client lists per node (which starved
// the nodes: reconnect-storm --live located none of 3000 clients and ended with all disconnected).

export interface LocatorNode {
  name: string;
  adminPort: number;
}

/** GET a URL, the body on 200, else null. */
export type Fetch = (url: string, timeoutMs: number) => Promise<string | null>;

interface Lookup {
  clientId: string;
  deadline: number;
  resolve: (node: string | null) => void;
}

export class ClientLocator {
  private pending: Lookup[] = [];
  private polling = false;

  constructor(
    /** The nodes to ask (those up now). */
    private readonly nodes: () => LocatorNode[],
    private readonly fetch: Fetch,
    private readonly timeoutMs = 2000,
    private readonly retryMs = 20,
  ) {}

  /** The node that lists the client as connected, once exactly one does; null after the timeout. */
  locate(clientId: string): Promise<string | null> {
    return new Promise((resolve) => {
      this.pending.push({ clientId, deadline: Date.now() + this.timeoutMs, resolve });
      if (!this.polling) void this.poll();
    });
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      while (this.pending.length) {
        const holders = new Map<string, string[]>();
        await Promise.all(
          this.nodes().map(async (n) => {
            const body = await this.fetch(`http://127.0.0.1:${n.adminPort}/api/clients`, 500);
            let list: { clientId: string; connected: boolean }[];
            try {
              list = body ? JSON.parse(body).clients : [];
            } catch {
              return; // a cut-off answer: ask again next round
            }
            for (const c of list) {
              if (c.connected) holders.set(c.clientId, [...(holders.get(c.clientId) ?? []), n.name]);
            }
          }),
        );
        const now = Date.now();
        this.pending = this.pending.filter((l) => {
          const at = holders.get(l.clientId);
          if (at?.length === 1) l.resolve(at[0]);
          else if (now >= l.deadline) l.resolve(null);
          else return true;
          return false;
        });
        if (this.pending.length) await new Promise((r) => setTimeout(r, this.retryMs));
      }
    } finally {
      this.polling = false;
    }
  }
}
