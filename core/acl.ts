// ACL rules: who may publish and subscribe to what. First matching rule
// wins, else the default. A subscription filter is allowed only if every
// topic it can match is allowed (filter-covers-filter), so wildcards cannot
// reach past the rules. `%u` / `%c` are substituted as one literal level
// part: a user name with `+`, `#` or `/` never widens an allow rule.
//
// File format, one rule per line (`#` starts a comment line):
//   allow|deny  all|anonymous|user NAME|client ID  publish|subscribe|both  FILTER [FILTER...]
// or Mosquitto's (a file whose first rule starts with user, topic or pattern):
//   topic [read|write|readwrite|deny] TOPIC     (before any `user` line: anonymous clients)
//   user NAME                                  (the topic lines after it are that user's)
//   pattern [read|write|readwrite|deny] TOPIC  (every client; %u user name, %c client id)
// Mosquitto checks deny lines first, then allows; so do the rules made from them.

import type { Authorizer, Identity } from './auth.ts';

type Who =
  { kind: 'all' } | { kind: 'anonymous' } | { kind: 'user'; name: string } | { kind: 'client'; id: string };

/** One pattern level: a plain string, a wildcard, or literal text with %u/%c holes. */
type PatternLevel = string | { parts: string[] };

export interface AclRule {
  allow: boolean;
  who: Who;
  publish: boolean;
  subscribe: boolean;
  patterns: PatternLevel[][];
  /** Source line (1-based), for messages. */
  line: number;
}

export class Acl implements Authorizer {
  constructor(
    readonly rules: AclRule[],
    readonly defaultAllow: boolean,
  ) {}

  mayPublish(who: Identity, topic: string): boolean {
    return this.topicVerdict(who, 'publish', topic.split('/'));
  }

  /** The verdict for one concrete topic (no wildcards) under `action`. */
  topicVerdict(who: Identity, action: 'publish' | 'subscribe', levels: string[]): boolean {
    for (const r of this.rules) {
      if (!(action === 'publish' ? r.publish : r.subscribe) || !whoMatches(r.who, who)) continue;
      for (const p of r.patterns) {
        const resolved = resolve(p, who, r.allow);
        if (resolved && matchTopic(resolved, levels)) return r.allow;
      }
    }
    return this.defaultAllow;
  }

  maySubscribe(who: Identity, filter: string): boolean {
    const f = filter.split('/');
    for (const r of this.rules) {
      if (!r.subscribe || !whoMatches(r.who, who)) continue;
      for (const p of r.patterns) {
        const resolved = resolve(p, who, r.allow);
        if (!resolved) continue;
        // A deny that touches any topic of the filter refuses it; an allow decides only if it covers all of them.
        if (!r.allow && intersects(resolved, f)) return false;
        if (r.allow && covers(resolved, f)) return true;
      }
    }
    // No deny touched the filter: what the allows did not cover falls to the default.
    return this.defaultAllow;
  }
}

function whoMatches(w: Who, id: Identity): boolean {
  switch (w.kind) {
    case 'all':
      return true;
    case 'anonymous':
      return id.username === undefined;
    case 'user':
      return id.username === w.name;
    case 'client':
      return id.clientId === w.id;
  }
}

/**
 * Pattern → levels for this identity. A value that cannot stand as literal
 * text of one level (absent, empty, or with `/`, `+`, `#`) makes an allow
 * rule not apply and a deny rule match everything from that level on (fail closed).
 */
function resolve(p: PatternLevel[], who: Identity, allow: boolean): string[] | null {
  let out: string[] | null = null;
  for (let i = 0; i < p.length; i++) {
    const l = p[i];
    if (typeof l === 'string') {
      out?.push(l);
      continue;
    }
    out ??= p.slice(0, i) as string[];
    let s = '';
    for (const part of l.parts) {
      if (part === '%u' || part === '%c') {
        const v = part === '%u' ? who.username : who.clientId;
        if (v === undefined || v === '' || /[/+#]/.test(v)) {
          if (allow) return null;
          out.push('#');
          return out;
        }
        s += v;
      } else s += part;
    }
    out.push(s);
  }
  return out ?? (p as string[]);
}

const isDollar = (l: string | undefined): boolean =>
  l !== undefined && l !== '+' && l !== '#' && l.charCodeAt(0) === 0x24;

/** Pattern levels match topic levels; wildcards in the first level do not match `$` topics [MQTT-4.7.2-1]. */
export function matchTopic(p: string[], t: string[]): boolean {
  if (isDollar(t[0]) && (p[0] === '+' || p[0] === '#')) return false;
  for (let i = 0; i < p.length; i++) {
    const pl = p[i];
    if (pl === '#') return true;
    if (i >= t.length) return false;
    if (pl !== '+' && pl !== t[i]) return false;
  }
  return p.length === t.length;
}

/** Every topic the filter `f` matches is matched by the pattern `p`. */
export function covers(p: string[], f: string[]): boolean {
  for (let i = 0; ; i++) {
    const pl = p[i];
    const fl = f[i];
    if (pl === '#') return !(i === 0 && isDollar(fl));
    if (pl === undefined) return fl === undefined;
    if (fl === undefined || fl === '#') return false;
    if (pl === '+') {
      if (i === 0 && isDollar(fl)) return false;
      continue;
    }
    if (fl === '+' || fl !== pl) return false;
  }
}

/** Some topic is matched by both the pattern `p` and the filter `f`. */
export function intersects(p: string[], f: string[]): boolean {
  for (let i = 0; ; i++) {
    const pl = p[i];
    const fl = f[i];
    if (pl === undefined && fl === undefined) return true;
    if (pl === '#' || fl === '#' || pl === '+' || fl === '+') {
      const other = pl === '#' || pl === '+' ? fl : pl;
      if (i === 0 && isDollar(other)) return false;
      if (pl === '#' || fl === '#') return true;
      if (pl === undefined || fl === undefined) return false;
      continue;
    }
    if (pl === undefined || fl === undefined || pl !== fl) return false;
  }
}

const MOSQUITTO_ACCESS: Record<string, { publish: boolean; subscribe: boolean; allow: boolean }> = {
  read: { publish: false, subscribe: true, allow: true },
  write: { publish: true, subscribe: false, allow: true },
  readwrite: { publish: true, subscribe: true, allow: true },
  deny: { publish: true, subscribe: true, allow: false },
};

/** Mosquitto's acl_file syntax → rules (denies first, in file order, then allows). */
function parseMosquittoAcl(lines: string[]): { rules: AclRule[]; errors: string[] } {
  const denies: AclRule[] = [];
  const allows: AclRule[] = [];
  const errors: string[] = [];
  let who: Who = { kind: 'anonymous' };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    const err = (m: string) => errors.push(`line ${n + 1}: ${m}: ${line}`);
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const [kw, rest] = [m[1], m[2]];
    if (kw === 'user') {
      if (rest === '') err('expected a user name after user');
      else who = { kind: 'user', name: rest };
      continue;
    }
    if (kw !== 'topic' && kw !== 'pattern') {
      err('expected user, topic or pattern (Mosquitto ACL syntax: the file starts that way)');
      continue;
    }
    // `topic [access] TOPIC`: the topic is the rest of the line (it may hold spaces); no access = readwrite.
    const a = /^(read|write|readwrite|deny)\s+(.+)$/.exec(rest);
    const access = MOSQUITTO_ACCESS[a ? a[1] : 'readwrite'];
    const topic = a ? a[2] : rest;
    if (topic === '') {
      err(`expected a topic after ${kw}`);
      continue;
    }
    const p = compilePattern(topic);
    if (typeof p === 'string') {
      err(`topic ${JSON.stringify(topic)}: ${p}`);
      continue;
    }
    const r: AclRule = {
      allow: access.allow,
      who: kw === 'pattern' ? { kind: 'all' } : who,
      publish: access.publish,
      subscribe: access.subscribe,
      patterns: [p],
      line: n + 1,
    };
    (r.allow ? allows : denies).push(r);
  }
  return { rules: [...denies, ...allows], errors };
}

/** Parses ACL text (mqttlab's or Mosquitto's syntax); returns the rules and every problem found, by line. */
export function parseAcl(text: string): { rules: AclRule[]; errors: string[] } {
  const lines = text.split(/\r?\n/);
  const first = lines.map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  if (first !== undefined && /^(user|topic|pattern)(\s|$)/.test(first)) return parseMosquittoAcl(lines);
  const rules: AclRule[] = [];
  const errors: string[] = [];
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    const err = (m: string) => errors.push(`line ${n + 1}: ${m}: ${line}`);
    const tok = line.split(/\s+/);
    let i = 0;
    const verdict = tok[i++];
    if (verdict !== 'allow' && verdict !== 'deny') {
      err('must start with allow or deny');
      continue;
    }
    let who: Who;
    const w = tok[i++];
    if (w === 'all') who = { kind: 'all' };
    else if (w === 'anonymous') who = { kind: 'anonymous' };
    else if ((w === 'user' || w === 'client') && tok[i] !== undefined) {
      const v = tok[i++];
      who = w === 'user' ? { kind: 'user', name: v } : { kind: 'client', id: v };
    } else {
      err('expected all, anonymous, user NAME or client ID after ' + verdict);
      continue;
    }
    const a = tok[i++];
    if (a !== 'publish' && a !== 'subscribe' && a !== 'both') {
      err('expected publish, subscribe or both');
      continue;
    }
    const filters = tok.slice(i);
    if (filters.length === 0) {
      err('expected at least one topic filter');
      continue;
    }
    const patterns: PatternLevel[][] = [];
    let bad = false;
    for (const f of filters) {
      const p = compilePattern(f);
      if (typeof p === 'string') {
        err(`topic filter ${JSON.stringify(f)}: ${p}`);
        bad = true;
      } else patterns.push(p);
    }
    if (!bad)
      rules.push({
        allow: verdict === 'allow',
        who,
        publish: a !== 'subscribe',
        subscribe: a !== 'publish',
        patterns,
        line: n + 1,
      });
  }
  return { rules, errors };
}

/** A filter with optional %u/%c holes → levels, or a problem. */
function compilePattern(f: string): PatternLevel[] | string {
  const levels = f.split('/');
  const out: PatternLevel[] = [];
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l === '#') {
      if (i !== levels.length - 1) return '# must be the last level';
      out.push(l);
      continue;
    }
    if (l === '+') {
      out.push(l);
      continue;
    }
    if (/[+#]/.test(l)) return '+ and # must occupy a whole level';
    if (/\0/.test(l)) return 'contains U+0000';
    if (!/%[uc]/.test(l)) {
      out.push(l);
      continue;
    }
    out.push({ parts: l.split(/(%[uc])/).filter((x) => x !== '') });
  }
  return out;
}
