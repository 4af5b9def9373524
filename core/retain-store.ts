// Retained messages, one per topic name, found by topic filter on SUBSCRIBE.
// Stored as a level tree so a wildcard subscribe visits only the branches
// it can match, not every retained message.

import type { Message } from './message.ts';

interface Node {
  children: Map<string, Node> | null;
  msg: Message | undefined;
}

export class RetainStore {
  private root: Node = { children: null, msg: undefined };
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Sets (or, with an empty payload, clears) the retained message of `msg.topic` [MQTT-3.3.1-5..7]. */
  put(msg: Message): void {
    const words = msg.topic.split('/');
    if (msg.payload.length === 0) {
      this.remove(words);
      return;
    }
    let node = this.root;
    for (const w of words) {
      let next = node.children?.get(w);
      if (!next) {
        next = { children: null, msg: undefined };
        (node.children ??= new Map()).set(w, next);
      }
      node = next;
    }
    if (node.msg === undefined) this.count++;
    node.msg = msg;
  }

  /** Forgets every retained message (a node joining a cluster takes the cluster's). */
  clear(): void {
    this.root = { children: null, msg: undefined };
    this.count = 0;
  }

  get(topic: string): Message | undefined {
    let node: Node | undefined = this.root;
    for (const w of topic.split('/')) {
      node = node.children?.get(w);
      if (!node) return undefined;
    }
    return node.msg;
  }

  /** Retained messages whose topic matches `filter`, dropping those expired at `now`. */
  match(filter: string, now: number): Message[] {
    const out: Message[] = [];
    this.walk(this.root, filter.split('/'), 0, out, true);
    if (out.length === 0) return out;
    const live: Message[] = [];
    for (const m of out) {
      if (m.expiresAt !== undefined && m.expiresAt <= now) this.remove(m.topic.split('/'));
      else live.push(m);
    }
    return live;
  }

  *all(): IterableIterator<Message> {
    const stack: Node[] = [this.root];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.msg) yield n.msg;
      if (n.children) for (const c of n.children.values()) stack.push(c);
    }
  }

  /** Drops every expired message; returns how many. */
  sweep(now: number): number {
    let n = 0;
    for (const m of [...this.all()]) {
      if (m.expiresAt !== undefined && m.expiresAt <= now) {
        this.remove(m.topic.split('/'));
        n++;
      }
    }
    return n;
  }

  private walk(node: Node, f: string[], i: number, out: Message[], root: boolean): void {
    if (i === f.length) {
      if (node.msg) out.push(node.msg);
      return;
    }
    const ch = node.children;
    const w = f[i];
    if (w === '#') {
      // "a/#" includes "a" itself.
      if (!root && node.msg) out.push(node.msg);
      if (ch) for (const [k, c] of ch) if (!(root && k.startsWith('$'))) this.collect(c, out);
      return;
    }
    if (!ch) return;
    if (w === '+') {
      for (const [k, c] of ch) if (!(root && k.startsWith('$'))) this.walk(c, f, i + 1, out, false);
    } else {
      const c = ch.get(w);
      if (c) this.walk(c, f, i + 1, out, false);
    }
  }

  private collect(node: Node, out: Message[]): void {
    if (node.msg) out.push(node.msg);
    if (node.children) for (const c of node.children.values()) this.collect(c, out);
  }

  private remove(words: string[]): void {
    const path: Node[] = [this.root];
    let node: Node | undefined = this.root;
    for (const w of words) {
      node = node.children?.get(w);
      if (!node) return;
      path.push(node);
    }
    if (node.msg === undefined) return;
    node.msg = undefined;
    this.count--;
    for (let i = words.length; i > 0; i--) {
      const n = path[i];
      if (n.msg !== undefined || (n.children && n.children.size > 0)) break;
      path[i - 1].children!.delete(words[i - 1]);
    }
  }
}
