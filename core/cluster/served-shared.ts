// Share-group messages a member on this node was given, by message id: a forward served here, or
// an orphan given to a session failed over here. A session handed to this node later must not bring
// a copy the group already had (a node paused or cut off serves a forward from its inbox while its
// peer, taking it for dead, fails it over to another member's session: one message, two members).

import { matches } from '../topic.ts';
import type { HandoffBody, WireMessage } from './peer-protocol.ts';

export class ServedShared {
  /** mid -> group keys served, the latest `bound` messages. */
  private served = new Map<string, string[]>();

  constructor(
    private readonly bound: number,
    /** Whether share group `key` (`$share/{group}/{filter}`) has a member on this node. */
    private readonly servesGroup: (key: string) => boolean,
  ) {}

  /** A forward for these share groups was dispatched here: note those with a member here. */
  forwarded(mid: string | undefined, groups: string[]): void {
    if (mid !== undefined)
      this.note(
        mid,
        groups.filter((g) => this.servesGroup(g)),
      );
  }

  /** Members here were given `mid` for these share groups. */
  note(mid: string, groups: string[]): void {
    if (!groups.length) return;
    this.served.set(mid, [...(this.served.get(mid) ?? []), ...groups]);
    if (this.served.size > this.bound) this.served.delete(this.served.keys().next().value!);
  }

  /** A handed-over message owed only through a share group that a member here was already given it for. */
  servedHere(w: WireMessage, subs: HandoffBody['subs']): boolean {
    const gs = w.mid === undefined ? undefined : this.served.get(w.mid);
    if (!gs) return false;
    const plain = subs.some((x) => !x.key.startsWith('$share/') && matches(x.key, w.topic));
    return !plain && subs.some((x) => gs.includes(x.key));
  }
}
