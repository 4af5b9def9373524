// Topic names and filters: validation, shared-subscription parsing and a
// reference matcher. The trie (topic-trie.ts) is the fast path; `matches`
// here is the simple definition the property tests hold the trie to.

export const enum TopicError {
  None = 0,
  Empty,
  Wildcard,
  NullChar,
  TooManyLevels,
  TooLong,
  BadFilter,
  BadShare,
}

/** A PUBLISH topic name: non-empty, no wildcards, no U+0000 [MQTT-3.3.2-2, 4.7.3-1/2]. */
export function validateTopicName(topic: string, maxLevels: number): TopicError {
  if (topic.length === 0) return TopicError.Empty;
  if (topic.length > 65535) return TopicError.TooLong;
  let levels = 1;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x2f) levels++;
    else if (c === 0x2b || c === 0x23) return TopicError.Wildcard;
    else if (c === 0) return TopicError.NullChar;
  }
  return levels > maxLevels ? TopicError.TooManyLevels : TopicError.None;
}

/** A SUBSCRIBE topic filter (without any $share prefix): `+` and `#` occupy whole levels, `#` only last. */
export function validateTopicFilter(filter: string, maxLevels: number): TopicError {
  if (filter.length === 0) return TopicError.Empty;
  if (filter.length > 65535) return TopicError.TooLong;
  let levels = 1;
  let levelStart = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c === 0) return TopicError.NullChar;
    if (c === 0x2f) {
      levels++;
      levelStart = i + 1;
    } else if (c === 0x2b) {
      const next = i + 1 < filter.length ? filter.charCodeAt(i + 1) : 0x2f;
      if (i !== levelStart || next !== 0x2f) return TopicError.BadFilter;
    } else if (c === 0x23) {
      if (i !== levelStart || i !== filter.length - 1) return TopicError.BadFilter;
    }
  }
  return levels > maxLevels ? TopicError.TooManyLevels : TopicError.None;
}

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

export interface ParsedFilter {
  /** The filter that is matched against topics. */
  filter: string;
  /** Share group name for `$share/{group}/{filter}` and `$queue/{filter}` (group `$queue`). */
  group?: string;
}

/**
 * Split `$share/{group}/{filter}` (MQTT 5 §4.8.2) and the legacy EMQX
 * `$queue/{filter}`. Returns null when the share syntax is broken
 * (empty group, wildcard in group, no filter).
 */
export function parseShare(raw: string): ParsedFilter | null {
  if (raw.startsWith('$share/')) {
    const slash = raw.indexOf('/', 7);
    if (slash < 0) return null;
    const group = raw.slice(7, slash);
    const filter = raw.slice(slash + 1);
    if (group.length === 0 || group.includes('+') || group.includes('#') || filter.length === 0) return null;
    return { filter, group };
  }
  if (raw.startsWith('$queue/')) {
    const filter = raw.slice(7);
    if (filter.length === 0) return null;
    return { filter, group: '$queue' };
  }
  return { filter: raw };
}

/** Reference matcher, straight from the spec's wording (§4.7). */
export function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** True when `bytes` is well-formed UTF-8 (no surrogates, no overlongs). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    fatalUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
