// $SYS/broker/... statistics, published as retained messages at an interval
// (Mosquitto's topic names, so existing dashboards work). load/.../1min,
// 5min, 15min are Mosquitto's moving averages of per-minute rates, computed
// on the broker's clock (virtual in the simulator).

import type { BrokerStats } from './broker-api.ts';
import type { BrokerConfig } from './config.ts';
import type { Env, Timer } from './env.ts';
import type { Message } from './message.ts';
import { VERSION } from './version.ts';

/** What $SYS reports on: the broker (core/broker.ts). */
export interface SysSource {
  readonly env: Env;
  readonly config: BrokerConfig;
  readonly stats: BrokerStats;
  readonly startedAt: number;
  readonly sessions: { readonly size: number };
  readonly subscriptions: { readonly subscriptionCount: number };
  readonly retained: { readonly size: number };
  readonly clustered: boolean;
  runningNodes(): string[];
  publish(msg: Message): number;
}

/** The counters with load averages, under $SYS/broker/load/<name>/{1min,5min,15min}; messages = MQTT packets of any type. */
const LOADS = [
  'messages/received',
  'messages/sent',
  'publish/received',
  'publish/sent',
  'bytes/received',
  'bytes/sent',
  'connections',
] as const;
type LoadName = (typeof LOADS)[number];
const WINDOWS = [
  ['1min', 60],
  ['5min', 300],
  ['15min', 900],
] as const;

/**
 * Mosquitto's load averages (sys_tree.c): each interval's increase as a
 * per-minute rate, folded into an exponentially weighted average with
 * time constant 1, 5 and 15 minutes: load = rate + e^(-dt/T) (load - rate).
 */
export class LoadAverages {
  private last: Record<LoadName, number> | null = null;
  private lastAt = 0;
  readonly load = new Map<string, number>();

  update(now: number, counters: Record<LoadName, number>): void {
    const prev = this.last;
    const dt = (now - this.lastAt) / 1000;
    if (prev && dt <= 0) return; // no time passed: the increase counts in the next interval
    this.last = { ...counters };
    this.lastAt = now;
    if (!prev) return;
    for (const name of LOADS) {
      const perMin = ((counters[name] - prev[name]) * 60) / dt;
      for (const [w, T] of WINDOWS) {
        const k = `${name}/${w}`;
        const old = this.load.get(k) ?? 0;
        this.load.set(k, perMin + Math.exp(-dt / T) * (old - perMin));
      }
    }
  }
}

export class SysPublisher {
  private timer: Timer | null = null;
  private loads = new LoadAverages();

  constructor(private broker: SysSource) {
    this.loads.update(broker.env.clock.now(), this.counters());
    this.schedule();
    this.publishStatic();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private schedule(): void {
    this.timer = this.broker.env.clock.setTimer(this.broker.config.sysInterval * 1000, () => {
      this.publishAll();
      this.schedule();
    });
  }

  private put(topic: string, value: string | number): void {
    const b = this.broker;
    b.publish({
      topic: '$SYS/broker/' + topic,
      payload: Buffer.from(String(value)),
      qos: 0,
      retain: true,
      from: '',
      receivedAt: b.env.clock.now(),
    });
  }

  private publishStatic(): void {
    this.put('version', `mqttlab ${VERSION}`);
    this.put('node', this.broker.config.node);
  }

  /** `$SYS/brokers`: the running nodes of the cluster, comma-separated (clustered brokers only; kept on this node). */
  private publishBrokers(): void {
    const b = this.broker;
    if (!b.clustered) return;
    const running = b.runningNodes();
    b.publish({
      topic: '$SYS/brokers',
      payload: Buffer.from(running.join(',')),
      qos: 0,
      retain: true,
      from: '',
      receivedAt: b.env.clock.now(),
    });
  }

  private counters(): Record<LoadName, number> {
    const s = this.broker.stats;
    return {
      'messages/received': s.packetsIn,
      'messages/sent': s.packetsOut,
      'publish/received': s.messagesIn,
      'publish/sent': s.messagesOut,
      'bytes/received': s.bytesIn,
      'bytes/sent': s.bytesOut,
      // CONNECT packets answered, accepted or not.
      connections: s.connectsAccepted + s.connectsRejected,
    };
  }

  publishAll(): void {
    const b = this.broker;
    this.publishBrokers();
    const s = b.stats;
    let dropped = 0;
    for (const v of Object.values(s.dropped)) dropped += v;
    this.put('uptime', `${Math.floor((b.env.clock.now() - b.startedAt) / 1000)} seconds`);
    this.put('clients/connected', s.connectedCount);
    this.put('clients/total', b.sessions.size);
    this.put('clients/disconnected', b.sessions.size - s.connectedCount);
    this.put('messages/received', s.messagesIn);
    this.put('messages/sent', s.messagesOut);
    this.put('messages/dropped', dropped);
    this.put('subscriptions/count', b.subscriptions.subscriptionCount);
    this.put('retained messages/count', b.retained.size);
    this.put('bytes/received', s.bytesIn);
    this.put('bytes/sent', s.bytesOut);
    this.put('publish/messages/received', s.messagesIn);
    this.put('publish/messages/sent', s.messagesOut);
    this.loads.update(b.env.clock.now(), this.counters());
    for (const [k, v] of this.loads.load) this.put(`load/${k}`, v.toFixed(2));
    this.put('security/auth/failed', s.auth.failed);
    this.put('security/banned', s.auth.banned);
    this.put('security/denied/publish', s.denied.publish);
    this.put('security/denied/subscribe', s.denied.subscribe);
    this.put('security/denied/will', s.denied.will);
    this.put('security/rate-limited/connect', s.auth.connectRateExceeded);
    this.put('security/rate-limited/messages', s.auth.messageRateExceeded);
  }
}
