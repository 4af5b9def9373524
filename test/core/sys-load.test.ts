// $SYS/broker/load/.../1min|5min|15min: Mosquitto's exponentially weighted
// per-minute rates, on the broker's clock (here a hand-driven one).

import { describe, it, expect } from 'vitest';
import { newBroker } from '../helpers/core-client.ts';
import { LoadAverages } from '../../core/sys-topics.ts';

const retained = (b: ReturnType<typeof newBroker>['broker'], t: string) =>
  b.retained.get(`$SYS/broker/${t}`)?.payload.toString();

describe('$SYS load averages', () => {
  it('a steady 600 packets per minute: the 1 min average gets there first, then 5 and 15 min; published with 2 decimals', () => {
    const { broker, env } = newBroker({ sysInterval: 10 });
    for (let i = 0; i < 6; i++) {
      broker.stats.packetsIn += 100; // 100 per 10 s = 600/min
      env.clock.advance(10_000);
    }
    // After 60 s of a step from 0 to 600/min: 600 (1 - e^(-60/T)).
    expect(Number(retained(broker, 'load/messages/received/1min'))).toBeCloseTo(600 * (1 - Math.exp(-1)), 1);
    expect(Number(retained(broker, 'load/messages/received/5min'))).toBeCloseTo(
      600 * (1 - Math.exp(-60 / 300)),
      1,
    );
    expect(Number(retained(broker, 'load/messages/received/15min'))).toBeCloseTo(
      600 * (1 - Math.exp(-60 / 900)),
      1,
    );
    expect(retained(broker, 'load/messages/received/1min')).toMatch(/^\d+\.\d\d$/);
    expect(retained(broker, 'load/messages/sent/1min')).toBe('0.00');
    for (let i = 0; i < 60; i++) {
      broker.stats.packetsIn += 100;
      env.clock.advance(10_000);
    }
    expect(Number(retained(broker, 'load/messages/received/1min'))).toBeCloseTo(600, 0);
    // Traffic stops: the averages decay, the short one fastest.
    env.clock.advance(120_000);
    const one = Number(retained(broker, 'load/messages/received/1min'));
    const fifteen = Number(retained(broker, 'load/messages/received/15min'));
    expect(one).toBeCloseTo(600 * Math.exp(-2), 0);
    expect(fifteen).toBeGreaterThan(one);
  });

  it('every Mosquitto load topic is published, and the totals live at bytes/ and publish/messages/', () => {
    const { broker, env } = newBroker({ sysInterval: 5 });
    env.clock.advance(5000);
    for (const n of [
      'messages/received',
      'messages/sent',
      'publish/received',
      'publish/sent',
      'bytes/received',
      'bytes/sent',
      'connections',
    ]) {
      for (const w of ['1min', '5min', '15min'])
        expect(retained(broker, `load/${n}/${w}`), `${n}/${w}`).toBe('0.00');
    }
    expect(retained(broker, 'bytes/received')).toBe('0');
    expect(retained(broker, 'publish/messages/received')).toBe('0');
  });

  it('uneven intervals weigh by elapsed time (the formula, directly)', () => {
    const l = new LoadAverages();
    const c = {
      'messages/received': 0,
      'messages/sent': 0,
      'publish/received': 0,
      'publish/sent': 0,
      'bytes/received': 0,
      'bytes/sent': 0,
      connections: 0,
    };
    l.update(0, c);
    l.update(30_000, { ...c, connections: 30 }); // 60/min for 30 s
    expect(l.load.get('connections/1min')).toBeCloseTo(60 * (1 - Math.exp(-0.5)), 9);
    l.update(30_000, { ...c, connections: 99 }); // no time passed: ignored
    expect(l.load.get('connections/1min')).toBeCloseTo(60 * (1 - Math.exp(-0.5)), 9);
  });
});
