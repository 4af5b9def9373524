// The ACL (core/acl.ts): its file format, and fast-check properties that no
// topic trick gets past it: wildcards in subscriptions, `$` topics, %u/%c
// values with `+`, `#` or `/`, and, through the broker core, shared
// subscription prefixes and topic aliases.

import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Acl, parseAcl, covers, intersects, matchTopic } from '../../core/acl.ts';
import { matches } from '../../core/topic.ts';
import type { Identity } from '../../core/auth.ts';
import { TableAuthenticator } from '../../sim/auth.ts';
import { Broker } from '../../core/broker.ts';
import { manualEnv } from '../helpers/manual-env.ts';
import { TestClient } from '../helpers/core-client.ts';
import type { IPublishPacket } from 'mqtt-packet';

const acl = (text: string, defaultAllow = false): Acl => {
  const { rules, errors } = parseAcl(text);
  if (errors.length) throw new Error(errors.join('; '));
  return new Acl(rules, defaultAllow);
};

// A small world of levels, so random filters and topics collide often.
const TOPIC_LEVELS = ['a', 'b', '$s', 'alice', 'c1', 'xalice', ''];
const SAMPLE_TOPICS: string[] = [];
for (const l1 of TOPIC_LEVELS) {
  SAMPLE_TOPICS.push(l1);
  for (const l2 of TOPIC_LEVELS) {
    SAMPLE_TOPICS.push(`${l1}/${l2}`);
    for (const l3 of TOPIC_LEVELS) SAMPLE_TOPICS.push(`${l1}/${l2}/${l3}`);
  }
}

const filterArb = (levels: string[]) =>
  fc
    .array(fc.constantFrom(...levels, '+', '#'), { minLength: 1, maxLength: 3 })
    .filter((ls) => ls.indexOf('#') === -1 || ls.indexOf('#') === ls.length - 1)
    .map((ls) => ls.join('/'));

const patternArb = filterArb(['a', 'b', '$s', '%u', '%c', 'x%u']);
const ruleArb = fc
  .tuple(
    fc.constantFrom('allow', 'deny'),
    fc.constantFrom('all', 'anonymous', 'user alice', 'user +', 'client c1'),
    fc.constantFrom('publish', 'subscribe', 'both'),
    fc.array(patternArb, { minLength: 1, maxLength: 2 }),
  )
  .map(([v, w, a, ps]) => `${v} ${w} ${a} ${ps.join(' ')}`);
const singlePatternAllowArb = fc
  .tuple(
    fc.constantFrom('all', 'anonymous', 'user alice', 'user +', 'client c1'),
    fc.constantFrom('publish', 'subscribe', 'both'),
    patternArb,
  )
  .map(([w, a, p]) => `allow ${w} ${a} ${p}`);
const aclArb = fc.tuple(fc.array(ruleArb, { maxLength: 6 }), fc.boolean());
const identityArb = fc.record({
  username: fc.constantFrom<string | undefined>('alice', 'a', '+', '#', 'a/b', '', undefined),
  clientId: fc.constantFrom('c1', 'a', '+', '#', 'x/y'),
});

describe('ACL file format', () => {
  it('parses rules and reports every bad line by number', () => {
    const { rules, errors } = parseAcl(
      [
        '# comment',
        'allow user alice both alice/# shared/+',
        'deny client c1 publish x',
        'allow all subscribe $SYS/#',
        'permit all both a', // bad verdict
        'allow user publish a', // missing name
        'allow all read a', // bad access
        'allow all both', // no filter
        'allow all both a/#/b', // # not last
        'allow all both a+', // + inside a level
      ].join('\n'),
    );
    expect(rules.map((r) => [r.allow, r.who, r.publish, r.subscribe, r.line])).toEqual([
      [true, { kind: 'user', name: 'alice' }, true, true, 2],
      [false, { kind: 'client', id: 'c1' }, true, false, 3],
      [true, { kind: 'all' }, false, true, 4],
    ]);
    expect(errors.map((e) => e.split(':')[0])).toEqual([
      'line 5',
      'line 6',
      'line 7',
      'line 8',
      'line 9',
      'line 10',
    ]);
  });

  it('first match wins; the default decides the rest', () => {
    const a = acl(
      'deny user alice publish secret/#\nallow all publish #\nallow user alice subscribe alice/#',
    );
    const alice: Identity = { username: 'alice', clientId: 'c' };
    const bob: Identity = { username: 'bob', clientId: 'c' };
    expect(a.mayPublish(alice, 'secret/x')).toBe(false);
    expect(a.mayPublish(bob, 'secret/x')).toBe(true);
    expect(a.maySubscribe(alice, 'alice/+/x')).toBe(true);
    expect(a.maySubscribe(alice, '#')).toBe(false);
    expect(a.maySubscribe(bob, 'alice/x')).toBe(false);
    expect(acl('deny all subscribe x', true).maySubscribe(bob, 'y/#')).toBe(true);
    expect(acl('deny all subscribe x', true).maySubscribe(bob, '+')).toBe(false); // `+` reaches x
  });

  it('wildcard rules never grant $ topics; $SYS needs its own rule', () => {
    const a = acl('allow all both #\nallow user ops subscribe $SYS/#');
    const u: Identity = { username: 'u', clientId: 'c' };
    expect(a.mayPublish(u, '$SYS/broker/uptime')).toBe(false);
    expect(a.maySubscribe(u, '$SYS/#')).toBe(false);
    expect(a.maySubscribe(u, '#')).toBe(true); // matches no $ topic [MQTT-4.7.2-1]
    expect(a.maySubscribe({ username: 'ops', clientId: 'c' }, '$SYS/broker/+')).toBe(true);
  });

  it('%u and %c are literal: a user name with +, # or / matches nothing more', () => {
    const a = acl('allow all both users/%u/# clients/%c');
    expect(a.mayPublish({ username: 'alice', clientId: 'c' }, 'users/alice/x')).toBe(true);
    expect(a.maySubscribe({ username: 'alice', clientId: 'c' }, 'users/alice/#')).toBe(true);
    for (const username of ['+', '#', 'alice/..', 'a/b', '']) {
      const who = { username, clientId: 'c' };
      expect(a.mayPublish(who, 'users/alice/x')).toBe(false);
      expect(a.mayPublish(who, 'users/a/b/x')).toBe(false);
      expect(a.maySubscribe(who, 'users/+/x')).toBe(false);
      expect(a.maySubscribe(who, 'users/#')).toBe(false);
    }
    expect(a.maySubscribe({ username: 'x', clientId: '#' }, 'clients/+')).toBe(false);
    // A deny with an unusable value fails closed.
    const d = acl('deny all publish private/%u\nallow all publish #');
    expect(d.mayPublish({ username: undefined, clientId: 'c' }, 'private/anything')).toBe(false);
    expect(d.mayPublish({ username: 'bob', clientId: 'c' }, 'private/alice')).toBe(true);
  });
});

describe('ACL properties (fast-check)', () => {
  it('covers/intersects agree with the reference matcher on every sample topic', () => {
    const levels = ['a', 'b', '$s', ''];
    fc.assert(
      fc.property(filterArb(levels), filterArb(levels), (p, f) => {
        const P = p.split('/');
        const F = f.split('/');
        const inF = SAMPLE_TOPICS.filter((t) => matches(f, t));
        const uncovered = inF.filter((t) => !matches(p, t));
        const shared = inF.filter((t) => matches(p, t));
        if (covers(P, F)) expect(uncovered).toEqual([]);
        if (shared.length > 0)
          expect({ p, f, intersects: intersects(P, F) }).toEqual({ p, f, intersects: true });
        expect(SAMPLE_TOPICS.filter((t) => matchTopic(P, t.split('/')) !== matches(p, t))).toEqual([]);
      }),
      { numRuns: 1000, seed: 9 },
    );
  });

  it('no bypass: a permitted subscription filter only matches topics the ACL permits', () => {
    fc.assert(
      fc.property(
        aclArb,
        identityArb,
        filterArb(['a', 'b', '$s', 'alice', 'c1', 'xalice']),
        ([lines, defaultAllow], who, f) => {
          const a = acl(lines.join('\n'), defaultAllow);
          if (!a.maySubscribe(who, f)) return;
          expect(
            SAMPLE_TOPICS.filter((t) => matches(f, t) && !a.topicVerdict(who, 'subscribe', t.split('/'))),
          ).toEqual([]);
        },
      ),
      { numRuns: 3000, seed: 10 },
    );
  });

  it('a user name or client id with +, # or / gains nothing from %u/%c allow rules', () => {
    fc.assert(
      fc.property(
        fc.array(singlePatternAllowArb, { maxLength: 6 }),
        identityArb,
        filterArb(['a', 'b', '$s', 'alice', 'c1']),
        (lines, who, f) => {
          const bad = (v: string | undefined) => v === undefined || v === '' || /[/+#]/.test(v);
          const withSubs = acl(lines.join('\n'));
          const drop = (l: string) =>
            (bad(who.username) && l.includes('%u')) || (bad(who.clientId) && l.includes('%c'));
          const without = acl(lines.filter((l) => !drop(l)).join('\n'));
          expect(
            SAMPLE_TOPICS.filter((t) => withSubs.mayPublish(who, t) !== without.mayPublish(who, t)),
          ).toEqual([]);
          expect(withSubs.maySubscribe(who, f)).toBe(without.maySubscribe(who, f));
        },
      ),
      { numRuns: 1000, seed: 11 },
    );
  });

  it('through the broker: $share/$queue prefixes and topic aliases never deliver or accept what the ACL denies', () => {
    const topics = SAMPLE_TOPICS.filter((t) => t.split('/').every((l) => l !== '')).slice(0, 120);
    fc.assert(
      fc.property(
        aclArb,
        filterArb(['a', 'b', '$s', 'alice']),
        fc.constantFrom('', '$share/g/', '$queue/'),
        fc.array(fc.tuple(fc.constantFrom(...topics), fc.integer({ min: 1, max: 3 })), {
          minLength: 1,
          maxLength: 12,
        }),
        ([lines, defaultAllow], filter, prefix, pubs) => {
          const env = manualEnv('acl-prop');
          const a = acl(['allow user root both # $s/#', ...lines].join('\n'), defaultAllow);
          env.authenticator = new TableAuthenticator(
            new Map([
              ['alice', 'pw'],
              ['root', 'pw'],
            ]),
            false,
            0,
            env.clock,
          );
          env.authorizer = a;
          const broker = new Broker(env, { sysInterval: 0 });
          const login = (c: TestClient, user: string, id: string) => {
            c.send({
              cmd: 'connect',
              protocolId: 'MQTT',
              protocolVersion: 5,
              clientId: id,
              clean: true,
              keepalive: 0,
              username: user,
              password: Buffer.from('pw'),
            });
            expect(c.poll().find((p) => p.cmd === 'connack')).toMatchObject({ reasonCode: 0 });
          };
          const alice = new TestClient(broker, 5);
          login(alice, 'alice', 'c1');
          const root = new TestClient(broker, 5);
          login(root, 'root', 'r');
          const watcher = new TestClient(broker, 5);
          login(watcher, 'root', 'w');
          watcher.subscribe('#', 1);
          watcher.subscribe('$s/#', 1);
          const who: Identity = { username: 'alice', clientId: 'c1' };
          const granted = (alice.subscribe(prefix + filter, 1) as { granted: number[] }).granted[0];
          expect(granted === 0x87).toBe(!a.maySubscribe(who, filter));

          // Root publishes everything, switching topics behind alias numbers; alice does the same.
          for (const [t, alias] of pubs) {
            root.publish(t, 'r', 1, { properties: { topicAlias: alias } });
            root.publish('', 'r-alias', 1, { properties: { topicAlias: alias } });
            alice.publish(t, 'a', 1, { properties: { topicAlias: alias } });
            alice.publish('', 'a-alias', 1, { properties: { topicAlias: alias } });
          }
          alice.poll();
          for (const p of alice.publishes())
            expect(a.topicVerdict(who, 'subscribe', p.topic.split('/'))).toBe(true);
          for (const p of watcher.publishes() as IPublishPacket[]) {
            if (!String(p.payload).startsWith('a')) continue;
            expect(a.mayPublish(who, p.topic)).toBe(true);
          }
          // Every alice publish (direct and by alias) to a denied topic was refused with 0x87 and counted.
          expect(alice.closed).toBe(false);
          const denied = pubs.filter(([t]) => !a.mayPublish(who, t)).length;
          expect(broker.stats.denied.publish).toBe(2 * denied);
          const refused = alice.received.filter((p) => p.cmd === 'puback' && p.reasonCode === 0x87).length;
          expect(refused).toBe(2 * denied);
        },
      ),
      { numRuns: 300, seed: 12 },
    );
  });
});
