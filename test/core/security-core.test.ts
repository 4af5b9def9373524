// Client security in the pure core, on virtual time: the CONNACK waits for
// a slow authenticator (packets in between are held, or discarded after a
// refusal), connect-rate buckets refill with the clock, flapping bans
// expire, and a simulated world with passwords and an ACL is deterministic.

import { describe, it, expect } from 'vitest';
import type { IConnectPacket, IConnackPacket, ISubackPacket } from 'mqtt-packet';
import { Broker } from '../../core/broker.ts';
import type { BrokerConfig } from '../../core/config.ts';
import { Acl, parseAcl } from '../../core/acl.ts';
import { TableAuthenticator } from '../../sim/auth.ts';
import { World } from '../../sim/world.ts';
import { manualEnv } from '../helpers/manual-env.ts';
import { TestClient, type Version } from '../helpers/core-client.ts';

function secureBroker(opts: { delayMs?: number; acl?: string; config?: Record<string, unknown> } = {}) {
  const env = manualEnv('security-core');
  env.authenticator = new TableAuthenticator(
    new Map([
      ['alice', 'pw'],
      ['bob', 'pw'],
    ]),
    false,
    opts.delayMs ?? 50,
    env.clock,
  );
  if (opts.acl) env.authorizer = new Acl(parseAcl(opts.acl).rules, false);
  const broker = new Broker(env, { sysInterval: 0, ...(opts.config as Partial<BrokerConfig>) });
  return { env, broker };
}

function connectPacket(
  version: Version,
  clientId: string,
  username?: string,
  password?: string,
): IConnectPacket {
  const p: IConnectPacket = {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: version,
    clientId,
    clean: true,
    keepalive: 0,
  };
  if (username !== undefined) p.username = username;
  if (password !== undefined) p.password = Buffer.from(password);
  return p;
}

describe('deferred CONNACK', () => {
  it('nothing is answered until the authenticator does; packets sent meanwhile are then handled in order', () => {
    const { env, broker } = secureBroker({ acl: 'allow all both users/%u/#' });
    const c = new TestClient(broker, 5);
    c.send(connectPacket(5, 'a1', 'alice', 'pw'));
    c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'users/alice/#', qos: 1 }] });
    c.send({
      cmd: 'publish',
      topic: 'users/alice/x',
      payload: Buffer.from('1'),
      qos: 1,
      messageId: 2,
      retain: false,
      dup: false,
    });
    c.send({ cmd: 'pingreq' });
    expect(c.poll()).toEqual([]);
    expect(broker.connectedCount).toBe(0);
    env.clock.advance(49);
    expect(c.poll()).toEqual([]);
    env.clock.advance(1);
    const got = c.poll().map((p) => p.cmd);
    expect(got.slice(0, 2)).toEqual(['connack', 'suback']);
    expect(got.slice(2).sort()).toEqual(['pingresp', 'puback', 'publish']);
    expect(broker.connectedCount).toBe(1);
  });

  it('a refused CONNECT discards what followed it: v5 0x86 / 0x87, 3.1.1 codes 4 / 5', () => {
    const { env, broker } = secureBroker();
    const watcher = new TestClient(broker, 5);
    watcher.send(connectPacket(5, 'w', 'bob', 'pw'));
    env.clock.advance(50);
    watcher.poll();
    watcher.subscribe('#', 0);
    const cases: [Version, string | undefined, string | undefined, number][] = [
      [5, 'alice', 'bad', 0x86],
      [5, 'mallory', 'pw', 0x86],
      [5, undefined, undefined, 0x87],
      [4, 'alice', 'bad', 4],
      [4, undefined, undefined, 5],
    ];
    for (const [v, u, pw, code] of cases) {
      const c = new TestClient(broker, v);
      c.send(connectPacket(v, `x-${code}-${v}`, u, pw));
      c.send({ cmd: 'publish', topic: 'leak', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
      env.clock.advance(50);
      const got = c.poll();
      expect(got).toHaveLength(1);
      const ack = got[0] as IConnackPacket;
      expect(v === 5 ? ack.reasonCode : ack.returnCode).toBe(code);
      expect(c.closed).toBe(true);
    }
    expect(watcher.poll()).toEqual([]);
    expect(broker.stats.auth.failed).toBe(5);
    expect(broker.stats.connectsRejected).toBe(5);
  });

  it('a client that leaves while its password is checked leaves no trace; one that floods meanwhile is cut off', () => {
    const { env, broker } = secureBroker();
    const gone = new TestClient(broker, 5);
    gone.send(connectPacket(5, 'gone', 'alice', 'pw'));
    gone.conn.transportClosed();
    env.clock.advance(100);
    expect(broker.sessions.has('gone')).toBe(false);
    expect(gone.sink.writesAfterClose).toBe(0);

    const flood = new TestClient(broker, 5);
    flood.send(connectPacket(5, 'flood', 'alice', 'pw'));
    for (let i = 0; i < 300; i++) flood.send({ cmd: 'pingreq' });
    expect(flood.poll()).toMatchObject([{ cmd: 'connack', reasonCode: 0x97 }]);
    expect(flood.closed).toBe(true);
  });

  it('a CONNECT not authenticated within connectTimeoutMs is dropped', () => {
    const { env, broker } = secureBroker({ delayMs: 60_000, config: { connectTimeoutMs: 1000 } });
    const c = new TestClient(broker, 5);
    c.send(connectPacket(5, 'slow', 'alice', 'pw'));
    env.clock.advance(1000);
    expect(c.closed).toBe(true);
    env.clock.advance(60_000);
    expect(broker.sessions.has('slow')).toBe(false);
  });
});

describe('rates on the injected clock', () => {
  it('connect rate: one bucket per listener, refilled by the clock', () => {
    const env = manualEnv('rate');
    const broker = new Broker(env, {
      sysInterval: 0,
      security: { maxConnectRate: 2 },
    } as Partial<BrokerConfig>);
    const connect = (listener: string, id: string) => {
      const sink = new TestClient(broker, 5);
      sink.conn.listener = listener;
      sink.send(connectPacket(5, id));
      return (sink.poll()[0] as IConnackPacket).reasonCode;
    };
    expect([connect('tcp', 'a'), connect('tcp', 'b'), connect('tcp', 'c'), connect('ws', 'd')]).toEqual([
      0, 0, 0x9f, 0,
    ]);
    env.clock.advance(499);
    expect(connect('tcp', 'e')).toBe(0x9f);
    env.clock.advance(1);
    expect(connect('tcp', 'f')).toBe(0);
    expect(broker.stats.auth.connectRateExceeded).toBe(2);
  });

  it('flapping: the ban lasts banSec, then the client id may connect again', () => {
    const env = manualEnv('flap');
    const broker = new Broker(env, {
      sysInterval: 0,
      security: { flapping: { enabled: true, maxConnects: 2, windowSec: 10, banSec: 30 } },
    } as Partial<BrokerConfig>);
    const connect = (id: string) => {
      const c = new TestClient(broker, 5);
      c.send(connectPacket(5, id));
      const rc = (c.poll()[0] as IConnackPacket).reasonCode;
      c.send({ cmd: 'disconnect' });
      return rc;
    };
    expect([connect('f'), connect('f'), connect('f'), connect('f')]).toEqual([0, 0, 0x8a, 0x8a]);
    expect(connect('other')).toBe(0);
    env.clock.advance(29_999);
    expect(connect('f')).toBe(0x8a);
    env.clock.advance(1);
    expect(connect('f')).toBe(0);
    // Connects spread wider than the window never ban.
    env.clock.advance(10_000);
    for (let i = 0; i < 5; i++) {
      expect(connect('patient')).toBe(0);
      env.clock.advance(6_000);
    }
  });

  it('message rate: a v5 client over it gets DISCONNECT 0x96, a 3.1.1 client is closed', () => {
    for (const v of [5, 4] as const) {
      const env = manualEnv('msg-rate');
      const broker = new Broker(env, {
        sysInterval: 0,
        security: { maxMessageRate: 3 },
      } as Partial<BrokerConfig>);
      const c = new TestClient(broker, v);
      c.connect('m');
      for (let i = 0; i < 3; i++) c.publish('t', 'x', 0);
      env.clock.advance(1000);
      for (let i = 0; i < 3; i++) c.publish('t', 'x', 0);
      expect(c.closed).toBe(false);
      const last = c.publish('t', 'x', 0);
      expect(c.closed).toBe(true);
      if (v === 5) expect(last).toMatchObject([{ cmd: 'disconnect', reasonCode: 0x96 }]);
      else expect(last).toEqual([]);
    }
  });
});

describe('simulated world with passwords and an ACL', () => {
  async function run(seed: string) {
    const w = new World({ seed, history: { keepLines: true } });
    w.addBroker('n1', {}, undefined, {
      security: {
        users: { alice: 'a', bob: 'b' },
        acl: 'allow all both users/%u/#\nallow all subscribe public/#\nallow user bob publish public/#',
        authDelayMs: 20,
      },
    });
    const alice = w.client('alice-c', {
      target: 'n1',
      version: 5,
      username: 'alice',
      password: 'a',
      subscriptions: [
        { filter: 'users/alice/#', qos: 1 },
        { filter: 'public/#', qos: 1 },
        { filter: 'users/bob/#', qos: 1 },
      ],
    });
    const bob = w.client('bob-c', { target: 'n1', version: 5, username: 'bob', password: 'b' });
    const eve = w.client('eve-c', {
      target: 'n1',
      version: 5,
      username: 'alice',
      password: 'guess',
      reconnect: false,
    });
    const anon = w.client('anon-c', { target: 'n1', version: 4, reconnect: false });
    await w.run(async (w) => {
      await w.sleep(500);
      bob.publish('public/news', 1);
      bob.publish('users/bob/diary', 1);
      bob.publish('users/alice/forged', 1);
      await w.sleep(500);
    });
    return { w, alice, eve, anon, hash: w.history.hash };
  }

  it('authenticates on virtual time, applies the ACL, and one seed gives one history', async () => {
    const a = await run('sec-world');
    const b = await run('sec-world');
    expect(a.hash).toBe(b.hash);
    expect(a.alice.received.map((r) => r.topic)).toEqual(['public/news']);
    const lines = a.w.history.lines.join('\n');
    expect(lines).toMatch(/client\.connack.*eve-c.*rc=134|client\.connack.*"c":"eve-c".*"rc":134/);
    expect(lines).toMatch(/client\.connack.*anon-c.*rc=5|client\.connack.*"c":"anon-c".*"rc":5/);
    const n1 = a.w.broker('n1');
    expect(n1.stats.auth.failed).toBe(2);
    expect(n1.stats.denied).toEqual({ publish: 1, subscribe: 1, will: 0 });
    const granted = a.w.history.lines.filter((l) => l.includes('sub.ok') && l.includes('alice-c'));
    expect(granted.join('\n')).toMatch(/1,1,135/);
  });
});

describe('sessions belong to their user, across the cluster', () => {
  it('another user resuming a client id on another node gets a fresh session, not the queued messages', async () => {
    const w = new World({ seed: 'owner-across-nodes', history: { keepLines: true } });
    w.addCluster(['n1', 'n2'], {
      security: {
        users: { alice: 'a', bob: 'b', root: 'r' },
        acl: 'allow user root both #\nallow all both users/%u/#',
      },
    });
    const c = w.client('shared-id', {
      target: 'n1',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      username: 'alice',
      password: 'a',
      subscriptions: [{ filter: 'users/alice/#', qos: 1 }],
    });
    const root = w.client('root', { target: 'n1', version: 5, username: 'root', password: 'r' });
    await w.run(async (w) => {
      await w.sleep(2000);
      c.disconnect();
      await w.sleep(200);
      root.publish('users/alice/while-away', 1);
      await w.sleep(500);
      Object.assign(c.opts, { username: 'bob', password: 'b', target: 'n2', reconnect: false });
      c.connect();
      await w.sleep(1000);
      root.publish('users/alice/later', 1);
      await w.sleep(500);
    });
    const connacks = w.history.lines.filter((l) => l.includes('client.connack') && l.includes('shared-id'));
    expect(connacks).toHaveLength(2);
    expect(connacks[1]).toMatch(/present[=":]+false/);
    expect(c.received.map((r) => r.topic)).toEqual([]);
    expect(w.broker('n2').stats.denied.subscribe).toBe(1); // bob's resubscribe to users/alice/#
  });

  it('another user taking a client id on the other side of a split does not get its session after the heal', async () => {
    const w = new World({ seed: 'owner-across-split', history: { keepLines: true } });
    w.addCluster(['n1', 'n2'], {
      security: {
        users: { alice: 'a', bob: 'b', root: 'r' },
        acl: 'allow user root both #\nallow all both users/%u/#',
      },
    });
    const root = w.client('root', { target: 'n1', version: 5, username: 'root', password: 'r' });
    let c!: ReturnType<typeof w.client>;
    await w.run(async (w) => {
      await w.sleep(1000);
      // n2 never hears of alice's session: it has no replica telling it whose the client id was.
      w.partition(['n1'], ['n2']);
      c = w.client('shared-id', {
        target: 'n1',
        version: 5,
        clean: false,
        sessionExpiry: 3600,
        username: 'alice',
        password: 'a',
        subscriptions: [{ filter: 'users/alice/#', qos: 1 }],
      });
      await w.sleep(1000);
      c.disconnect();
      await w.sleep(200);
      root.publish('users/alice/while-away', 1);
      await w.sleep(300);
      Object.assign(c.opts, {
        username: 'bob',
        password: 'b',
        target: 'n2',
        subscriptions: [],
        reconnect: false,
      });
      c.connect();
      await w.sleep(500);
      w.heal(); // n1 hands alice's session to the live claim on n2, bob's
      await w.sleep(3000);
      root.publish('users/alice/later', 1);
      await w.sleep(1000);
    });
    const connacks = w.history.lines.filter((l) => l.includes('client.connack') && l.includes('shared-id'));
    expect(connacks).toHaveLength(2);
    expect(connacks[1]).toMatch(/present[=":]+false/);
    expect(w.history.lines.some((l) => l.includes('cluster.handoff.in') && l.includes('shared-id'))).toBe(
      true,
    );
    expect(c.received.map((r) => r.topic)).toEqual([]);
    expect(w.broker('n2').sessions.get('shared-id')!.subscriptions.size).toBe(0);
  });
});

describe('clean start across nodes', () => {
  it('a v5 Clean Start with a session expiry on another node does not merge in the old session handed over', async () => {
    const w = new World({ seed: 'clean-start-across' });
    w.addCluster(['n1', 'n2']);
    const c = w.client('cs', {
      target: 'n1',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      subscriptions: [{ filter: 'old/#', qos: 1 }],
    });
    const pub = w.client('pub', { target: 'n1', version: 5 });
    await w.run(async (w) => {
      await w.sleep(2000);
      c.disconnect();
      await w.sleep(200);
      pub.publish('old/queued', 1);
      await w.sleep(500);
      Object.assign(c.opts, { clean: true, target: 'n2', subscriptions: [], reconnect: false });
      c.connect();
      await w.sleep(1000);
      pub.publish('old/after', 1);
      await w.sleep(500);
    });
    expect(c.received.map((r) => r.topic)).toEqual([]);
    expect(w.broker('n2').sessions.get('cs')!.subscriptions.size).toBe(0);
    expect(w.broker('n2').stats.dropped['no-session']).toBe(1);
  });

  it('what the old node passes on before it hears the handoff was refused does not reach the clean session', async () => {
    const w = new World({ seed: 'clean-start-in-flight', history: { keepLines: true } });
    w.addCluster(['n1', 'n2']);
    const c = w.client('cs', {
      target: 'n1',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      subscriptions: [{ filter: 'old/#', qos: 1 }],
    });
    const pub = w.client('pub', { target: 'n1', version: 5 });
    const handedIn = () =>
      w.history.lines.some((l) => l.includes('cluster.handoff.in') && l.includes('"cs"'));
    await w.run(async (w) => {
      await w.sleep(2000);
      c.disconnect();
      await w.sleep(200);
      Object.assign(c.opts, {
        clean: true,
        target: 'n2',
        subscriptions: [{ filter: 'new/#', qos: 1 }],
        reconnect: false,
      });
      c.connect();
      await w.until(handedIn, { timeoutMs: 5000 });
      // n2's refusal is held on the way back: n1 still passes on what matches the old session's filters.
      w.clog(['n2'], ['n1'], { oneWay: true });
      pub.publish('old/after', 1);
      await w.sleep(500);
      w.unclog();
      await w.sleep(1000);
      pub.publish('old/later', 1);
      await w.sleep(500);
    });
    expect(c.received.map((r) => r.topic)).toEqual([]);
    const drops = w.history.lines.filter((l) => l.includes('"type":"drop"') && l.includes('"node":"n2"'));
    expect(drops.map((l) => JSON.parse(l).id)).toEqual(['pub:1']); // old/after; old/later is no longer passed on
  });
});

describe("a failed node's orphans after a clean start", () => {
  /**
   * A persistent session on n1; n3's forward of o/x to n1 stays unconfirmed (n1 and n3 cut apart). The client
   * resumes on n2, which asks n3 for n1's orphans (`holdReply`: n3's answer is held), then starts clean there.
   */
  async function cleanAfterResume(seed: string, holdReply: boolean, after: (w: World) => Promise<void>) {
    const w = new World({ seed, history: { keepLines: true } });
    w.addCluster(['n1', 'n2', 'n3']);
    const c = w.client('cs', {
      target: 'n1',
      version: 5,
      clean: false,
      sessionExpiry: 3600,
      subscriptions: [{ filter: 'o/#', qos: 1 }],
    });
    const pub = w.client('pub', { target: 'n3', version: 5 });
    await w.run(async (w) => {
      await w.sleep(2000);
      w.partition(['n1'], ['n3']);
      pub.publish('o/x', 1);
      await w.sleep(200);
      c.disconnect();
      await w.sleep(200);
      if (holdReply) w.clog(['n3'], ['n2'], { oneWay: true });
      Object.assign(c.opts, { target: 'n2' });
      c.connect();
      await w.sleep(holdReply ? 500 : 1000);
      c.disconnect();
      await w.sleep(200);
      Object.assign(c.opts, { clean: true, reconnect: false });
      c.connect();
      await after(w);
    });
    expect(w.history.lines.some((l) => l.includes('client.connack') && l.includes('"present":true'))).toBe(
      true,
    );
    return c.received.map((r) => r.topic);
  }

  it('go to the session that moved from the node, not to the clean session that replaced it', async () => {
    const received = await cleanAfterResume('clean-start-orphans', false, async (w) => {
      // n3 gives up on n1: its unconfirmed forwards go to n1's backup, n2, for the sessions that came from n1.
      await w.until(
        () => w.history.lines.some((l) => l.includes('cluster.peer.down') && l.includes('"node":"n3"')),
        { timeoutMs: 10_000 },
      );
      await w.sleep(1000);
    });
    expect(received).toEqual(['o/x']); // once: the resumed session got it in n3's answer
  });

  it('an answer to the resumed session arriving after the clean start does not reach the clean session', async () => {
    const received = await cleanAfterResume('clean-start-orphan-reply', true, async (w) => {
      await w.sleep(500);
      w.unclog();
      await w.sleep(1000);
    });
    expect(received).toEqual([]);
  });
});

describe('denied publishes by protocol version', () => {
  it('v5 QoS 2 gets PUBREC 0x87 and no PUBREL is needed; 3.1.1 with v3DeniedPublish=disconnect is closed, with ack gets a plain PUBACK', () => {
    const mk = (v3DeniedPublish: 'ack' | 'disconnect') => {
      const env = manualEnv('deny-pub');
      env.authorizer = new Acl(parseAcl('allow all both ok/#').rules, false);
      return new Broker(env, { sysInterval: 0, security: { v3DeniedPublish } } as Partial<BrokerConfig>);
    };
    const b = mk('ack');
    const watcher = new TestClient(b, 5);
    watcher.connect('w');
    expect((watcher.subscribe('no/#', 1) as ISubackPacket).granted).toEqual([0x87]);
    watcher.subscribe('ok/#', 1);
    const v5 = new TestClient(b, 5);
    v5.autoAck = false;
    v5.connect('v5');
    expect(v5.publish('no/x', 'x', 2)).toMatchObject([{ cmd: 'pubrec', reasonCode: 0x87 }]);
    const v4 = new TestClient(b, 4);
    v4.connect('v4');
    expect(v4.publish('no/x', 'x', 1)).toMatchObject([{ cmd: 'puback' }]);
    expect(v4.publish('ok/x', 'y', 1)).toMatchObject([{ cmd: 'puback' }]);
    expect(
      watcher
        .poll()
        .filter((p) => p.cmd === 'publish')
        .map((p) => (p as { topic: string }).topic),
    ).toEqual(['ok/x']);
    expect(b.stats.denied).toEqual({ publish: 2, subscribe: 1, will: 0 });

    const strict = new TestClient(mk('disconnect'), 4);
    strict.connect('s');
    expect(strict.publish('no/x', 'x', 1)).toEqual([]);
    expect(strict.closed).toBe(true);
  });
});
