// The runtime's configuration file (YAML or JSON): listeners plus every
// broker key from core/config.ts. Every key has a default; unknown keys and
// bad values stop the start with a message naming each one.

import { parse as parseYaml } from 'yaml';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './log.ts';
import { readText } from '../cli/errors.ts';
import { DEFAULT_HELD_LIMITS } from '../core/external-storage.ts';
import { redisOptions, SENTINEL_SCHEME } from './redis-url.ts';
import {
  DEFAULT_LINK_BUFFER,
  linkConfigProblem,
  validClusterName,
  type LinkConfig,
} from '../core/link/config.ts';
import {
  brokerSchema,
  defaultBrokerConfig,
  mergeChecked,
  ConfigError,
  type BrokerConfig,
  type SecurityConfig,
} from '../core/config.ts';

export interface RuntimeConfig extends Omit<BrokerConfig, 'security'> {
  listeners: {
    /**
     * proxyProtocol: connections start with a PROXY v1/v2 header (HAProxy `send-proxy`/`send-proxy-v2`);
     * 'optional': those that start with one (anyone reaching the port can then claim any address).
     */
    tcp: { enabled: boolean; host: string; port: number; proxyProtocol: boolean | 'optional' };
    ws: { enabled: boolean; host: string; port: number; path: string };
    /** MQTT over TLS; needs tls.cert and tls.key. */
    tls: { enabled: boolean; host: string; port: number };
    /** MQTT over secure WebSocket; needs tls.cert and tls.key. */
    wss: { enabled: boolean; host: string; port: number; path: string };
  };
  /** Log lines: the lowest level written and text or JSON lines (runtime/log.ts). */
  log: { level: LogLevel; format: LogFormat };
  /** Certificate files (PEM paths) of the TLS and WSS listeners. */
  tls: RuntimeTlsConfig;
  security: RuntimeSecurityConfig;
  /** Bytes a client may leave unread before it is disconnected as a slow consumer. */
  maxWriteBuffer: number;
  cluster: RuntimeClusterConfig;
  admin: RuntimeAdminConfig;
  /** Directory of the embedded store (persistent sessions, retained messages; clustered nodes too, see docs/durability.md); '' = memory only. */
  dataDir: string;
  store: RuntimeStoreConfig;
  shutdown: RuntimeShutdownConfig;
}

/** Where persistent sessions, their queues and retained messages live (docs/redis-store.md). */
export interface RuntimeStoreConfig {
  /** 'memory': this node only (or dataDir); 'redis': a Redis shared by every node (clustered or not). */
  kind: 'memory' | 'redis';
  /** redis://[:password@]host:port/db of the Redis server, or redis+sentinel://[:password@]host:port[,host:port...]/<master>/db through Redis Sentinel. */
  url: string;
  /** Prepended to every Redis key: several brokers (or tests) can share one Redis. */
  keyPrefix: string;
  /** How long a CONNECT waits for its session from the store before CONNACK 0x88 (Server Unavailable). */
  loadTimeoutMs: number;
  /** Acknowledgements held while the store is unreachable or slow; past it QoS 1/2 publishes are refused (v5: PUBACK 0x97, 3.1.1: closed). */
  maxHeld: number;
  /** Bytes written and not yet confirmed by the store; past it QoS 1/2 publishes are refused as with maxHeld. */
  maxHeldBytes: number;
}

/** Graceful stop on SIGTERM/SIGINT (runtime/server.ts). */
export interface RuntimeShutdownConfig {
  /** /health answers 503 this long before listeners close, so load balancers stop sending clients. */
  drainMs: number;
  /** Clustered: how long to wait for peers to confirm the sessions' latest state before stopping. */
  handoffTimeoutMs: number;
  /** When set, v5 clients get DISCONNECT 0x9C (use another server) with this Server Reference instead of 0x8B. */
  serverReference: string;
}

export interface RuntimeTlsConfig {
  cert: string;
  key: string;
  /** CA bundle that client certificates must chain to. */
  ca: string;
  /** Refuse TLS clients without a certificate signed by `ca`; the certificate's CN is then the user name (no password asked). */
  requireClientCert: boolean;
}

/** Core limits (core/config.ts SecurityConfig) plus the files the runtime reads. */
export interface RuntimeSecurityConfig extends SecurityConfig {
  /** `user:scrypt$N$r$p$salt$hash` lines (`runtime passwd FILE USER` writes them); '' = no password check. */
  passwordFile: string;
  /** ACL rules (docs/security.md; Mosquitto's ACL syntax works too); '' = everything allowed. */
  aclFile: string;
  /** Verdict when no ACL rule matches. */
  aclDefault: 'allow' | 'deny';
  /** Clients without a user name: 'auto' = allowed only when no passwordFile is set. */
  allowAnonymous: boolean | 'auto';
}

/** TLS on peer links (mutual: both ends present a certificate signed by `ca`), under the HMAC handshake. */
export interface RuntimePeerTlsConfig {
  enabled: boolean;
  cert: string;
  key: string;
  ca: string;
}

/** The admin HTTP API (runtime/admin.ts). */
export interface RuntimeAdminConfig {
  enabled: boolean;
  /** Bind address; a non-loopback one requires a token. */
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Bearer token required on every request when not empty. */
  token: string;
}

/** Whether `h` names the loopback interface only. */
export function isLoopbackHost(h: string): boolean {
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Clustering over TCP (see core/cluster/cluster.ts). */
export interface RuntimeClusterConfig {
  enabled: boolean;
  /** Bind address of the peer listener. */
  host: string;
  /** Peer listener port (0 = any free port; then other nodes cannot list it as a seed). */
  port: number;
  /** The "host:port" other nodes dial to reach this one; '' = 127.0.0.1:<port>. */
  advertise: string;
  /** Shared secret of the cluster; required when enabled. */
  secret: string;
  /** static: `seeds` are every node of the cluster; manual: `seeds` are only nodes to contact to join; dns: members come from `dnsName`. */
  discovery: 'static' | 'manual' | 'dns';
  /** DNS discovery: an SRV name (`_cluster._tcp.mqttlab-headless.ns.svc.cluster.local`: targets' first label = node name) or an A/AAAA name (node name = address). */
  dnsName: string;
  /** DNS discovery: lookup interval. */
  dnsIntervalMs: number;
  /** DNS discovery: a node absent from DNS this long and unreachable is forced out of the cluster. */
  dnsForgetMs: number;
  /** `name@host:port` entries; this node may be among them. */
  seeds: string[];
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  autocleanMs: number;
  /** 'replicated': PUBACK/PUBREC once peers confirmed the message; 'local': once routed here; 'quorum': once a majority holds it. */
  ackMode: 'replicated' | 'local' | 'quorum';
  /** VerneMQ-style consistency switches: false refuses connects / publishes / subscribes during a netsplit. */
  allowRegisterDuringNetsplit: boolean;
  allowPublishDuringNetsplit: boolean;
  allowSubscribeDuringNetsplit: boolean;
  /** core: part of the full mesh and its membership; replicant: links to the cores (its seeds) only, added and removed freely (docs/replicants.md). */
  role: 'core' | 'replicant';
  tls: RuntimePeerTlsConfig;
  /** Cluster linking (docs/cluster-linking.md): this cluster's name, as linked clusters know it. */
  name: string;
  /** Clusters this one exchanges messages with: { name, address: "host:port[,host:port...]", secret }. */
  links: LinkConfig[];
  /** Port on `host` where this node accepts links from the other clusters' nodes (0 = any free port). */
  linkPort: number;
  /** Messages kept per link while it is down or unacknowledged; newer ones beyond are dropped, counted. */
  linkBuffer: number;
}

const port = (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535
    ? null
    : 'must be a port number 0-65535';
const host = (v: unknown) =>
  typeof v === 'string' && v.length > 0 ? null : 'must be a host name or address';
const bool = (v: unknown) => (typeof v === 'boolean' ? null : 'must be true or false');
const path = (v: unknown) => (typeof v === 'string' && v.startsWith('/') ? null : 'must start with /');
const bytes = (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 65536 ? null : 'must be an integer >= 65536';
const int = (min: number, max: number) => (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
    ? null
    : `must be an integer in [${min}, ${max}]`;
const str = (v: unknown) => (typeof v === 'string' ? null : 'must be a string');
const hostPort = (v: unknown) =>
  v === '' || (typeof v === 'string' && parseHostPort(v) !== null)
    ? null
    : 'must be "host:port" (or empty for 127.0.0.1:<port>)';
const discovery = (v: unknown) =>
  v === 'static' || v === 'manual' || v === 'dns' ? null : 'must be one of static, manual, dns';
const seeds = (v: unknown) => {
  if (!Array.isArray(v)) return 'must be a list of "name@host:port" strings';
  const bad = v.filter((x) => parseSeed(x) === null);
  if (bad.length)
    return `must be a list of "name@host:port" strings; bad: ${bad.map((x) => JSON.stringify(x)).join(', ')}`;
  const names = v.map((x) => parseSeed(x)!.node);
  const dup = names.filter((n, i) => names.indexOf(n) !== i);
  return dup.length ? `node ${JSON.stringify(dup[0])} listed twice` : null;
};

/** "host:port" or "[v6]:port" → parts; null if malformed (port must be 1-65535). */
export function parseHostPort(s: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:@/\[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2], port };
}

/** "name@host:port" → seed; null if malformed. */
export function parseSeed(s: unknown): { node: string; address: string } | null {
  if (typeof s !== 'string') return null;
  const at = s.indexOf('@');
  if (at < 0) return null;
  const node = s.slice(0, at);
  const address = s.slice(at + 1);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(node) || parseHostPort(address) === null) return null;
  return { node, address };
}

/** The core's limits but maxWriteBuffer, a top-level key here (brokerPart puts it back). */
const { maxWriteBuffer: _coreMaxWriteBuffer, ...runtimeLimits } = brokerSchema.limits as Record<
  string,
  unknown
>;

export const runtimeSchema: Record<string, unknown> = {
  ...brokerSchema,
  limits: runtimeLimits,
  listeners: {
    tcp: {
      enabled: bool,
      host,
      port,
      proxyProtocol: (v: unknown) =>
        typeof v === 'boolean' || v === 'optional' ? null : 'must be true, false or optional',
    },
    ws: { enabled: bool, host, port, path },
    tls: { enabled: bool, host, port },
    wss: { enabled: bool, host, port, path },
  },
  tls: { cert: str, key: str, ca: str, requireClientCert: bool },
  log: {
    level: (v: unknown) =>
      (LOG_LEVELS as readonly unknown[]).includes(v) ? null : `must be one of ${LOG_LEVELS.join(', ')}`,
    format: (v: unknown) =>
      (LOG_FORMATS as readonly unknown[]).includes(v) ? null : `must be one of ${LOG_FORMATS.join(', ')}`,
  },
  security: {
    ...(brokerSchema.security as Record<string, unknown>),
    passwordFile: str,
    aclFile: str,
    aclDefault: (v: unknown) => (v === 'allow' || v === 'deny' ? null : 'must be allow or deny'),
    allowAnonymous: (v: unknown) =>
      typeof v === 'boolean' || v === 'auto' ? null : 'must be true, false or auto',
  },
  maxWriteBuffer: bytes,
  cluster: {
    enabled: bool,
    host,
    port,
    advertise: hostPort,
    secret: str,
    discovery,
    seeds,
    heartbeatIntervalMs: int(10, 600_000),
    heartbeatTimeoutMs: int(50, 3_600_000),
    autocleanMs: int(1000, 30 * 86_400_000),
    ackMode: (v: unknown) =>
      v === 'replicated' || v === 'local' || v === 'quorum' ? null : 'must be replicated, local or quorum',
    allowRegisterDuringNetsplit: bool,
    allowPublishDuringNetsplit: bool,
    allowSubscribeDuringNetsplit: bool,
    role: (v: unknown) => (v === 'core' || v === 'replicant' ? null : 'must be core or replicant'),
    dnsName: str,
    dnsIntervalMs: int(100, 3_600_000),
    dnsForgetMs: int(0, 30 * 86_400_000),
    tls: { enabled: bool, cert: str, key: str, ca: str },
    name: (v: unknown) => (v === '' || validClusterName(v) ? null : 'must be letters, digits, - and _'),
    links: (v: unknown) =>
      Array.isArray(v) && v.every((l) => typeof l === 'object' && l !== null && !Array.isArray(l))
        ? null
        : 'must be a list of { name, address, secret }',
    linkPort: port,
    linkBuffer: int(1, 10_000_000),
  },
  admin: { enabled: bool, host, port, token: str },
  dataDir: str,
  store: {
    kind: (v: unknown) => (v === 'memory' || v === 'redis' ? null : 'must be memory or redis'),
    url: (v: unknown) => {
      if (typeof v !== 'string' || (v !== '' && !/^(rediss?|redis\+sentinel):\/\/[^\s]+$/.test(v)))
        return 'must be a redis://host:port/db or redis+sentinel://host:port,.../master/db URL (or empty)';
      const o = v.startsWith(SENTINEL_SCHEME) ? redisOptions(v, {}) : null;
      return typeof o === 'string' ? o : null;
    },
    keyPrefix: str,
    loadTimeoutMs: int(10, 600_000),
    maxHeld: int(1, 10_000_000),
    maxHeldBytes: int(1024, 2 ** 40),
  },
  shutdown: { drainMs: int(0, 600_000), handoffTimeoutMs: int(0, 600_000), serverReference: str },
};

export function defaultRuntimeConfig(): RuntimeConfig {
  const b = defaultBrokerConfig();
  return {
    ...b,
    listeners: {
      tcp: { enabled: true, host: '0.0.0.0', port: 1883, proxyProtocol: false },
      ws: { enabled: true, host: '0.0.0.0', port: 8083, path: '/mqtt' },
      tls: { enabled: false, host: '0.0.0.0', port: 8883 },
      wss: { enabled: false, host: '0.0.0.0', port: 8084, path: '/mqtt' },
    },
    tls: { cert: '', key: '', ca: '', requireClientCert: false },
    log: { level: 'info', format: 'text' },
    security: { ...b.security, passwordFile: '', aclFile: '', aclDefault: 'deny', allowAnonymous: 'auto' },
    maxWriteBuffer: 16 * 1024 * 1024,
    cluster: {
      enabled: false,
      host: '0.0.0.0',
      port: 4370,
      advertise: '',
      secret: '',
      discovery: 'static',
      seeds: [],
      heartbeatIntervalMs: 1000,
      heartbeatTimeoutMs: 5000,
      autocleanMs: 300_000,
      ackMode: 'replicated',
      allowRegisterDuringNetsplit: true,
      allowPublishDuringNetsplit: true,
      allowSubscribeDuringNetsplit: true,
      role: 'core',
      dnsName: '',
      dnsIntervalMs: 5000,
      dnsForgetMs: 60_000,
      tls: { enabled: false, cert: '', key: '', ca: '' },
      name: '',
      links: [],
      linkPort: 4380,
      linkBuffer: DEFAULT_LINK_BUFFER,
    },
    admin: { enabled: false, host: '127.0.0.1', port: 18083, token: '' },
    dataDir: '',
    store: {
      kind: 'memory',
      url: '',
      keyPrefix: 'mqttlab:',
      loadTimeoutMs: 5000,
      maxHeld: DEFAULT_HELD_LIMITS.maxHeld,
      maxHeldBytes: DEFAULT_HELD_LIMITS.maxHeldBytes,
    },
    shutdown: { drainMs: 0, handoffTimeoutMs: 5000, serverReference: '' },
  };
}

/** Mosquitto directive → mqttlab key, for hints on an unknown key. */
const MOSQUITTO_KEYS: Record<string, string> = {
  max_queued_messages: 'limits.maxQueuedMessages',
  max_inflight_messages: 'limits.maxInflight',
  max_connections: 'limits.maxConnections',
  message_size_limit: 'limits.maxPacketSize',
  max_packet_size: 'limits.maxPacketSize',
  max_keepalive: 'limits.maxKeepalive',
  allow_anonymous: 'security.allowAnonymous',
  password_file: 'security.passwordFile',
  acl_file: 'security.aclFile',
  sys_interval: 'sysInterval',
  persistence: 'dataDir',
  persistence_location: 'dataDir',
  listener: 'listeners.tcp.port',
  queue_qos0_messages: 'session.queueQos0',
  retain_available: 'features.retainAvailable',
};

const camel = (k: string) => k.replace(/[_-]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** "a.b_c: unknown key" → the same with a hint: the camelCase key, a near spelling, or the Mosquitto directive's key. */
export function didYouMean(error: string, schema: Record<string, unknown> = runtimeSchema): string {
  const m = /^(.*): unknown key$/.exec(error);
  if (!m) return error;
  const parts = m[1].split('.');
  const key = parts.pop()!;
  let level: unknown = schema;
  for (const p of parts) level = (level as Record<string, unknown>)?.[p];
  if (typeof level !== 'object' || level === null) return error;
  const keys = Object.keys(level);
  const prefix = parts.length ? parts.join('.') + '.' : '';
  const c = camel(key);
  const exact = keys.find((k) => k.toLowerCase() === c.toLowerCase());
  if (exact) return `${error} (did you mean ${prefix}${exact}?)`;
  if (!prefix && MOSQUITTO_KEYS[key])
    return `${error} (Mosquitto's ${key} is ${MOSQUITTO_KEYS[key]} here; runtime import-mosquitto converts a mosquitto.conf)`;
  const near = keys
    .map((k) => [k, editDistance(c.toLowerCase(), k.toLowerCase())] as const)
    .sort((a, b) => a[1] - b[1])[0];
  if (near && near[1] <= Math.max(2, Math.floor(c.length / 4)))
    return `${error} (did you mean ${prefix}${near[0]}?)`;
  return error;
}

export function runtimeConfig(overrides?: unknown): RuntimeConfig {
  const checked = mergeChecked(runtimeSchema, defaultRuntimeConfig(), overrides);
  const value = checked.value;
  const errors = checked.errors.map((e) => didYouMean(e));
  const c = value.cluster;
  if (c.enabled) {
    if (c.secret === '')
      errors.push(
        'cluster.secret: required when clustering is enabled (config file, --cluster-secret or MQTTLAB_CLUSTER_SECRET); every node of the cluster needs the same one',
      );
    if (c.role === 'replicant' && (c.discovery !== 'static' || c.seeds.length === 0))
      errors.push(
        'cluster.role: a replicant needs static discovery with cluster.seeds (--seeds) naming the cores, and only them',
      );
    if (c.discovery === 'dns' && c.dnsName === '')
      errors.push(
        'cluster.dnsName: required with cluster.discovery: dns (e.g. _cluster._tcp.mqttlab-headless.default.svc.cluster.local)',
      );
    if (c.tls.enabled)
      for (const k of ['cert', 'key', 'ca'] as const)
        if (c.tls[k] === '')
          errors.push(
            `cluster.tls.${k}: required when cluster.tls.enabled (peers verify each other against the CA)`,
          );
    const lp = linkConfigProblem(c.name, c.links);
    if (lp) errors.push(lp);
    if (c.heartbeatTimeoutMs <= c.heartbeatIntervalMs)
      errors.push(
        `cluster.heartbeatTimeoutMs: must be greater than cluster.heartbeatIntervalMs (${c.heartbeatIntervalMs}) (got ${c.heartbeatTimeoutMs})`,
      );
  }
  if (!c.enabled && c.links.length)
    errors.push('cluster.links: needs clustering enabled (cluster.enabled, --cluster-port or --link)');
  const st = value.store;
  if (st.kind === 'redis' && st.url === '')
    errors.push(
      'store.url: required with store.kind: redis (e.g. redis://127.0.0.1:6379/0; --session-store)',
    );
  if (st.kind === 'redis' && value.dataDir !== '')
    errors.push('dataDir: not used with store.kind: redis (sessions live in Redis); remove one of them');
  const a = value.admin;
  if (a.enabled && a.token === '' && !isLoopbackHost(a.host)) {
    errors.push(
      `admin.token: required when the admin API listens on a non-loopback host (${a.host}) (config file, --admin-token or MQTTLAB_ADMIN_TOKEN)`,
    );
  }
  const l = value.listeners;
  const t = value.tls;
  if (l.tls.enabled || l.wss.enabled) {
    for (const k of ['cert', 'key'] as const)
      if (t[k] === '')
        errors.push(
          `tls.${k}: required when the ${l.tls.enabled ? 'tls' : 'wss'} listener is enabled (--tls-${k})`,
        );
  }
  if (t.requireClientCert && t.ca === '')
    errors.push(
      'tls.ca: required with tls.requireClientCert (the CA client certificates must chain to; --tls-ca)',
    );
  const sec = value.security;
  if (
    sec.allowAnonymous === false &&
    sec.passwordFile === '' &&
    !(t.requireClientCert && (l.tls.enabled || l.wss.enabled))
  ) {
    errors.push(
      'security.allowAnonymous: false needs security.passwordFile or client certificates (tls.requireClientCert with a tls/wss listener): nobody could connect',
    );
  }
  if (errors.length) throw new ConfigError(errors);
  return value;
}

/** Whether clients without a user name may connect under this configuration. */
export function anonymousAllowed(c: RuntimeConfig): boolean {
  const a = c.security.allowAnonymous;
  return a === 'auto' ? c.security.passwordFile === '' : a;
}

/** Reads a .yaml/.yml/.json config file into a plain object (not yet validated). */
export function readConfigFile(file: string): unknown {
  const text = readText('config file', file);
  // A mosquitto.conf ("listener 1883", "allow_anonymous true" lines) is no YAML mapping: say what to do with it.
  if (
    /^\s*(listener|port|allow_anonymous|password_file|acl_file|persistence|max_queued_messages|include_dir|log_dest)\s+\S/m.test(
      text,
    ) &&
    !/^\s*[A-Za-z_]+\s*:/m.test(text)
  ) {
    throw new ConfigError([
      `${file}: this is a Mosquitto configuration; convert it with: runtime import-mosquitto ${file} --out mqttlab.yaml`,
    ]);
  }
  try {
    return file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError([`${file}: cannot parse: ${(e as Error).message}`]);
  }
}

export function brokerPart(c: RuntimeConfig): BrokerConfig {
  const {
    listeners: _l,
    maxWriteBuffer: _m,
    cluster: _c,
    admin: _a,
    dataDir: _dd,
    store: _st,
    shutdown: _s,
    tls: _t,
    log: _lg,
    security,
    ...b
  } = c;
  const { passwordFile: _p, aclFile: _f, aclDefault: _d, allowAnonymous: _y, ...core } = security;
  return { ...b, limits: { ...b.limits, maxWriteBuffer: c.maxWriteBuffer }, security: core };
}
