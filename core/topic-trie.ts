// A trie of topic filters keyed by level. Each filter owns one value (a
// subscriber set on a node, a node set in the cluster route table).
// Matching a topic walks at most (levels × 3) branches, independent of the
// number of filters stored.

export class TrieNode<V> {
  children: Map<string, TrieNode<V>> | null = null;
  value: V | undefined = undefined;
  constructor(
    readonly parent: TrieNode<V> | null,
    readonly word: string,
  ) {}
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
      node = node.children?.get(w);
      if (!node) return undefined;
    }
    return node.value;
  }

  /** Returns the value stored under `filter`, creating it with `make` if absent. */
  getOrCreate(filter: string, make: () => V): V {
    let node = this.root;
    for (const w of filter.split('/')) {
      let next = node.children?.get(w);
      if (!next) {
        next = new TrieNode<V>(node, w);
        (node.children ??= new Map()).set(w, next);
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
    while (n && n.parent && n.value === undefined && (!n.children || n.children.size === 0)) {
      n.parent.children!.delete(n.word);
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
      if (node.children)
        for (const [w, c] of node.children) stack.push([c, node === this.root ? w : path + '/' + w]);
    }
  }

  private walk(node: TrieNode<V>, words: string[], i: number, out: V[], dollar: boolean): void {
    const ch = node.children;
    if (!ch) return;
    // `$`-topics are never matched by a wildcard in the first level [MQTT-4.7.2-1].
    const wild = !(dollar && i === 0);
    if (wild) {
      const hash = ch.get('#');
      if (hash && hash.value !== undefined) out.push(hash.value);
    }
    if (i === words.length) return;
    const exact = ch.get(words[i]);
    if (exact) {
      if (i + 1 === words.length) {
        if (exact.value !== undefined) out.push(exact.value);
        // "a/#" also matches "a" [MQTT-4.7.1-2].
        const h = exact.children?.get('#');
        if (h && h.value !== undefined) out.push(h.value);
      } else this.walk(exact, words, i + 1, out, dollar);
    }
    if (wild) {
      const plus = ch.get('+');
      if (plus) {
        if (i + 1 === words.length) {
          if (plus.value !== undefined) out.push(plus.value);
          const h = plus.children?.get('#');
          if (h && h.value !== undefined) out.push(h.value);
        } else this.walk(plus, words, i + 1, out, dollar);
      }
    }
  }

  private findNode(filter: string): TrieNode<V> | undefined {
    let node: TrieNode<V> | undefined = this.root;
    for (const w of filter.split('/')) {
      node = node.children?.get(w);
      if (!node) return undefined;
    }
    return node;
  }
}
