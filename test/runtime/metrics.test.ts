// GET /metrics: Prometheus text exposition 0.0.4, parsed by a small strict
// parser here; specific series move with traffic, drops and peer links.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { isolated, waitUntil, sleep, uniqueId } from '../helpers/runtime.ts';
import { freePorts } from '../helpers/ports.ts';

type Series = Map<string, number>;

/** Parses the text format strictly: HELP and TYPE before each family's samples, valid names, labels and values. */
function parseExposition(text: string): { series: Series; types: Map<string, string> } {
  const series: Series = new Map();
  const types = new Map<string, string>();
  const helped = new Set<string>();
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      helped.add(m[1]);
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (m) {
      expect(helped.has(m[1]), `HELP before TYPE of ${m[1]}`).toBe(true);
      expect(types.has(m[1]), `one TYPE line for ${m[1]}`).toBe(false);
      types.set(m[1], m[2]);
      continue;
    }
    m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$/.exec(
        line,
      );
    expect(m, `sample line: ${JSON.stringify(line)}`).not.toBeNull();
    let name = m![1];
    const base = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
    if (base && types.get(base) === 'histogram') name = base;
    if (types.get(name) === 'histogram')
      expect(m![1], 'histogram samples are _bucket, _sum, _count').not.toBe(name);
    expect(types.has(name), `TYPE before samples of ${name}`).toBe(true);
    if (types.get(name) === 'counter') expect(name.endsWith('_total')).toBe(true);
    const key = m![1] + (m![2] ?? '');
    expect(series.has(key), `duplicate series ${key}`).toBe(false);
    series.set(key, Number(m![3]));
  }
  return { series, types };
}

async function scrape(port: number): Promise<Series> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await res.text()).series;
}

/** Bucket counts of each series set never decrease as `le` grows and end at _count. */
function expectCumulative(s: Series, bucket: string): void {
  const sets = new Map<string, [number, number][]>();
  for (const [k, v] of s) {
    const m = new RegExp(`^${bucket}\\{(.*?),?le="([^"]+)"\\}$`).exec(k);
    if (!m) continue;
    if (!sets.has(m[1])) sets.set(m[1], []);
    sets.get(m[1])!.push([m[2] === '+Inf' ? Infinity : Number(m[2]), v]);
  }
  expect(sets.size).toBeGreaterThan(0);
  for (const [labels, bs] of sets) {
    bs.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < bs.length; i++)
      expect(bs[i][1], `${bucket}{${labels}} cumulative`).toBeGreaterThanOrEqual(bs[i - 1][1]);
    const count = s.get(bucket.replace(/_bucket$/, '_count') + (labels ? `{${labels}}` : ''));
    expect(bs[bs.length - 1][1]).toBe(count);
  }
}

describe('GET /metrics', () => {
  it(
    'standalone with a data dir: connections, messages in/out, drops by reason, sessions, retained, bytes, store writes move with traffic',
    isolated(async (rt) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mqttlab-metrics-'));
      try {
        const s = await rt.server({
          admin: { enabled: true, port: 0 },
          dataDir: dir,
          limits: { maxQueuedMessages: 2 },
          session: { dropPolicy: 'drop-new' },
        });
        const before = await scrape(s.adminPort!);
        expect(before.get('mqttlab_connections')).toBe(0);
        expect(before.get('mqttlab_uptime_seconds')).toBeGreaterThanOrEqual(0);
        expect(before.has('mqttlab_cluster_peer_up{peer="x"}')).toBe(false);

        const id = uniqueId('m');
        const sub = await rt.client(s, {
          protocolVersion: 5,
          clientId: id,
          clean: false,
          properties: { sessionExpiryInterval: 60 },
        });
        await sub.subscribeAsync('t/#', { qos: 1 });
        const pub = await rt.client(s, { protocolVersion: 5 });
        await pub.publishAsync('t/1', 'x', { qos: 1 });
        await sub.inbox.waitFor(1);
        const mid = await scrape(s.adminPort!);
        expect(mid.get('mqttlab_connections')).toBe(2);
        expect(mid.get('mqttlab_connects_total{result="accepted"}')).toBe(2);
        expect(mid.get('mqttlab_messages_received_total')).toBe(1);
        expect(mid.get('mqttlab_messages_sent_total')).toBe(1);
        expect(mid.get('mqttlab_sessions{state="connected"}')).toBe(2);
        expect(mid.get('mqttlab_subscriptions')).toBe(1);
        expect(mid.get('mqttlab_bytes_received_total')!).toBeGreaterThan(
          before.get('mqttlab_bytes_received_total')!,
        );
        expect(mid.get('mqttlab_bytes_sent_total')!).toBeGreaterThan(0);

        await sub.endAsync();
        await waitUntil(() => s.broker.stats.connectedCount === 1);
        for (let i = 0; i < 4; i++) await pub.publishAsync('t/2', `q${i}`, { qos: 1 });
        await pub.publishAsync('r/1', 'kept', { qos: 1, retain: true });
        const after = await scrape(s.adminPort!);
        expect(after.get('mqttlab_sessions{state="offline"}')).toBe(1);
        expect(after.get('mqttlab_queued_messages')).toBe(2);
        expect(after.get('mqttlab_messages_dropped_total{reason="queue-full"}')).toBe(2);
        expect(after.get('mqttlab_retained_messages')).toBe(1);
        expect(after.get('mqttlab_store_batches_total')!).toBeGreaterThan(
          mid.get('mqttlab_store_batches_total')!,
        );
        expect(after.get('mqttlab_store_keys')).toBe(4); // the session, 2 owed messages, 1 retained

        // Histograms: one QoS 1 delivery so far; every data dir batch timed; buckets cumulative up to +Inf.
        expect(after.get('mqttlab_delivery_latency_seconds_count{qos="1"}')).toBe(1);
        expect(after.get('mqttlab_delivery_latency_seconds_bucket{qos="1",le="+Inf"}')).toBe(1);
        expect(after.get('mqttlab_delivery_latency_seconds_bucket{qos="1",le="60"}')).toBe(1);
        expect(after.get('mqttlab_delivery_latency_seconds_count{qos="0"}')).toBe(0);
        expect(after.get('mqttlab_store_fsync_seconds_count')).toBe(after.get('mqttlab_store_batches_total'));
        expect(after.get('mqttlab_store_fsync_seconds_sum')!).toBeGreaterThan(0);
        expectCumulative(after, 'mqttlab_store_fsync_seconds_bucket');
        // Process and Node runtime series (prom-client's default collectors).
        expect(after.get('process_cpu_seconds_total')!).toBeGreaterThan(0);
        expect(after.get('process_resident_memory_bytes')!).toBeGreaterThan(1e6);
        expect(after.get('nodejs_heap_size_used_bytes')!).toBeGreaterThan(0);
        expect(after.has('nodejs_eventloop_lag_seconds')).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );

  it(
    'clustered: peer link state per peer, forwarded messages, netsplits detected',
    isolated(async (rt) => {
      const [p1, p2] = await freePorts(2);
      const seeds = [`a@127.0.0.1:${p1}`, `b@127.0.0.1:${p2}`];
      const node = (name: string, port: number) =>
        rt.server({
          node: name,
          admin: { enabled: true, port: 0 },
          cluster: {
            enabled: true,
            host: '127.0.0.1',
            port,
            secret: 's',
            seeds,
            heartbeatIntervalMs: 100,
            heartbeatTimeoutMs: 1000,
          },
        });
      const a = await node('a', p1);
      const b = await node('b', p2);
      await waitUntil(
        () =>
          a.cluster!.status().every((m) => m.state === 'running') &&
          b.cluster!.status().every((m) => m.state === 'running'),
        5000,
        'cluster up',
      );
      const m0 = await scrape(a.adminPort!);
      expect(m0.get('mqttlab_cluster_peer_up{peer="b"}')).toBe(1);
      expect(m0.get('mqttlab_cluster_peer_state{peer="b",state="running"}')).toBe(1);
      expect(m0.get('mqttlab_cluster_peer_state{peer="b",state="unreachable"}')).toBe(0);

      const sub = await rt.client(b, { protocolVersion: 5 });
      await sub.subscribeAsync('x/#', { qos: 1 });
      await waitUntil(() => a.cluster!.routes.size > 0, 3000, 'route on a');
      const pub = await rt.client(a, { protocolVersion: 5 });
      await pub.publishAsync('x/1', 'hi', { qos: 1 });
      await sub.inbox.waitFor(1);
      const m1 = await scrape(a.adminPort!);
      expect(m1.get('mqttlab_messages_forwarded_total{direction="out"}')).toBe(1);
      expect(m1.get('mqttlab_routes')).toBe(1);
      expect((await scrape(b.adminPort!)).get('mqttlab_messages_forwarded_total{direction="in"}')).toBe(1);

      await b.stop();
      await waitUntil(
        () => a.cluster!.status().some((m) => m.node === 'b' && m.state === 'unreachable'),
        5000,
        'b unreachable',
      );
      await sleep(10);
      const m2 = await scrape(a.adminPort!);
      expect(m2.get('mqttlab_cluster_peer_up{peer="b"}')).toBe(0);
      expect(m2.get('mqttlab_cluster_peer_state{peer="b",state="unreachable"}')).toBe(1);
      expect(m2.get('mqttlab_cluster_netsplits_detected_total')).toBe(1);
      // The forward to b was acknowledged: one peer round trip observed, not more than the delayed ack plus slack.
      expect(m2.get('mqttlab_cluster_peer_ack_seconds_count{peer="b"}')!).toBeGreaterThanOrEqual(1);
      expect(m2.get('mqttlab_cluster_peer_ack_seconds_sum{peer="b"}')!).toBeGreaterThan(0);
      expectCumulative(m2, 'mqttlab_cluster_peer_ack_seconds_bucket');
      expect(m2.get('mqttlab_delivery_latency_seconds_count{qos="1"}')).toBe(0); // delivered on b, not here
    }),
  );
});
