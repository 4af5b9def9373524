// With sessions in an external store shared by the nodes (Redis: core/external-storage.ts), peers keep
// thin replicas: a session's state (subscriptions, expiry, claim time, QoS 2 ids received), not its
// messages, which the store has. A session that moves here from a failed owner (its backup fails it
// over, or its client resumes here from such a replica) gets its queue from the store while it is held,
// as it gets the orphans peers send: one more answer the held session waits for. The saving: no frame
// per peer per message accepted, acknowledged or sent at QoS 2 (docs/redis-store.md, "Measured").

import { RETRY_MS } from '../external-storage.ts';
import type { LoadedOwed, SessionLoads } from '../session-load.ts';
import type { Session } from '../session.ts';
import type { LocalNode } from './local-node.ts';

/** The name the store goes by among the peers a moved session waits for. */
const STORE = '\0store';

export class StoreFetch {
  private readonly loads: SessionLoads | null | undefined;

  constructor(private readonly b: LocalNode) {
    this.loads = b.loads;
  }

  /** Whether replicas carry no messages: the store keeps them. */
  get thin(): boolean {
    return !!this.loads;
  }

  /**
   * With thin replicas: the held session `s` waits for its messages from the store too (`waiting`
   * gets the store); `then` runs once they are in and nothing else is awaited. Retried while the
   * store fails or is slower than its load timeout, as long as `s` is still the session here.
   */
  fetch(s: Session, waiting: Set<string>, then: () => void): void {
    const loads = this.loads;
    if (!loads) return;
    const current = (): boolean => this.b.sessions.get(s.clientId) === s;
    waiting.add(STORE);
    const attempt = (): void => {
      let over = false;
      const retry = (): void => {
        over = true;
        this.b.env.clock.setTimer(RETRY_MS, () => {
          if (waiting.has(STORE) && current()) attempt();
        });
      };
      const timer = this.b.env.clock.setTimer(loads.timeoutMs, retry);
      loads.loadOwed(s.clientId, (r) => {
        if (over) return;
        timer.cancel();
        if (r instanceof Error) return retry();
        if (!waiting.delete(STORE) || !current()) return;
        for (const o of r) merge(s, o);
        if (waiting.size === 0) then();
      });
    };
    attempt();
  }
}

/** One message `s` owes from the store, older than what it holds: its key is kept (no new write). */
function merge(s: Session, o: LoadedOwed): void {
  if (o.completed) {
    if (o.msg.mid !== undefined) s.knownDone([o.msg.mid]); // a resend routed again is dropped
    return;
  }
  if (o.pid !== undefined && o.released) return s.addReleasing(o.pid);
  const sentAs = o.qos === 2 ? o.pid : undefined;
  s.deliverFront({ msg: o.msg, qos: o.qos, retain: o.retain, subIds: o.subIds, pk: o.pk, sentAs });
}
