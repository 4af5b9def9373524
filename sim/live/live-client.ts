// A real MQTT client (mqtt.js over loopback TCP) that records the same
// history events as the simulator's SimClient (sim/client.ts): connect,
// connack, closed, subscribe, publish invoked / acknowledged / failed, and
// every delivery with the payload id the publisher put in front. The
// checkers (sim/checkers.ts) judge a live history exactly as a simulated one.

import mqtt from 'mqtt';
import type { MqttClient, IClientOptions } from 'mqtt';
import type { IPublishPacket, IConnackPacket, IDisconnectPacket, Packet } from 'mqtt-packet';
import {
  messageBody,
  payloadId,
  resolveClientOptions,
  clientConfigEvent,
  violationEvent,
  type ClientOptions,
  type PublishOptions,
  type ResolvedClientOptions,
} from '../client.ts';
import { ClientGuard, wireSize } from '../client-guard.ts';
import type { ClientConnackEvent, ClientEvent, PubInvokeEvent } from '../events.ts';
import type { QoS } from '../../core/message.ts';
import type { LiveWorld } from './live-world.ts';

export class LiveClient {
  state: 'idle' | 'connecting' | 'connected' | 'closed' = 'idle';
  readonly opts: ResolvedClientOptions;
  /** The same strict-client judge as SimClient's, fed from mqtt.js's packetsend/packetreceive. */
  private guard: ClientGuard;
  /** Node the current connection landed on (through a balancer: asked of the nodes' admin APIs). */
  node: string | null = null;
  connects = 0;
  readonly received: { id: string; topic: string; qos: QoS; dup: boolean; retain: boolean }[] = [];
  readonly acked = new Set<string>();
  onMessage: ((topic: string, payload: Buffer, pkt: IPublishPacket) => void) | null = null;
  private client: MqttClient | null = null;
  private seq = 0;
  private pending = 0;
  private wantConnected = false;
  private targetIdx = 0;
  /** Bumped per connection so a late lookup of an older one is ignored. */
  private gen = 0;
  /** Filters whose SUBACK arrived. */
  private confirmed = new Set<string>();
  private offline: (() => void)[] = [];
  /**
   * Behind a balancer, the CONNACK is recorded once the node is known (asked of the admin APIs), but
   * mqtt.js hands over packets that followed it meanwhile: this client's events wait here and go into
   * the history after the CONNACK, at the times they were seen, so the history keeps the wire's order.
   */
  private held: {
    at: number;
    connack: ClientConnackEvent;
    events: { at: number; ev: ClientEvent }[];
  } | null = null;

  constructor(
    readonly world: LiveWorld,
    readonly id: string,
    opts: ClientOptions,
  ) {
    this.opts = resolveClientOptions(opts);
    this.guard = new ClientGuard(this.opts.clean, this.opts.version, {
      maximumPacketSize: opts.maximumPacketSize,
    });
    world.record(clientConfigEvent(id, this.opts));
    if (this.opts.autoConnect) this.connect();
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Records a client event (at `at`, else now); a client sharing its id with another process names its host. */
  private rec(ev: ClientEvent, at?: number): void {
    if (this.opts.host) ev.h = this.opts.host;
    if (this.held) this.held.events.push({ at: at ?? this.world.now, ev });
    else if (at === undefined) this.world.record(ev);
    else this.world.recordAt(at, ev);
  }

  /** Publishes not yet acknowledged. */
  get inflight(): number {
    return this.pending;
  }

  private targets(): string[] {
    return Array.isArray(this.opts.target) ? this.opts.target : [this.opts.target];
  }

  connect(): void {
    this.wantConnected = true;
    if (this.client) {
      if (!this.client.connected && !this.client.reconnecting) this.client.reconnect();
      return;
    }
    // Nodes and the balancer must be listening first.
    this.world.afterSetup(() => this.open());
  }

  private open(): void {
    if (!this.wantConnected || this.client) return;
    const o = this.opts;
    const scale = this.world.timeScale;
    const r = o.reconnect;
    // mqtt.js walks `servers` from the first on each new client: start where attempt() will record.
    const ts = this.targets();
    const first = this.targetIdx % ts.length;
    const servers = [...ts.slice(first), ...ts.slice(0, first)].map((t) => ({
      host: '127.0.0.1',
      port: this.world.mqttPort(t),
    }));
    const copts: IClientOptions = {
      clientId: this.id,
      protocolVersion: o.version as 3 | 4 | 5,
      protocolId: o.version === 3 ? 'MQIsdp' : 'MQTT',
      clean: o.clean,
      keepalive: o.keepalive > 0 ? Math.max(1, Math.round(o.keepalive * scale)) : 0,
      // mqtt.js retries at a fixed period: the scenario's minimum backoff, in wall time.
      reconnectPeriod: r ? Math.max(20, Math.round(r.minMs * scale)) : 0,
      connectTimeout: Math.max(2000, Math.round(30_000 * scale)),
      resubscribe: false,
      servers,
      host: servers[0].host,
      port: servers[0].port,
    };
    // Protocol intervals in seconds run on the scenario's clock too (0 and "never" stay).
    const secs = (v: number) => (v === 0 || v >= 0xffffffff ? v : Math.max(1, Math.round(v * scale)));
    if (o.version === 5) copts.properties = { sessionExpiryInterval: secs(o.sessionExpiry) };
    if (o.version === 5 && o.maximumPacketSize) copts.properties!.maximumPacketSize = o.maximumPacketSize;
    if (o.username !== undefined) copts.username = o.username;
    if (o.password !== undefined) copts.password = o.password;
    if (o.will) {
      copts.will = {
        topic: o.will.topic,
        payload: Buffer.from(o.will.payload),
        qos: o.will.qos,
        retain: !!o.will.retain,
      };
      if (o.version === 5 && o.will.delay) copts.will.properties = { willDelayInterval: secs(o.will.delay) };
    }
    this.attempt();
    // mqtt.js writes the first CONNECT inside mqtt.connect(), before our packetsend listener exists.
    this.guard.opened();
    const c = mqtt.connect(copts);
    this.client = c;
    // A killed process's client may still report its close later: only the current one speaks.
    const on = <A extends unknown[]>(ev: string, fn: (...a: A) => void) =>
      c.on(
        ev as 'close',
        ((...a: A) => {
          if (this.client === c) fn(...a);
        }) as () => void,
      );
    on('reconnect', () => this.attempt());
    on('connect', (p: IConnackPacket) => this.onConnack(p));
    on('close', () => this.onClose('close'));
    on('error', (e: Error & { code?: number }) => {
      // A refused CONNACK arrives as an error carrying its code.
      if (typeof e.code === 'number')
        this.rec({ type: 'client.connack', c: this.id, rc: e.code, node: this.node });
    });
    on('disconnect', (p: IDisconnectPacket) =>
      this.rec({ type: 'client.server-disconnect', c: this.id, rc: p.reasonCode ?? 0 }),
    );
    on('message', (topic: string, payload: Buffer, p: IPublishPacket) => this.onPublish(topic, payload, p));
    on('packetsend', (p: Packet) => {
      if (p.cmd === 'connect') this.guard.opened();
      else this.guard.sent(p);
    });
    on('packetreceive', (p: Packet) => {
      const rem = (p as { length?: number }).length;
      const bad = this.guard.received(p, rem === undefined ? undefined : wireSize(rem));
      if (!bad) return;
      // mqtt.js handles the packet anyway; the connection is dropped after it, as a strict client would.
      this.rec(violationEvent(this.id, this.opts.host, this.node, bad));
      c.stream?.destroy();
    });
  }

  private attempt(): void {
    const ts = this.targets();
    const target = ts[this.targetIdx++ % ts.length];
    this.state = 'connecting';
    this.rec({ type: 'client.connect', c: this.id, target });
  }

  private onConnack(p: IConnackPacket): void {
    const gen = ++this.gen;
    const at = this.world.now;
    const present = !!p.sessionPresent;
    const ts = this.targets();
    const direct = ts.length === 1 && this.world.brokers.has(ts[0]) ? ts[0] : null;
    if (!direct) {
      this.node = null; // not known until located
      this.held = {
        at,
        connack: { type: 'client.connack', c: this.id, rc: 0, present, node: null },
        events: [],
      };
    }
    // Subscribe at once, as SimClient does; also when the session is present but a
    // connection died before our SUBACK came (the session then has no subscription).
    const missing = this.opts.subscriptions.filter((s) => !present || !this.confirmed.has(s.filter));
    if (missing.length) this.sendSubscribe(missing);
    const finish = (node: string | null) => {
      if (gen !== this.gen || !this.client?.connected) return;
      this.node = node;
      this.state = 'connected';
      this.connects++;
      if (direct) this.rec({ type: 'client.connack', c: this.id, rc: 0, present, node }, at);
      else this.release(node);
      const q = this.offline;
      this.offline = [];
      for (const send of q) send();
    };
    if (direct) finish(direct);
    else void this.world.locate(this.id).then(finish);
  }

  /** Records the held CONNACK, then what this connection saw meanwhile (on `node`, when it was found). */
  private release(node: string | null): void {
    const h = this.held;
    if (!h) return;
    this.held = null;
    h.connack.node = node;
    this.rec(h.connack, h.at);
    for (const { at, ev } of h.events) {
      if ('node' in ev && ev.node === null) ev.node = node;
      this.rec(ev, at);
    }
  }

  private onClose(reason: string): void {
    this.gen++;
    this.release(null); // closed before its node was found: the CONNACK still came first
    if (this.state === 'closed' || this.state === 'idle') return;
    const was = this.state;
    this.state = 'closed';
    this.rec({ type: 'client.closed', c: this.id, reason, node: this.node, was });
  }

  /** Graceful DISCONNECT; no reconnect. */
  disconnect(reasonCode = 0): void {
    this.wantConnected = false;
    if (this.state === 'connected') this.rec({ type: 'client.disconnect', c: this.id, rc: reasonCode });
    this.client?.end(false, { reasonCode });
    this.onClose('client');
  }

  /**
   * The client process dies: the socket is destroyed, no DISCONNECT, no reconnect. Its mqtt.js client
   * goes with it (one that was ended cannot be reconnected at once: `connect()` after `kill()` did
   * nothing), so a later `connect()` opens a new one on the next target, as SimClient does.
   */
  kill(): void {
    this.wantConnected = false;
    this.rec({ type: 'client.kill', c: this.id });
    const c = this.client;
    this.client = null;
    if (c) {
      c.options.reconnectPeriod = 0;
      c.stream?.destroy();
      c.end(true);
    }
    this.onClose('killed');
  }

  subscribe(filter: string, qos: QoS): void {
    if (!this.opts.subscriptions.some((s) => s.filter === filter))
      this.opts.subscriptions.push({ filter, qos });
    if (this.connected) this.sendSubscribe([{ filter, qos }]);
  }

  /** Publishes a message whose payload starts with a unique id `client:seq`; returns that id. */
  publish(topic: string, qos: QoS, opts: PublishOptions = {}): string {
    const id = `${this.id}:${++this.seq}`;
    const body = messageBody(id, opts);
    const ev: PubInvokeEvent = { type: 'pub.invoke', c: this.id, id, topic, qos, retain: !!opts.retain };
    if (opts.clear) ev.clear = true;
    this.rec(ev);
    this.pending++;
    const send = () =>
      this.client!.publish(topic, Buffer.from(body), { qos, retain: !!opts.retain }, (err) => {
        this.pending--;
        if (err) {
          const rc = (err as Error & { code?: number }).code;
          // Only a broker's reason code is a failure the checkers know; a closed client is not an answer.
          if (typeof rc === 'number') this.rec({ type: 'pub.fail', c: this.id, id, rc });
          return;
        }
        if (qos === 0) this.rec({ type: 'pub.ok', c: this.id, id });
        else {
          this.acked.add(id);
          this.rec({ type: 'pub.ok', c: this.id, id, node: this.node });
        }
      });
    // Publishes made while not connected wait here and go out after the resends of
    // in-flight ones (as in SimClient). Handing them to mqtt.js offline would put them in
    // its store under packet ids the next connection may reuse, overwriting and reordering.
    if (this.connected && this.client?.connected) send();
    else this.offline.push(send);
    return id;
  }

  private sendSubscribe(subs: { filter: string; qos: QoS }[]): void {
    this.rec({ type: 'sub.invoke', c: this.id, filters: subs.map((s) => s.filter).join(',') });
    this.client!.subscribe(
      Object.fromEntries(subs.map((s) => [s.filter, { qos: s.qos }])),
      (err, granted) => {
        if (err || !granted) return;
        for (const g of granted) if (g.qos < 0x80) this.confirmed.add(g.topic);
        this.rec({ type: 'sub.ok', c: this.id, granted: granted.map((g) => g.qos).join(',') });
      },
    );
  }

  private onPublish(topic: string, payload: Buffer, p: IPublishPacket): void {
    const id = payloadId(payload);
    this.received.push({ id, topic, qos: p.qos, dup: p.dup, retain: p.retain });
    this.rec({
      type: 'deliver',
      c: this.id,
      id,
      topic,
      qos: p.qos,
      dup: p.dup,
      retain: p.retain,
      node: this.node,
    });
    this.onMessage?.(topic, payload, p);
  }

  /** Closes the client for good (end of run). */
  async close(): Promise<void> {
    this.wantConnected = false;
    this.pending -= this.offline.length;
    this.offline = [];
    const c = this.client;
    if (!c) return;
    c.options.reconnectPeriod = 0;
    await new Promise<void>((r) => {
      c.end(true, {}, () => r());
      setTimeout(r, 1000).unref();
    });
  }
}
