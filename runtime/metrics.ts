// Prometheus text exposition (format 0.0.4) of a node's statistics, served
// by the admin API at GET /metrics.

import type { Broker } from '../core/broker.ts';
import type { Cluster } from '../core/cluster/cluster.ts';
import type { DiskStore } from './disk-store.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;

class Exposition {
  private out: string[] = [];

  metric(name: string, type: 'counter' | 'gauge', help: string, samples: [Labels, number][] | number): void {
    this.out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    const list: [Labels, number][] = typeof samples === 'number' ? [[{}, samples]] : samples;
    for (const [labels, v] of list) this.out.push(`${name}${fmtLabels(labels)} ${fmtValue(v)}`);
  }

  text(): string {
    return this.out.join('\n') + '\n';
  }
}

function fmtLabels(l: Labels): string {
  const ks = Object.keys(l);
  if (ks.length === 0) return '';
  return '{' + ks.map((k) => `${k}="${l[k].replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',') + '}';
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function renderMetrics(broker: Broker, cluster?: Cluster, store?: DiskStore): string {
  const st = broker.stats;
  const e = new Exposition();
  const now = broker.env.clock.now();
  e.metric('mqttlab_uptime_seconds', 'gauge', 'Seconds since this broker started.', (now - broker.startedAt) / 1000);
  e.metric('mqttlab_connections', 'gauge', 'Clients connected (CONNECT accepted).', st.connectedCount);
  e.metric('mqttlab_sockets', 'gauge', 'Open client transport connections, including those not yet connected.', broker.connections.size);
  e.metric('mqttlab_connects_total', 'counter', 'CONNECT packets answered, by result.', [
    [{ result: 'accepted' }, st.connectsAccepted],
    [{ result: 'rejected' }, st.connectsRejected],
  ]);
  e.metric('mqttlab_disconnects_by_server_total', 'counter', 'Connections closed by the broker, by v5 reason code.', Object.entries(st.closedByReason).sort().map(([rc, n]) => [{ reason: rc }, n]));
  e.metric('mqttlab_messages_received_total', 'counter', 'PUBLISH packets received from clients.', st.messagesIn);
  e.metric('mqttlab_messages_sent_total', 'counter', 'PUBLISH packets sent to clients.', st.messagesOut);
  e.metric('mqttlab_messages_forwarded_total', 'counter', 'Messages forwarded between cluster nodes, by direction.', [
    [{ direction: 'out' }, cluster?.stats.forwardedOut ?? 0],
    [{ direction: 'in' }, cluster?.stats.forwardedIn ?? 0],
  ]);
  e.metric('mqttlab_messages_dropped_total', 'counter', 'Messages not delivered, by reason.', Object.entries(st.dropped).sort().map(([reason, n]) => [{ reason }, n]));
  e.metric('mqttlab_packets_received_total', 'counter', 'MQTT packets received.', st.packetsIn);
  e.metric('mqttlab_packets_sent_total', 'counter', 'MQTT packets sent.', st.packetsOut);
  e.metric('mqttlab_bytes_received_total', 'counter', 'Bytes received from clients.', st.bytesIn);
  e.metric('mqttlab_bytes_sent_total', 'counter', 'Bytes sent to clients.', st.bytesOut);
  e.metric('mqttlab_wills_published_total', 'counter', 'Will messages published.', st.willsPublished);
  e.metric('mqttlab_sessions_expired_total', 'counter', 'Sessions removed by Session Expiry.', st.sessionsExpired);
  e.metric('mqttlab_takeovers_total', 'counter', 'Connections taken over by a newer one with the same client id.', st.takeovers);
  let queued = 0;
  let inflight = 0;
  for (const s of broker.sessions.values()) {
    queued += s.queued;
    inflight += s.inflight.size;
  }
  e.metric('mqttlab_sessions', 'gauge', 'Sessions held by this node, by state.', [
    [{ state: 'connected' }, st.connectedCount],
    [{ state: 'offline' }, broker.sessions.size - st.connectedCount],
  ]);
  e.metric('mqttlab_queued_messages', 'gauge', 'Messages waiting in session queues.', queued);
  e.metric('mqttlab_inflight_messages', 'gauge', 'QoS 1/2 messages sent and not yet acknowledged by clients.', inflight);
  e.metric('mqttlab_subscriptions', 'gauge', 'Subscriptions of sessions on this node.', broker.router.subscriptionCount);
  e.metric('mqttlab_retained_messages', 'gauge', 'Retained messages.', broker.retained.size);
  e.metric('mqttlab_routes', 'gauge', 'Routes: cluster route table entries (topic filter, node), or this node\'s filters.', cluster ? cluster.routes.size : [...broker.router.routeKeys()].length);
  if (cluster) {
    const cs = cluster.stats;
    e.metric('mqttlab_cluster_netsplits_detected_total', 'counter', 'Peers found unreachable.', cs.netsplitsDetected);
    e.metric('mqttlab_cluster_netsplits_healed_total', 'counter', 'Unreachable peers reached again.', cs.netsplitsHealed);
    e.metric('mqttlab_cluster_autocleaned_total', 'counter', 'Peers removed by autoclean.', cs.autocleaned);
    e.metric('mqttlab_cluster_handoffs_total', 'counter', 'Sessions handed between nodes, by direction.', [
      [{ direction: 'out' }, cs.handoffsOut],
      [{ direction: 'in' }, cs.handoffsIn],
    ]);
    e.metric('mqttlab_cluster_auth_failures_total', 'counter', 'Peer handshakes that failed authentication.', cs.authFailures);
    e.metric('mqttlab_cluster_bad_frames_total', 'counter', 'Malformed peer frames (the link is cut).', cs.badFrames);
    const peers = cluster.status().filter((m) => m.node !== cluster.node);
    e.metric('mqttlab_cluster_peer_up', 'gauge', '1 while the link to the peer is up (state running), else 0.', peers.map((m) => [{ peer: m.node }, m.state === 'running' ? 1 : 0]));
    const states = ['running', 'unreachable', 'stopped', 'left'];
    e.metric('mqttlab_cluster_peer_state', 'gauge', 'Membership state of each peer as seen here (1 for the current state).', peers.flatMap((m) => states.map((s): [Labels, number] => [{ peer: m.node, state: s }, m.state === s ? 1 : 0])));
  }
  if (store) {
    e.metric('mqttlab_store_keys', 'gauge', 'Records in the data dir (sessions, owed messages, retained messages).', store.size);
    e.metric('mqttlab_store_batches_total', 'counter', 'Batches written with fsync.', store.batches);
    e.metric('mqttlab_store_ops_total', 'counter', 'Puts and deletes written.', store.opsWritten);
  }
  return e.text();
}
