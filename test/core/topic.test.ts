// Topic names, filters, shared-subscription syntax, the reference matcher,
// and the two level trees held to it: TopicTrie (subscriptions) and
// RetainStore (retained messages).

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  validateTopicName,
  validateTopicFilter,
  parseShare,
  matches,
  hasWildcard,
  isValidUtf8,
  TopicError,
} from '../../core/topic.ts';
import { TopicTrie } from '../../core/topic-trie.ts';
import { RetainStore } from '../../core/retain-store.ts';
import type { Message } from '../../core/message.ts';

const SEED = 20240611;
const opts = (numRuns: number) => ({ seed: SEED, numRuns });

// ---------------------------------------------------------------------------
// Generators: a small alphabet so filters and topics collide often.

const LEVELS = ['', 'a', 'b', 'ab', '$', '$a', 'x y'];
const FIRST_LEVELS = [...LEVELS, '$SYS', '$share'];

const levelArb = fc.constantFrom(...LEVELS);
const firstLevelArb = fc.constantFrom(...FIRST_LEVELS);

/** A valid topic name: 1..5 levels, never the empty string. */
const topicArb = fc
  .tuple(firstLevelArb, fc.array(levelArb, { maxLength: 4 }))
  .map(([h, t]) => [h, ...t].join('/'))
  .filter((t) => t.length > 0);

/** A valid topic filter: levels or `+`, optionally ending in `#`. */
const filterArb = fc
  .tuple(
    fc.oneof(firstLevelArb, fc.constant('+')),
    fc.array(fc.oneof({ weight: 3, arbitrary: levelArb }, { weight: 1, arbitrary: fc.constant('+') }), {
      maxLength: 3,
    }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([h, t, hash, onlyHash]) => (onlyHash && !hash ? '#' : [h, ...t, ...(hash ? ['#'] : [])].join('/')))
  .filter((f) => f.length > 0);

// ---------------------------------------------------------------------------

describe('validateTopicName', () => {
  const N = 128;
  it.each([
    ['a', TopicError.None],
    ['/', TopicError.None],
    ['a//b', TopicError.None],
    ['$SYS/broker', TopicError.None],
    [' ', TopicError.None],
    ['', TopicError.Empty],
    ['+', TopicError.Wildcard],
    ['#', TopicError.Wildcard],
    ['a/+', TopicError.Wildcard],
    ['a/#', TopicError.Wildcard],
    ['a+b', TopicError.Wildcard],
    ['a#', TopicError.Wildcard],
    ['\u0000', TopicError.NullChar],
    ['a/\u0000/b', TopicError.NullChar],
  ])('%j → %i', (t, e) => {
    expect(validateTopicName(t, N)).toBe(e);
  });

  it('counts levels (a/b/c is 3, "/" is 2)', () => {
    expect(validateTopicName('a/b/c', 3)).toBe(TopicError.None);
    expect(validateTopicName('a/b/c', 2)).toBe(TopicError.TooManyLevels);
    expect(validateTopicName('/', 2)).toBe(TopicError.None);
    expect(validateTopicName('/', 1)).toBe(TopicError.TooManyLevels);
    expect(validateTopicName('a', 1)).toBe(TopicError.None);
    expect(validateTopicName('/'.repeat(127), 128)).toBe(TopicError.None);
    expect(validateTopicName('/'.repeat(128), 128)).toBe(TopicError.TooManyLevels);
  });

  it('rejects names longer than 65535', () => {
    expect(validateTopicName('a'.repeat(65535), 1)).toBe(TopicError.None);
    expect(validateTopicName('a'.repeat(65536), 1)).toBe(TopicError.TooLong);
  });

  it('property: None iff non-empty, no + # U+0000, within the level limit', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', '/', '+', '#', '\u0000', '$', 'é'), maxLength: 12 }),
        fc.integer({ min: 1, max: 6 }),
        (t, max) => {
          const ok = t.length > 0 && !/[+#\u0000]/.test(t) && t.split('/').length <= max;
          expect(validateTopicName(t, max) === TopicError.None).toBe(ok);
        },
      ),
      opts(500),
    );
  });
});

describe('validateTopicFilter', () => {
  const N = 128;
  it.each([
    ['#', TopicError.None],
    ['+', TopicError.None],
    ['a/#', TopicError.None],
    ['a/+', TopicError.None],
    ['+/+', TopicError.None],
    ['/+/', TopicError.None],
    ['+/#', TopicError.None],
    ['/#', TopicError.None],
    ['a//b', TopicError.None],
    ['$SYS/#', TopicError.None],
    ['', TopicError.Empty],
    ['#/a', TopicError.BadFilter],
    ['a/#/b', TopicError.BadFilter],
    ['a/#/', TopicError.BadFilter],
    ['#/', TopicError.BadFilter],
    ['a#', TopicError.BadFilter],
    ['#a', TopicError.BadFilter],
    ['a/b#', TopicError.BadFilter],
    ['a+', TopicError.BadFilter],
    ['+a', TopicError.BadFilter],
    ['a/+b/c', TopicError.BadFilter],
    ['a/b+/c', TopicError.BadFilter],
    ['++', TopicError.BadFilter],
    ['##', TopicError.BadFilter],
    ['+#', TopicError.BadFilter],
    ['\u0000', TopicError.NullChar],
    ['a/\u0000', TopicError.NullChar],
    ['+/\u0000/#', TopicError.NullChar],
  ])('%j → %i', (f, e) => {
    expect(validateTopicFilter(f, N)).toBe(e);
  });

  it('counts levels, wildcards included', () => {
    expect(validateTopicFilter('+/+/#', 3)).toBe(TopicError.None);
    expect(validateTopicFilter('+/+/#', 2)).toBe(TopicError.TooManyLevels);
    expect(validateTopicFilter('a/b', 1)).toBe(TopicError.TooManyLevels);
    expect(validateTopicFilter('#', 1)).toBe(TopicError.None);
  });

  it('rejects filters longer than 65535', () => {
    expect(validateTopicFilter('a'.repeat(65535), 1)).toBe(TopicError.None);
    expect(validateTopicFilter('a'.repeat(65536), 1)).toBe(TopicError.TooLong);
  });

  it('property: None iff every level is + / # (last only) / wildcard-free, no U+0000, within limit', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', '/', '+', '#', '\u0000', '$'), maxLength: 10 }),
        fc.integer({ min: 1, max: 6 }),
        (f, max) => {
          const lv = f.split('/');
          const ok =
            f.length > 0 &&
            !f.includes('\u0000') &&
            lv.length <= max &&
            lv.every((l, i) => l === '+' || (l === '#' && i === lv.length - 1) || !/[+#]/.test(l));
          expect(validateTopicFilter(f, max) === TopicError.None).toBe(ok);
        },
      ),
      opts(1000),
    );
  });

  it('every generated filter is valid, every generated topic is a valid name', () => {
    fc.assert(
      fc.property(filterArb, topicArb, (f, t) => {
        expect(validateTopicFilter(f, 16)).toBe(TopicError.None);
        expect(validateTopicName(t, 16)).toBe(TopicError.None);
      }),
      opts(300),
    );
  });
});

describe('parseShare', () => {
  it.each([
    ['$share/g/a/b', { filter: 'a/b', group: 'g' }],
    ['$share/g/#', { filter: '#', group: 'g' }],
    ['$share/g/+/x', { filter: '+/x', group: 'g' }],
    ['$share/$queue/a', { filter: 'a', group: '$queue' }],
    ['$queue/a', { filter: 'a', group: '$queue' }],
    ['$queue/a/#', { filter: 'a/#', group: '$queue' }],
    ['a/b', { filter: 'a/b' }],
    ['$share', { filter: '$share' }],
    ['$queue', { filter: '$queue' }],
    ['$sharex/g/a', { filter: '$sharex/g/a' }],
    ['$SYS/#', { filter: '$SYS/#' }],
  ])('%j → %j', (raw, want) => {
    expect(parseShare(raw)).toEqual(want);
  });

  it.each([
    '$share/g',
    '$share/',
    '$share//a',
    '$share/g/',
    '$share/g+/a',
    '$share/+/a',
    '$share/g#/a',
    '$share/#/a',
    '$queue/',
  ])('%j is broken share syntax → null', (raw) => {
    expect(parseShare(raw)).toBeNull();
  });

  it('property: $share/{g}/{f} round-trips for any wildcard-free, slash-free group and non-empty f', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '$', '-'), minLength: 1, maxLength: 5 }),
        filterArb,
        (g, f) => {
          expect(parseShare(`$share/${g}/${f}`)).toEqual({ filter: f, group: g });
        },
      ),
      opts(300),
    );
  });
});

describe('matches (reference)', () => {
  it.each([
    ['#', 'a', true],
    ['#', 'a/b/c', true],
    ['#', '/', true],
    ['a/#', 'a', true], // [MQTT-4.7.1-2]
    ['a/#', 'a/b/c', true],
    ['a/#', 'ab', false],
    ['a/#', 'b/a', false],
    ['+', 'a', true],
    ['+', 'a/b', false],
    ['+', '/a', false],
    ['+/+', '/a', true],
    ['/+', '/a', true],
    ['+/b', 'a/b', true],
    ['a/+/c', 'a//c', true],
    ['a/+', 'a', false],
    ['+/#', 'a', true],
    ['a', 'a', true],
    ['a', 'A', false],
    ['a/b', 'a/b/', false],
    // $-topics are not matched by a wildcard in the first level [MQTT-4.7.2-1].
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['+', '$', false],
    ['$SYS/#', '$SYS/x', true],
    ['$SYS/+', '$SYS/x', true],
    ['$SYS/#', '$SYS', true],
    ['a/#', 'a/$x', true],
    ['+/+', 'a/$x', true],
  ])('matches(%j, %j) = %s', (f, t, want) => {
    expect(matches(f, t)).toBe(want);
  });

  it('hasWildcard', () => {
    expect(hasWildcard('a/+')).toBe(true);
    expect(hasWildcard('#')).toBe(true);
    expect(hasWildcard('a/b')).toBe(false);
  });

  it('isValidUtf8 rejects surrogates, overlongs and truncations', () => {
    expect(isValidUtf8(Buffer.from('héllo €'))).toBe(true);
    expect(isValidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(false); // U+D800
    expect(isValidUtf8(Buffer.from([0xc0, 0xaf]))).toBe(false); // overlong '/'
    expect(isValidUtf8(Buffer.from([0xe2, 0x82]))).toBe(false);
  });
});

// ---------------------------------------------------------------------------
// TopicTrie against the reference matcher.

type TrieOp = { op: 'set' | 'getOrCreate' | 'delete'; filter: string };

const trieOpArb: fc.Arbitrary<TrieOp> = fc.record({
  op: fc.constantFrom<TrieOp['op']>('set', 'set', 'getOrCreate', 'delete', 'delete'),
  filter: filterArb,
});

function sorted<T>(xs: T[]): T[] {
  return [...xs].sort();
}

function checkTrie(trie: TopicTrie<string>, model: Map<string, string>, topics: string[]): void {
  expect(trie.size).toBe(model.size);
  for (const t of topics) {
    const got = trie.match(t, []);
    const want = [...model.entries()].filter(([f]) => matches(f, t)).map(([, v]) => v);
    expect(sorted(got), `match(${JSON.stringify(t)}) over ${JSON.stringify([...model.keys()])}`).toEqual(
      sorted(want),
    );
  }
  expect(new Map(trie.entries())).toEqual(model);
}

describe('TopicTrie', () => {
  it('matches like the reference on fixed examples', () => {
    const filters = ['#', '+', 'a/#', 'a/+', '+/+', 'a/b', '$SYS/#', '+/#', '/#', '/+', 'a//b', 'a/+/#'];
    const trie = new TopicTrie<string>();
    for (const f of filters) trie.set(f, f);
    for (const t of ['a', 'a/b', 'a/', '/', '/a', 'a//b', '$SYS/x', '$SYS', 'b/c/d', '$', 'a/b/c']) {
      expect(sorted(trie.match(t, [])), t).toEqual(sorted(filters.filter((f) => matches(f, t))));
    }
  });

  it('appends to the given array and reuses nothing across calls', () => {
    const trie = new TopicTrie<number>();
    trie.set('a', 1);
    const out = [0];
    expect(trie.match('a', out)).toBe(out);
    expect(out).toEqual([0, 1]);
  });

  it('size, get and set bookkeeping', () => {
    const trie = new TopicTrie<string>();
    expect(trie.size).toBe(0);
    expect(trie.getOrCreate('a/b', () => 'x')).toBe('x');
    expect(trie.getOrCreate('a/b', () => 'y')).toBe('x');
    expect(trie.size).toBe(1);
    trie.set('a/b', 'z');
    expect(trie.get('a/b')).toBe('z');
    expect(trie.size).toBe(1);
    expect(trie.get('a')).toBeUndefined();
    expect(trie.delete('a')).toBe(false); // interior node, no value
    expect(trie.size).toBe(1);
    trie.set('a', 'w');
    expect(trie.size).toBe(2);
    expect(trie.delete('a/b')).toBe(true);
    expect(trie.delete('a/b')).toBe(false);
    expect(trie.size).toBe(1);
    expect(trie.get('a')).toBe('w');
    expect(trie.delete('a')).toBe(true);
    expect(trie.size).toBe(0);
    expect([...trie.entries()]).toEqual([]);
  });

  it('property: match agrees with matches(), size and entries agree with a Map, after every insert/delete', () => {
    fc.assert(
      fc.property(
        fc.array(trieOpArb, { maxLength: 40 }),
        fc.array(topicArb, { minLength: 1, maxLength: 12 }),
        (ops, topics) => {
          const trie = new TopicTrie<string>();
          const model = new Map<string, string>();
          let n = 0;
          for (const { op, filter } of ops) {
            if (op === 'set') {
              const v = `${filter}#${n++}`;
              trie.set(filter, v);
              model.set(filter, v);
            } else if (op === 'getOrCreate') {
              const v = `${filter}#${n++}`;
              const got = trie.getOrCreate(filter, () => v);
              if (!model.has(filter)) model.set(filter, v);
              expect(got).toBe(model.get(filter));
            } else {
              expect(trie.delete(filter)).toBe(model.delete(filter));
            }
            expect(trie.get(filter)).toBe(model.get(filter));
            checkTrie(trie, model, [
              ...topics,
              ...(filter.includes('+') || filter.includes('#') ? [] : [filter]),
            ]);
          }
        },
      ),
      opts(400),
    );
  });

  it('property: deleting every filter prunes the tree back to an empty root', () => {
    fc.assert(
      fc.property(fc.uniqueArray(filterArb, { maxLength: 20 }), fc.integer(), (filters, rot) => {
        const trie = new TopicTrie<string>();
        for (const f of filters) trie.set(f, f);
        expect(trie.size).toBe(filters.length);
        const k = filters.length ? Math.abs(rot) % filters.length : 0;
        for (const f of [...filters.slice(k), ...filters.slice(0, k)]) expect(trie.delete(f)).toBe(true);
        expect(trie.size).toBe(0);
        const root = (trie as unknown as { root: { children: Map<string, unknown> | null } }).root;
        expect(root.children?.size ?? 0).toBe(0);
      }),
      opts(300),
    );
  });
});

// ---------------------------------------------------------------------------
// RetainStore against a brute-force filter over a Map of topic → message.

function msg(topic: string, payload: string, now: number, expirySec?: number): Message {
  const m: Message = {
    topic,
    payload: Buffer.from(payload),
    qos: 1,
    retain: true,
    from: 'c',
    receivedAt: now,
  };
  if (expirySec !== undefined) m.expiresAt = now + expirySec * 1000;
  return m;
}

type RetainOp =
  | { op: 'put'; topic: string; empty: boolean; expiry: number | undefined }
  | { op: 'advance'; ms: number }
  | { op: 'match'; filter: string }
  | { op: 'sweep' };

const retainOpArb: fc.Arbitrary<RetainOp> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('put' as const),
      topic: topicArb,
      empty: fc.constant(false),
      expiry: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('put' as const),
      topic: topicArb,
      empty: fc.constant(true),
      expiry: fc.constant(undefined),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('match' as const), filter: filterArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('sweep' as const) }) },
);

describe('RetainStore', () => {
  it('put, replace, clear by empty payload', () => {
    const rs = new RetainStore();
    rs.put(msg('a/b', 'x', 0));
    rs.put(msg('a', 'y', 0));
    expect(rs.size).toBe(2);
    rs.put(msg('a/b', 'z', 0));
    expect(rs.size).toBe(2);
    expect(rs.get('a/b')!.payload.toString()).toBe('z');
    rs.put(msg('a/b', '', 0));
    expect(rs.size).toBe(1);
    expect(rs.get('a/b')).toBeUndefined();
    rs.put(msg('nope', '', 0)); // clearing what is not there
    expect(rs.size).toBe(1);
    expect(rs.match('#', 0).map((m) => m.topic)).toEqual(['a']);
    expect(rs.match('a/#', 0).map((m) => m.topic)).toEqual(['a']);
  });

  it('wildcards never match $-topics in the first level; explicit $ filters do', () => {
    const rs = new RetainStore();
    for (const t of ['$SYS/x', '$SYS', 'a', '/a', 'a/$x']) rs.put(msg(t, 'p', 0));
    expect(sorted(rs.match('#', 0).map((m) => m.topic))).toEqual(['/a', 'a', 'a/$x']);
    expect(sorted(rs.match('+', 0).map((m) => m.topic))).toEqual(['a']);
    expect(sorted(rs.match('+/+', 0).map((m) => m.topic))).toEqual(['/a', 'a/$x']);
    expect(sorted(rs.match('$SYS/#', 0).map((m) => m.topic))).toEqual(['$SYS', '$SYS/x']);
  });

  it('expired messages are not returned and are removed on match and sweep', () => {
    const rs = new RetainStore();
    rs.put(msg('a', 'p', 0, 1));
    rs.put(msg('b', 'p', 0, 2));
    rs.put(msg('c', 'p', 0));
    expect(rs.match('#', 999).length).toBe(3);
    expect(sorted(rs.match('#', 1000).map((m) => m.topic))).toEqual(['b', 'c']);
    expect(rs.size).toBe(2);
    expect(rs.sweep(2000)).toBe(1);
    expect(rs.size).toBe(1);
    expect([...rs.all()].map((m) => m.topic)).toEqual(['c']);
  });

  it('property: match(filter) = brute-force matches() over the live stored topics; size, get, all, sweep agree', () => {
    fc.assert(
      fc.property(fc.array(retainOpArb, { maxLength: 50 }), (ops) => {
        const rs = new RetainStore();
        const model = new Map<string, Message>();
        let now = 0;
        let i = 0;
        const expired = (m: Message) => m.expiresAt !== undefined && m.expiresAt <= now;
        for (const o of ops) {
          switch (o.op) {
            case 'put': {
              const m = msg(o.topic, o.empty ? '' : `v${i++}`, now, o.expiry);
              rs.put(m);
              if (o.empty) model.delete(o.topic);
              else model.set(o.topic, m);
              break;
            }
            case 'advance':
              now += o.ms;
              break;
            case 'match': {
              const got = rs.match(o.filter, now);
              const matched = [...model.values()].filter((m) => matches(o.filter, m.topic));
              const want = matched.filter((m) => !expired(m));
              expect(sorted(got.map((m) => m.topic)), `match(${o.filter}) at ${now}`).toEqual(
                sorted(want.map((m) => m.topic)),
              );
              for (const m of got) expect(m).toBe(model.get(m.topic));
              // match drops the expired messages it came across.
              for (const m of matched) if (expired(m)) model.delete(m.topic);
              break;
            }
            case 'sweep': {
              const dead = [...model.values()].filter(expired);
              expect(rs.sweep(now)).toBe(dead.length);
              for (const m of dead) model.delete(m.topic);
              break;
            }
          }
          expect(rs.size).toBe(model.size);
          expect(sorted([...rs.all()].map((m) => m.topic))).toEqual(sorted([...model.keys()]));
        }
        for (const [t, m] of model) expect(rs.get(t)).toBe(m);
        // Clearing everything leaves an empty tree.
        for (const t of [...model.keys()]) rs.put(msg(t, '', now));
        expect(rs.size).toBe(0);
        const root = (rs as unknown as { root: { children: Map<string, unknown> | null } }).root;
        expect(root.children?.size ?? 0).toBe(0);
      }),
      opts(400),
    );
  });
});
