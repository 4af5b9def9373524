// $SYS/broker/... statistics, published as retained messages at an interval
// (Mosquitto's topic names, so existing dashboards work).

import type { Broker } from './broker.ts';
import { VERSION } from './broker.ts';
import type { Timer } from './env.ts';

export class SysPublisher {
  private timer: Timer | null = null;

  constructor(private broker: Broker) {
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
    b.publish({ topic: '$SYS/broker/' + topic, payload: Buffer.from(String(value)), qos: 0, retain: true, from: '', receivedAt: b.env.clock.now() });
  }

  private publishStatic(): void {
    this.put('version', `mqttlab ${VERSION}`);
    this.put('node', this.broker.config.node);
  }

  /** `$SYS/brokers`: the running nodes of the cluster, comma-separated (clustered brokers only; kept on this node). */
  private publishBrokers(): void {
    const b = this.broker;
    if (!b.cluster) return;
    const running = b.cluster
      .status()
      .filter((m) => m.state === 'running')
      .map((m) => m.node)
      .sort();
    b.publish({ topic: '$SYS/brokers', payload: Buffer.from(running.join(',')), qos: 0, retain: true, from: '', receivedAt: b.env.clock.now() });
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
    this.put('subscriptions/count', b.router.subscriptionCount);
    this.put('retained messages/count', b.retained.size);
    this.put('load/bytes/received', s.bytesIn);
    this.put('load/bytes/sent', s.bytesOut);
    this.put('security/auth/failed', s.auth.failed);
    this.put('security/banned', s.auth.banned);
    this.put('security/denied/publish', s.denied.publish);
    this.put('security/denied/subscribe', s.denied.subscribe);
    this.put('security/denied/will', s.denied.will);
    this.put('security/rate-limited/connect', s.auth.connectRateExceeded);
    this.put('security/rate-limited/messages', s.auth.messageRateExceeded);
  }
}
