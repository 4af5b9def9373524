// One authenticated connection to a peer node: the handshake (Hello, then an HMAC proof each way
// over the other side's nonce), then frames handed to the cluster. A link that never completes
// its handshake is cut after the heartbeat timeout.

import type { ByteSink, Clock, Crypto, Random, Timer } from '../env.ts';
import type { ClusterStats } from './events.ts';
import { F, FrameReader, PROTOCOL_VERSION, encodeJson, type Frame } from './peer-protocol.ts';

/** What a link needs of the node it belongs to (core/cluster/cluster.ts). */
export interface PeerLinkHost {
  readonly node: string;
  /** This node's address as peers dial it. */
  readonly address: string;
  /** Changes at every start: peers tell a restart from a reconnect by it. */
  readonly incarnation: string;
  /** Set on a replicant: its Hello says so. */
  readonly replicant: boolean;
  readonly handshakeTimeoutMs: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly stats: ClusterStats;
  log(m: string): void;
  /** The proof that `prover` knows the secret, over the verifier's nonce (see Cluster.mac). */
  mac(nonce: string, prover: string, verifier: string, proverDialed: boolean): string;
  /** Both sides proved themselves. */
  linkUp(l: PeerLink): void;
  /** An authenticated link closed. */
  linkDown(l: PeerLink): void;
  onFrame(l: PeerLink, f: Frame): void;
}

export class PeerLink {
  state: 'hello' | 'authed' | 'closed' = 'hello';
  peer = '';
  peerAddress = '';
  peerInc = '';
  /** The peer said it is a replicant. */
  peerReplicant = false;
  /** Judged silent on waking from a freeze (heartbeat.ts): read until it is cut, written to no more. */
  muted = false;
  private reader = new FrameReader();
  private frames: Frame[] = [];
  readonly nonce: string;
  /** On the monotonic clock: a step of the wall clock (NTP) must not look like a silent peer. */
  lastRx: number;
  private gotAuth = false;
  private sentAuth = false;
  private helloTimer: Timer;

  constructor(
    private c: PeerLinkHost,
    private sink: ByteSink,
    readonly outbound: boolean,
    readonly expect: string | null,
  ) {
    this.nonce = randomHex(c.random, 16);
    this.lastRx = elapsed(c.clock);
    this.write(
      encodeJson(F.Hello, {
        v: PROTOCOL_VERSION,
        node: c.node,
        address: c.address,
        nonce: this.nonce,
        inc: c.incarnation,
        ...(c.replicant ? { role: 'replicant' } : {}),
      }),
    );
    // Heartbeats only watch authenticated links: one that never completes the handshake is cut here.
    const t = c.handshakeTimeoutMs;
    this.helloTimer = c.clock.setTimer(t, () => {
      if (this.state === 'hello') this.fail(`no handshake within ${t} ms`);
    });
  }

  write(b: Buffer): void {
    if (this.state !== 'closed' && !this.muted) this.sink.write(b);
  }

  receive(bytes: Buffer): void {
    if (this.state === 'closed') return;
    this.lastRx = elapsed(this.c.clock);
    const frames = this.frames;
    frames.length = 0;
    try {
      this.reader.push(bytes, this.c.clock.now(), frames);
    } catch (e) {
      this.c.stats.badFrames++;
      this.c.log(`peer link ${this.peer || '?'}: ${(e as Error).message}; closing`);
      this.close();
      return;
    }
    for (const f of frames) {
      if ((this.state as string) === 'closed') return;
      this.handle(f);
    }
  }

  private handle(f: Frame): void {
    if (this.state === 'hello') {
      if (f.type === F.Hello) {
        if (f.body.v !== PROTOCOL_VERSION)
          return this.fail(`peer protocol version ${f.body.v} not supported`);
        if (this.expect && f.body.node !== this.expect)
          return this.fail(`expected ${this.expect}, reached ${f.body.node}`);
        if (f.body.node === this.c.node) return this.fail('connected to itself');
        this.peer = f.body.node;
        this.peerAddress = f.body.address;
        this.peerInc = f.body.inc;
        this.peerReplicant = f.body.role === 'replicant';
        this.write(
          encodeJson(F.Auth, { mac: this.c.mac(f.body.nonce, this.c.node, this.peer, this.outbound) }),
        );
        this.sentAuth = true;
        if (this.gotAuth) this.c.linkUp(this);
        return;
      }
      if (f.type === F.Auth && this.peer) {
        if (!sameString(f.body.mac, this.c.mac(this.nonce, this.peer, this.c.node, !this.outbound))) {
          this.c.stats.authFailures++;
          return this.fail(`peer ${this.peer} failed authentication`);
        }
        this.gotAuth = true;
        if (this.sentAuth) this.c.linkUp(this);
        return;
      }
      return this.fail('frame before authentication');
    }
    this.c.onFrame(this, f);
  }

  private fail(why: string): void {
    this.c.log(`peer link: ${why}`);
    this.close();
  }

  close(): void {
    if (this.state === 'closed') return;
    const was = this.state;
    this.state = 'closed';
    this.helloTimer.cancel();
    this.sink.close();
    if (was === 'authed') this.c.linkDown(this);
  }

  transportClosed(): void {
    if (this.state === 'closed') return;
    const was = this.state;
    this.state = 'closed';
    this.helloTimer.cancel();
    if (was === 'authed') this.c.linkDown(this);
  }
}

/** Monotonic milliseconds for durations (the wall clock where the host has no monotonic one). */
export function elapsed(clock: Clock): number {
  return clock.monotonic ? clock.monotonic() : clock.now();
}

/**
 * The proof that `prover` knows the secret, over the verifier's nonce. It names the verifier and the
 * prover's side of the link, so a proof obtained by dialing one member cannot be replayed to another
 * (an attacker relaying between two nodes dials both: it can only collect acceptor proofs and
 * would have to present dialer proofs).
 */
export function peerProof(
  crypto: Crypto,
  secret: string,
  nonce: string,
  prover: string,
  verifier: string,
  proverDialed: boolean,
): string {
  const side = proverDialed ? 'dialer' : 'acceptor';
  return crypto.hmacSha256(secret, `mqttlab-peer|${nonce}|${prover}|${verifier}|${side}`);
}

export function randomHex(random: Random, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(random.next() * 256)
      .toString(16)
      .padStart(2, '0');
  return s;
}

/** Compares without stopping at the first difference (the MAC check must not leak how much matched). */
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}
