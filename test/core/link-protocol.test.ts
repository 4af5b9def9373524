// The cluster-link protocol (core/link/protocol.ts): frames round-trip, split anywhere in the byte stream;
// anything malformed is a FrameError (the link closes), never another exception. The settings' checks.
import { describe, it, expect } from 'vitest';
import {
  L,
  LinkReader,
  LinkFrameError,
  decodeLink,
  encodeLink,
  encodeLinkMsg,
  linkProof,
  type LinkFrame,
  type LinkMsg,
} from '../../core/link/protocol.ts';
import { linkConfigProblem, parseLinkFlag } from '../../core/link/config.ts';
import { OutLink } from '../../core/link/out-link.ts';
import type { LinkHost } from '../../core/link/link-host.ts';
import type { PeerDialHandler } from '../../core/env.ts';

const msg: LinkMsg = {
  seq: 7,
  origin: 'A',
  mid: 'a1.ff.3',
  topic: 'x/y',
  qos: 1,
  payload: Buffer.from([0, 1, 2, 255]),
  ttl: 5000,
  props: { contentType: 'bin', correlationData: Buffer.from('cd'), userProperties: { k: 'v' } },
  resend: true,
};

describe('link protocol', () => {
  it('round-trips every frame, however the stream is cut', () => {
    const frames = [
      encodeLink(L.Hello, { v: 1, cluster: 'A', node: 'a1', session: 'a1.x', nonce: 'n' }),
      encodeLink(L.Welcome, { acked: 3, filters: ['a/#', 'b/+'] }),
      encodeLinkMsg(msg),
      encodeLink(L.Ack, { seq: 7 }),
      encodeLink(L.Ping),
    ];
    const bytes = Buffer.concat(frames);
    for (const step of [1, 3, 7, bytes.length]) {
      const r = new LinkReader();
      const out: LinkFrame[] = [];
      for (let i = 0; i < bytes.length; i += step) r.push(bytes.subarray(i, i + step), out);
      expect(out.map((f) => f.type)).toEqual([L.Hello, L.Welcome, L.Msg, L.Ack, L.Ping]);
      expect(out[2]).toEqual({ type: L.Msg, msg });
    }
  });

  it('malformed frames are FrameErrors', () => {
    const bad = [
      Buffer.from([99]),
      Buffer.concat([Buffer.from([L.Hello]), Buffer.from('{"v":1}')]),
      Buffer.concat([Buffer.from([L.Welcome]), Buffer.from('{"acked":-1,"filters":[]}')]),
      Buffer.concat([Buffer.from([L.Routes]), Buffer.from('not json')]),
      Buffer.from([L.Msg, 0, 0]),
      encodeLinkMsg({ ...msg, topic: '' }).subarray(4),
      encodeLinkMsg(msg).subarray(4, 14),
    ];
    for (const b of bad) expect(() => decodeLink(b), b.toString('hex')).toThrow(LinkFrameError);
    expect(() => new LinkReader().push(Buffer.from([0, 0, 0, 0]), [])).toThrow(LinkFrameError);
  });

  it('checks the settings with one-line reasons', () => {
    const l = { name: 'B', address: 'b1:4380,b2:4380', secret: 's' };
    expect(linkConfigProblem('A', [l])).toBeNull();
    expect(linkConfigProblem(undefined, [l])).toMatch(/needs cluster.name/);
    expect(linkConfigProblem('B', [l])).toMatch(/own name/);
    expect(linkConfigProblem('A', [l, l])).toMatch(/B twice/);
    expect(linkConfigProblem('A', [{ ...l, address: 'nowhere' }])).toMatch(/host:port/);
    expect(linkConfigProblem('A', [{ ...l, secret: '' }])).toMatch(/no secret/);
    expect(parseLinkFlag('B@127.0.0.1:4380', 's')).toEqual({
      name: 'B',
      address: '127.0.0.1:4380',
      secret: 's',
    });
    expect(parseLinkFlag('127.0.0.1:4380', 's')).toMatch(/expected NAME@HOST:PORT/);
    expect(parseLinkFlag('B@127.0.0.1:4380', '')).toMatch(/MQTTLAB_LINK_SECRET/);
  });
});

describe('the dialing side of a link', () => {
  function dialer() {
    const logs: string[] = [];
    const written: Buffer[] = [];
    let handler: PeerDialHandler | null = null;
    const host: LinkHost = {
      node: 'a1',
      session: 'a1.s',
      settings: { name: 'A', links: [], buffer: 10, pingIntervalMs: 100, timeoutMs: 1000, reconnectMs: 100 },
      now: () => 0,
      nonce: () => 'n1',
      hmac: (k, d) => `${k}:${d}`,
      dial: (_a, h) => void (handler = h),
      log: (m) => logs.push(m),
      dropped: () => {},
      changed: () => {},
    };
    const link = new OutLink({ name: 'B', address: 'b1:1', secret: 's' }, host);
    link.tick(0);
    handler!.open({ write: (b) => void written.push(Buffer.from(b)), close: () => {} });
    return { link, logs, written, feed: (b: Buffer) => handler!.data(b) };
  }

  it('sends nothing to an acceptor that skips its proof (a Welcome before a valid Challenge)', () => {
    const d = dialer();
    d.feed(encodeLink(L.Welcome, { acked: 0, filters: ['#'] }));
    expect(d.link.state).not.toBe('up');
    expect(d.logs).toEqual(['link B: unexpected frame 4 before the handshake']);
    d.link.publish({
      topic: 'x',
      payload: Buffer.from('p'),
      qos: 1,
      retain: false,
      from: 'c',
      receivedAt: 0,
    });
    expect(d.written.some((b) => b[4] === L.Msg)).toBe(false);
  });

  it('goes up after a valid Challenge and the Welcome', () => {
    const d = dialer();
    const proof = linkProof((k, x) => `${k}:${x}`, 's', 'n1', 'B', 'A');
    d.feed(encodeLink(L.Challenge, { cluster: 'B', node: 'b1', nonce: 'n2', proof }));
    d.feed(encodeLink(L.Welcome, { acked: 0, filters: ['x/#'] }));
    expect(d.link.state).toBe('up');
    d.link.publish({
      topic: 'x/1',
      payload: Buffer.from('p'),
      qos: 1,
      retain: false,
      from: 'c',
      receivedAt: 0,
    });
    expect(d.written.filter((b) => b[4] === L.Msg)).toHaveLength(1);
  });
});
