// Prometheus text exposition (format 0.0.4) of a node's statistics, served
// by the admin API at GET /metrics: the broker's counters and gauges, latency
// histograms fed by observers on the broker, the cluster and the disk store,
// and prom-client's standard process and Node runtime series (CPU, memory,
// file descriptors, event-loop lag, heap, GC).

import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Broker } from '../core/broker.ts';
import type { Cluster } from '../core/cluster/cluster.ts';
import type { DiskStore } from './disk-store.ts';
import type { LinkStatus } from '../core/link/links.ts';
import { ExternalStorage } from '../core/external-storage.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;

class Exposition {
  private out: string[] = [];

  metric(
    name: string,
    type: 'counter' | 'gauge' | 'histogram',
    help: string,
    samples: [Labels, number][] | number,
  ): void {
    this.out.push(
      `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${name} ${type}`,
    );
    const list: [Labels, number][] = typeof samples === 'number' ? [[{}, samples]] : samples;
    for (const [labels, v] of list) this.out.push(`${name}${fmtLabels(labels)} ${fmtValue(v)}`);
  }

  /** One histogram family: a series set per label set (cumulative buckets, +Inf, sum, count). */
  histogram(name: string, help: string, hs: [Labels, Histogram][]): void {
    this.metric(name, 'histogram', help, []);
    for (const [labels, h] of hs) {
      let cum = 0;
      h.bounds.forEach((le, i) => {
        cum += h.counts[i];
        this.out.push(`${name}_bucket${fmtLabels({ ...labels, le: String(le) })} ${cum}`);
      });
      this.out.push(`${name}_bucket${fmtLabels({ ...labels, le: '+Inf' })} ${h.count}`);
      this.out.push(
        `${name}_sum${fmtLabels(labels)} ${fmtValue(h.sum)}`,
        `${name}_count${fmtLabels(labels)} ${h.count}`,
      );
    }
  }

  /** Another registry's exposition (prom-client separates families with blank lines: dropped). */
  raw(text: string): void {
    // Its NaN is spelled "Nan" (Prometheus takes either; the format says NaN).
    for (const line of text.split('\n'))
      if (line !== '') this.out.push(line.endsWith(' Nan') ? line.slice(0, -3) + 'NaN' : line);
  }

  text(): string {
    return this.out.join('\n') + '\n';
  }
}

/** Fixed buckets (upper bounds, seconds), observed in O(buckets) with no allocation: cheap on the delivery path. */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
}

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
const FSYNC_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

/**
 * Latency observed on one node: end-to-end delivery (message received by
 * this cluster to PUBLISH written to the subscriber), data dir batches
 * (write + fsync) and peer acknowledgements. attach() installs the
 * observers; the core only calls them.
 */
export class NodeMetrics {
  readonly delivery: Histogram[] = [0, 1, 2].map(() => new Histogram(LATENCY_BUCKETS));
  readonly fsync = new Histogram(FSYNC_BUCKETS);
  readonly peerAck = new Map<string, Histogram>();

  attach(broker: Broker, cluster?: Cluster, store?: DiskStore): void {
    const clock = broker.env.clock;
    // Retained messages sent on subscribe (retain flag set) entered long ago: not a delivery latency.
    broker.hooks.onSent = (_id, d) => {
      if (!d.retain) this.delivery[d.qos].observe(Math.max(0, clock.now() - d.msg.receivedAt) / 1000);
    };
    if (store) store.onBatch = (ms) => this.fsync.observe(ms / 1000);
    if (cluster) {
      cluster.onPeerAck = (peer, ms) => {
        let h = this.peerAck.get(peer);
        if (!h) this.peerAck.set(peer, (h = new Histogram(LATENCY_BUCKETS)));
        h.observe(ms / 1000);
      };
    }
  }
}

/** Process and Node runtime series: one registry per process (they describe the process, not a broker). */
let processRegistry: Registry | null = null;
function processMetrics(): Promise<string> {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry.metrics();
}

function fmtLabels(l: Labels): string {
  const ks = Object.keys(l);
  if (ks.length === 0) return '';
  return (
    '{' +
    ks
      .map((k) => `${k}="${l[k].replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      .join(',') +
    '}'
  );
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export async function renderMetrics(
  broker: Broker,
  cluster?: Cluster,
  store?: DiskStore,
  observed?: NodeMetrics,
): Promise<string> {
  const st = broker.stats;
  const e = new Exposition();
  const now = broker.env.clock.now();
  e.metric(
    'mqttlab_uptime_seconds',
    'gauge',
    'Seconds since this broker started.',
    (now - broker.startedAt) / 1000,
  );
  e.metric('mqttlab_connections', 'gauge', 'Clients connected (CONNECT accepted).', st.connectedCount);
  e.metric(
    'mqttlab_sockets',
    'gauge',
    'Open client transport connections, including those not yet connected.',
    broker.connections.size,
  );
  e.metric('mqttlab_connects_total', 'counter', 'CONNECT packets answered, by result.', [
    [{ result: 'accepted' }, st.connectsAccepted],
    [{ result: 'rejected' }, st.connectsRejected],
  ]);
  e.metric(
    'mqttlab_disconnects_by_server_total',
    'counter',
    'Connections closed by the broker, by v5 reason code.',
    Object.entries(st.closedByReason)
      .sort()
      .map(([rc, n]) => [{ reason: rc }, n]),
  );
  e.metric(
    'mqttlab_messages_received_total',
    'counter',
    'PUBLISH packets received from clients.',
    st.messagesIn,
  );
  e.metric('mqttlab_messages_sent_total', 'counter', 'PUBLISH packets sent to clients.', st.messagesOut);
  e.metric(
    'mqttlab_messages_forwarded_total',
    'counter',
    'Messages forwarded between cluster nodes, by direction.',
    [
      [{ direction: 'out' }, cluster?.stats.forwardedOut ?? 0],
      [{ direction: 'in' }, cluster?.stats.forwardedIn ?? 0],
    ],
  );
  e.metric(
    'mqttlab_messages_dropped_total',
    'counter',
    'Messages not delivered, by reason.',
    Object.entries(st.dropped)
      .sort()
      .map(([reason, n]) => [{ reason }, n]),
  );
  e.metric('mqttlab_packets_received_total', 'counter', 'MQTT packets received.', st.packetsIn);
  e.metric('mqttlab_packets_sent_total', 'counter', 'MQTT packets sent.', st.packetsOut);
  e.metric('mqttlab_bytes_received_total', 'counter', 'Bytes received from clients.', st.bytesIn);
  e.metric('mqttlab_bytes_sent_total', 'counter', 'Bytes sent to clients.', st.bytesOut);
  e.metric('mqttlab_wills_published_total', 'counter', 'Will messages published.', st.willsPublished);
  e.metric(
    'mqttlab_sessions_expired_total',
    'counter',
    'Sessions removed by Session Expiry.',
    st.sessionsExpired,
  );
  e.metric(
    'mqttlab_takeovers_total',
    'counter',
    'Connections taken over by a newer one with the same client id.',
    st.takeovers,
  );
  let queued = 0;
  let inflight = 0;
  let deepest = 0;
  for (const s of broker.sessions.values()) {
    queued += s.queued;
    inflight += s.inflight.size;
    if (s.queued > deepest) deepest = s.queued;
  }
  const limits = broker.config.limits;
  e.metric(
    'mqttlab_connections_limit',
    'gauge',
    'limits.maxConnections: CONNECTs beyond it are refused.',
    limits.maxConnections,
  );
  e.metric('mqttlab_sessions', 'gauge', 'Sessions held by this node, by state.', [
    [{ state: 'connected' }, st.connectedCount],
    [{ state: 'offline' }, broker.sessions.size - st.connectedCount],
  ]);
  e.metric('mqttlab_queued_messages', 'gauge', 'Messages waiting in session queues.', queued);
  e.metric('mqttlab_session_queue_max', 'gauge', 'Messages waiting in the fullest session queue.', deepest);
  e.metric(
    'mqttlab_session_queue_limit',
    'gauge',
    'limits.maxQueuedMessages: a session queue beyond it drops by session.dropPolicy.',
    limits.maxQueuedMessages,
  );
  e.metric(
    'mqttlab_inflight_messages',
    'gauge',
    'QoS 1/2 messages sent and not yet acknowledged by clients.',
    inflight,
  );
  e.metric(
    'mqttlab_subscriptions',
    'gauge',
    'Subscriptions of sessions on this node.',
    broker.subscriptions.subscriptionCount,
  );
  e.metric('mqttlab_retained_messages', 'gauge', 'Retained messages.', broker.retained.size);
  e.metric(
    'mqttlab_routes',
    'gauge',
    "Routes: cluster route table entries (topic filter, node), or this node's filters.",
    cluster ? cluster.routes.size : [...broker.subscriptions.routeKeys()].length,
  );
  if (cluster) {
    const cs = cluster.stats;
    e.metric(
      'mqttlab_cluster_netsplits_detected_total',
      'counter',
      'Peers found unreachable.',
      cs.netsplitsDetected,
    );
    e.metric(
      'mqttlab_cluster_netsplits_healed_total',
      'counter',
      'Unreachable peers reached again.',
      cs.netsplitsHealed,
    );
    e.metric('mqttlab_cluster_autocleaned_total', 'counter', 'Peers removed by autoclean.', cs.autocleaned);
    e.metric(
      'mqttlab_cluster_quorum_held_total',
      'counter',
      "Ack mode 'quorum': publishes whose acknowledgement was held for lack of a reachable majority.",
      cs.quorumHeld,
    );
    e.metric('mqttlab_cluster_handoffs_total', 'counter', 'Sessions handed between nodes, by direction.', [
      [{ direction: 'out' }, cs.handoffsOut],
      [{ direction: 'in' }, cs.handoffsIn],
    ]);
    e.metric(
      'mqttlab_cluster_auth_failures_total',
      'counter',
      'Peer handshakes that failed authentication.',
      cs.authFailures,
    );
    e.metric(
      'mqttlab_cluster_bad_frames_total',
      'counter',
      'Malformed peer frames (the link is cut).',
      cs.badFrames,
    );
    const peers = cluster.status().filter((m) => m.node !== cluster.node);
    e.metric(
      'mqttlab_cluster_peer_up',
      'gauge',
      '1 while the link to the peer is up (state running), else 0.',
      peers.map((m) => [{ peer: m.node }, m.state === 'running' ? 1 : 0]),
    );
    const states = ['running', 'unreachable', 'stopped', 'left'];
    e.metric(
      'mqttlab_cluster_peer_state',
      'gauge',
      'Membership state of each peer as seen here (1 for the current state).',
      peers.flatMap((m) =>
        states.map((s): [Labels, number] => [{ peer: m.node, state: s }, m.state === s ? 1 : 0]),
      ),
    );
    linkMetrics(e, cluster.links?.status() ?? []);
  }
  if (store) {
    e.metric(
      'mqttlab_store_keys',
      'gauge',
      'Records in the data dir (sessions, owed messages, retained messages).',
      store.size,
    );
    e.metric('mqttlab_store_batches_total', 'counter', 'Batches written with fsync.', store.batches);
    e.metric('mqttlab_store_ops_total', 'counter', 'Puts and deletes written.', store.opsWritten);
  }
  const ext = broker.env.storage instanceof ExternalStorage ? broker.env.storage.stats : null;
  if (ext) {
    const held = 'Session store (Redis): acknowledgements waiting for a write (store.maxHeld bounds it).';
    e.metric('mqttlab_session_store_held', 'gauge', held, ext.held);
    e.metric(
      'mqttlab_session_store_held_peak',
      'gauge',
      'The most acknowledgements held at once.',
      ext.heldPeak,
    );
    e.metric('mqttlab_session_store_held_bytes', 'gauge', 'Bytes written, not yet confirmed.', ext.heldBytes);
    e.metric('mqttlab_session_store_batches_total', 'counter', 'Transactions written.', ext.batches);
    e.metric(
      'mqttlab_session_store_failures_total',
      'counter',
      'Transactions failed (retried).',
      ext.failures,
    );
  }
  if (observed) {
    const o = observed;
    e.histogram(
      'mqttlab_delivery_latency_seconds',
      'From a message entering the cluster to its PUBLISH written to a subscriber, by QoS of the delivery (retained messages sent on subscribe excluded).',
      o.delivery.map((h, qos): [Labels, Histogram] => [{ qos: String(qos) }, h]),
    );
    if (store)
      e.histogram(
        'mqttlab_store_fsync_seconds',
        'Data dir batches: write and fsync time of one group commit.',
        [[{}, o.fsync]],
      );
    if (cluster)
      e.histogram(
        'mqttlab_cluster_peer_ack_seconds',
        'Peer round trip: a reliable frame (forward, handoff, replica) sent to its acknowledgement (includes the delayed ack of up to 5 ms).',
        [...o.peerAck]
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([peer, h]): [Labels, Histogram] => [{ peer }, h]),
      );
  }
  e.raw(await processMetrics());
  return e.text();
}

/** Cluster linking (docs/cluster-linking.md): this node's link to each other cluster. */
function linkMetrics(e: Exposition, links: LinkStatus[]): void {
  if (!links.length) return;
  const per = (f: (l: LinkStatus) => number): [Labels, number][] =>
    links.map((l) => [{ link: l.name }, f(l)]);
  e.metric(
    'mqttlab_link_up',
    'gauge',
    "1 while this node's link to the cluster is up, else 0.",
    per((l) => +(l.state === 'up')),
  );
  e.metric(
    'mqttlab_link_routes',
    'gauge',
    'Topic filters the linked cluster subscribes to.',
    per((l) => l.routes),
  );
  e.metric(
    'mqttlab_link_buffered',
    'gauge',
    'Messages waiting for the linked cluster (sent unacknowledged, or held while down).',
    per((l) => l.buffered),
  );
  e.metric(
    'mqttlab_link_messages_total',
    'counter',
    'Messages over the link, by direction (in: published here from it).',
    links.flatMap((l): [Labels, number][] => [
      [{ link: l.name, direction: 'out' }, l.sent],
      [{ link: l.name, direction: 'in' }, l.received],
    ]),
  );
  e.metric(
    'mqttlab_link_resent_total',
    'counter',
    'Messages sent again after a connection ended unacknowledged.',
    per((l) => l.resent),
  );
  e.metric(
    'mqttlab_link_dropped_total',
    'counter',
    "Messages dropped: the link's buffer was full.",
    per((l) => l.dropped),
  );
}
