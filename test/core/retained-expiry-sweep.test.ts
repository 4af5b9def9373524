// Expired retained messages are removed when they expire, not kept until someone subscribes.
import { describe, it, expect } from 'vitest';
import { Broker } from '../../core/broker.ts';
import { manualEnv } from '../helpers/manual-env.ts';

describe('retained message expiry', () => {
  it('an expiring retained message leaves the store at its expiry time', () => {
    const env = manualEnv();
    const b = new Broker(env, { sysInterval: 0 });
    b.publish({
      topic: 'a/b',
      payload: Buffer.from('x'),
      qos: 0,
      retain: true,
      from: 'c',
      receivedAt: 0,
      expiresAt: 5000,
    });
    b.publish({ topic: 'a/c', payload: Buffer.from('y'), qos: 0, retain: true, from: 'c', receivedAt: 0 });
    expect(b.retained.size).toBe(2);
    env.clock.advance(4999);
    expect(b.retained.size).toBe(2);
    env.clock.advance(1);
    expect(b.retained.size).toBe(1);
    expect(b.retained.get('a/b')).toBeUndefined();
    expect(b.retained.get('a/c')?.payload.toString()).toBe('y');
  });
});
