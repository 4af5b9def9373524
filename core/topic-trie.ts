// A trie of topic filters keyed by level. Each filter owns one value (a
// subscriber set on a node, a node set in the cluster route table).
// Matching a topic walks at most (levels × 3) branches, independent of the
// number of filters stored.

export class TrieNode<V> {
  /**
   * A node's children: a sole child is held in `kid`, a Map made for the
   * second (most nodes of a route table have one child: a Map each was ~190
   * bytes of the ~500 a route took). At most one of the two is set; a Map,
   * once made, stays (insertion order is the Map's either way).
   */
  kid: TrieNode<V> | null = null;
  children: Map<string, TrieNode<V>> | null = null;
  value: V | undefined = undefined;
  constructor(
    readonly parent: TrieNode<V> | null,
    readonly word: string,
  ) {}

  child(w: string): TrieNode<V> | undefined {
    const k = this.kid;
    if (k !== null) return k.word === w ? k : undefined;
    return this.children?.get(w);
  }

  addChild(c: TrieNode<V>): void {
    if (this.children !== null) this.children.set(c.word, c);
    else if (this.kid === null) this.kid = c;
    else {
      this.children = new Map([
        [this.kid.word, this.kid],
        [c.word, c],
      ]);
      this.kid = null;
    }
  }

  removeChild(w: string): void {
    if (this.kid?.word === w) this.kid = null;
    else this.children?.delete(w);
  }

  get childCount(): number {
    return this.kid !== null ? 1 : (this.children?.size ?? 0);
  }

  *kids(): IterableIterator<TrieNode<V>> {
    if (this.kid !== null) yield this.kid;
    else if (this.children !== null) yield* this.children.values();
  }
}

export class TopicTrie<V> {
  private root = new TrieNode<V>(null, '');
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(filter: string): V | undefined {
    let node: TrieNode<V> | undefined = this.root;
    for (const w of filter.split('/')) {
      node = node.child(w);
      if (!node) return undefined;
    }
    return node.value;
  }

  /** Returns the value stored under `filter`, creating it with `make` if absent. */
  getOrCreate(filter: string, make: () => V): V {
    let node = this.root;
    for (const w of filter.split('/')) {
      let next = node.child(w);
      if (!next) {
        next = new TrieNode<V>(node, w);
        node.addChild(next);
      }
      node = next;
    }
    if (node.value === undefined) {
      node.value = make();
      this.count++;
    }
    return node.value;
  }

  set(filter: string, value: V): void {
    let created = false;
    const v = this.getOrCreate(filter, () => {
      created = true;
      return value;
    });
    if (!created && v !== value) this.findNode(filter)!.value = value;
  }

  delete(filter: string): boolean {
    const node = this.findNode(filter);
    if (!node || node.value === undefined) return false;
    node.value = undefined;
    this.count--;
    // Prune empty branches so the trie does not grow with churn.
    let n: TrieNode<V> | null = node;
    while (n && n.parent && n.value === undefined && n.childCount === 0) {
      n.parent.removeChild(n.word);
      n = n.parent;
    }
    return true;
  }

  /** Appends to `out` the values of every filter matching `topic`. */
  match(topic: string, out: V[]): V[] {
    const words = topic.split('/');
    this.walk(this.root, words, 0, out, topic.charCodeAt(0) === 0x24);
    return out;
  }

  *entries(): IterableIterator<[string, V]> {
    const stack: [TrieNode<V>, string][] = [[this.root, '']];
    while (stack.length) {
      const [node, path] = stack.pop()!;
      if (node.value !== undefined) yield [path, node.value];
      for (const c of node.kids()) stack.push([c, node === this.root ? c.word : path + '/' + c.word]);
    }
  }

  private walk(node: TrieNode<V>, words: string[], i: number, out: V[], dollar: boolean): void {
    if (node.kid === null && node.children === null) return;
    // `$`-topics are never matched by a wildcard in the first level [MQTT-4.7.2-1].
    const wild = !(dollar && i === 0);
    if (wild) {
      const hash = node.child('#');
      if (hash && hash.value !== undefined) out.push(hash.value);
    }
    if (i === words.length) return;
    const exact = node.child(words[i]);
    if (exact) {
      if (i + 1 === words.length) {
        if (exact.value !== undefined) out.push(exact.value);
        // "a/#" also matches "a" [MQTT-4.7.1-2].
        const h = exact.child('#');
        if (h && h.value !== undefined) out.push(h.value);
      } else this.walk(exact, words, i + 1, out, dollar);
    }
    if (wild) {
      const plus = node.child('+');
      if (plus) {
        if (i + 1 === words.length) {
          if (plus.value !== undefined) out.push(plus.value);
          const h = plus.child('#');
          if (h && h.value !== undefined) out.push(h.value);
        } else this.walk(plus, words, i + 1, out, dollar);
      }
    }
  }

  private findNode(filter: string): TrieNode<V> | undefined {
    let node: TrieNode<V> | undefined = this.root;
    for (const w of filter.split('/')) {
      node = node.child(w);
      if (!node) return undefined;
    }
    return node;
  }
}
