// `runtime import-mosquitto mosquitto.conf`: a Mosquitto configuration file
// turned into an mqttlab config (YAML), with every directive it cannot map
// reported. The password and ACL files it names are used as they are
// (runtime/auth.ts reads `$7$`/`$6$` lines, core/acl.ts Mosquitto's ACL syntax).

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { ConfigError } from '../core/config.ts';
import { readText } from '../cli/errors.ts';
import { runtimeConfig } from './config.ts';

export interface ImportResult {
  /** mqttlab config overrides (validated by runtimeConfig). */
  config: Record<string, any>;
  /** Directives not mapped, with why: "line 12: bridge_protocol_version: bridges are not supported". */
  skipped: string[];
  /** Mapped with a difference worth knowing. */
  notes: string[];
}

const UNSUPPORTED: Record<string, string> = {
  connection: 'bridges are not supported (cluster the nodes instead)',
  address: 'bridges are not supported',
  topic: 'bridges are not supported',
  include_dir: 'include_dir is not followed: import each file',
  auth_plugin: 'plugins are not supported',
  plugin: 'plugins are not supported',
  plugin_opt: 'plugins are not supported',
  psk_file: 'TLS-PSK is not supported',
  psk_hint: 'TLS-PSK is not supported',
  mount_point: 'mount points are not supported',
  use_username_as_clientid: 'not supported',
  use_identity_as_username: 'implied by tls.requireClientCert (the certificate CN is the user name)',
  use_subject_as_username: 'not supported (the certificate CN is the user name)',
  http_dir: 'the WebSocket listener serves no files',
  websockets_log_level: 'not supported',
  log_dest: 'logs go to stdout/stderr (log.format text or json)',
  log_timestamp: 'log lines always carry an ISO timestamp',
  log_timestamp_format: 'log lines always carry an ISO timestamp',
  connection_messages: 'connections are not logged one by one',
  autosave_interval: 'the data dir is written at once (fsync per group commit)',
  autosave_on_changes: 'the data dir is written at once (fsync per group commit)',
  persistence_file: 'the data dir is a LevelDB directory, not one file',
  user: 'the process runs as whoever starts it',
  pid_file: 'no pid file',
  per_listener_settings: 'security settings apply to every listener',
  upgrade_outgoing_qos: 'not supported',
  check_retain_source: 'not supported',
  clientid_prefixes: 'not supported (use the ACL)',
  max_inflight_bytes: 'only a message count bound (limits.maxInflight)',
  max_queued_bytes: 'only a message count bound (limits.maxQueuedMessages)',
  memory_limit: 'not supported (limits bound queues and connections)',
  ciphers: 'Node.js default TLS ciphers',
  tls_version: 'TLS 1.2 and 1.3',
};

const num = (v: string, line: number, key: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new ConfigError([`line ${line}: ${key}: expected a number (got ${JSON.stringify(v)})`]);
  return n;
};
const bool = (v: string, line: number, key: string): boolean => {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError([`line ${line}: ${key}: expected true or false (got ${JSON.stringify(v)})`]);
};

/** Maps mosquitto.conf text; `dir` resolves relative file names (Mosquitto resolves them against its cwd). */
export function importMosquitto(text: string, dir = '.'): ImportResult {
  const cfg: Record<string, any> = { listeners: { tcp: { enabled: false }, ws: { enabled: false } } };
  const skipped: string[] = [];
  const notes: string[] = [];
  const set = (p: string, v: unknown) => {
    const keys = p.split('.');
    let o = cfg;
    for (const k of keys.slice(0, -1)) o = o[k] ??= {};
    o[keys[keys.length - 1]] = v;
  };
  const file = (f: string) => (path.isAbsolute(f) ? f : path.join(dir, f));
  // The listener the following per-listener directives belong to.
  type L = { port: number; host?: string; protocol: 'mqtt' | 'websockets'; tls: boolean; line: number };
  const listeners: L[] = [];
  let cur: L | null = null;
  let persistence = false;
  let location = '/var/lib/mosquitto/';
  let sawListener = false;
  const tls: Record<string, string | boolean> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [key, ...args] = line.split(/\s+/);
    const v = args.join(' ');
    switch (key) {
      case 'listener': {
        sawListener = true;
        cur = { port: num(args[0], n, key), host: args[1], protocol: 'mqtt', tls: false, line: n };
        listeners.push(cur);
        return;
      }
      case 'port':
        cur ??= { port: 1883, protocol: 'mqtt', tls: false, line: n };
        if (!listeners.includes(cur)) listeners.push(cur);
        cur.port = num(v, n, key);
        return;
      case 'bind_address':
        if (cur) cur.host = v;
        else listeners.push((cur = { port: 1883, host: v, protocol: 'mqtt', tls: false, line: n }));
        return;
      case 'protocol':
        if (!cur) return void skipped.push(`line ${n}: protocol: no listener before it`);
        if (v !== 'mqtt' && v !== 'websockets')
          return void skipped.push(`line ${n}: protocol ${v}: only mqtt and websockets`);
        cur.protocol = v;
        return;
      case 'certfile':
      case 'keyfile':
      case 'cafile':
        tls[{ certfile: 'cert', keyfile: 'key', cafile: 'ca' }[key]] = file(v);
        if (cur) cur.tls = true;
        return;
      case 'capath':
        return void skipped.push(`line ${n}: capath: give one CA bundle file (cafile)`);
      case 'require_certificate':
        tls.requireClientCert = bool(v, n, key);
        return;
      case 'allow_anonymous':
        return set('security.allowAnonymous', bool(v, n, key));
      case 'password_file':
        return set('security.passwordFile', file(v));
      case 'acl_file':
        return set('security.aclFile', file(v));
      case 'max_inflight_messages': {
        const x = num(v, n, key);
        // Mosquitto: 0 = no limit; mqttlab's window is bounded.
        set('limits.maxInflight', x === 0 ? 65535 : x);
        return;
      }
      case 'max_queued_messages': {
        const x = num(v, n, key);
        set('limits.maxQueuedMessages', x === 0 ? 100_000_000 : x);
        return;
      }
      case 'queue_qos0_messages':
        return set('session.queueQos0', bool(v, n, key));
      case 'max_connections': {
        const x = num(v, n, key);
        if (x >= 0) set('limits.maxConnections', x);
        return;
      }
      case 'message_size_limit':
      case 'max_packet_size': {
        const x = num(v, n, key);
        if (x > 0) set('limits.maxPacketSize', Math.min(x, 268_435_455));
        return;
      }
      case 'max_keepalive':
        return set('limits.maxKeepalive', num(v, n, key));
      case 'retain_available':
        return set('features.retainAvailable', bool(v, n, key));
      case 'max_qos':
        return set('features.maximumQoS', num(v, n, key));
      case 'sys_interval':
        return set('sysInterval', num(v, n, key));
      case 'persistence':
        persistence = bool(v, n, key);
        return;
      case 'persistence_location':
        location = file(v);
        return;
      case 'persistent_client_expiration': {
        const m = /^(\d+)([hdwmy])$/.exec(v);
        if (!m)
          return void skipped.push(
            `line ${n}: persistent_client_expiration ${v}: expected a number and h, d, w, m or y`,
          );
        const sec =
          Number(m[1]) * { h: 3600, d: 86400, w: 7 * 86400, m: 30 * 86400, y: 365 * 86400 }[m[2] as 'h'];
        set('session.v3SessionExpiry', sec);
        notes.push(
          `line ${n}: persistent_client_expiration: MQTT 3.1.1 persistent sessions expire after ${sec} s (v5 clients choose their own Session Expiry)`,
        );
        return;
      }
      case 'log_type': {
        const lv =
          v === 'debug' || v === 'all'
            ? 'debug'
            : v === 'error'
              ? 'error'
              : v === 'warning'
                ? 'warn'
                : v === 'none'
                  ? 'silent'
                  : 'info';
        // Several log_type lines: the most verbose wins.
        const order = ['debug', 'info', 'warn', 'error', 'silent'];
        if (cfg.log?.level === undefined || order.indexOf(lv) < order.indexOf(cfg.log.level))
          set('log.level', lv);
        return;
      }
      default: {
        const why = UNSUPPORTED[key];
        skipped.push(`line ${n}: ${key}: ${why || 'no mqttlab equivalent'}`);
      }
    }
  });
  if (!sawListener && listeners.length === 0)
    listeners.push({ port: 1883, protocol: 'mqtt', tls: false, line: 0 });
  // Mosquitto 2 without any listener line listens on localhost only.
  if (!sawListener) for (const l of listeners) l.host ??= '127.0.0.1';
  const used = new Set<string>();
  for (const l of listeners) {
    const kind = l.protocol === 'websockets' ? (l.tls ? 'wss' : 'ws') : l.tls ? 'tls' : 'tcp';
    if (used.has(kind)) {
      skipped.push(
        `line ${l.line}: listener ${l.port}: a second ${kind} listener (mqttlab has one of each: tcp, tls, ws, wss)`,
      );
      continue;
    }
    used.add(kind);
    set(`listeners.${kind}`, {
      enabled: true,
      port: l.port,
      host: l.host ?? '0.0.0.0',
      ...(kind === 'ws' || kind === 'wss' ? { path: '/mqtt' } : {}),
    });
    if (kind === 'ws' || kind === 'wss')
      notes.push(
        `listener ${l.port} (${kind}): MQTT over WebSocket on path /mqtt (Mosquitto accepts any path)`,
      );
  }
  if (Object.keys(tls).length) set('tls', tls);
  if (persistence) {
    set('dataDir', location);
    notes.push(
      `persistence: sessions and retained messages in ${location} (a LevelDB directory; mosquitto.db is not read)`,
    );
  }
  if (cfg.security?.allowAnonymous === undefined) {
    // Mosquitto 2 refuses anonymous clients unless told otherwise; with no password file that is everybody,
    // which mqttlab refuses to start with. Only the localhost-only default setup is taken as anonymous.
    if (cfg.security?.passwordFile) {
      set('security.allowAnonymous', false);
      notes.push('allow_anonymous not set: false, as in Mosquitto 2');
    } else if (!sawListener) {
      set('security.allowAnonymous', true);
      notes.push(
        'no listener, no password_file: Mosquitto 2 serves nobody on 127.0.0.1:1883; imported as anonymous clients on 127.0.0.1 only',
      );
    } else {
      throw new ConfigError([
        'allow_anonymous is not set and there is no password_file: Mosquitto 2 refuses every client; add allow_anonymous true or a password_file',
      ]);
    }
  }
  if (cfg.security?.aclFile)
    notes.push(
      'acl_file: checked on SUBSCRIBE against the whole filter (Mosquitto checks each delivered topic): a subscription wider than the read rules is refused',
    );
  runtimeConfig(cfg); // throws a ConfigError naming what does not fit
  return { config: cfg, skipped, notes };
}

/** The CLI: YAML to stdout (or to outFile), the report to stderr. An unreadable file throws (exit 3). */
export function importMosquittoCommand(
  f: string,
  outFile: string | undefined,
  write: (s: string) => void,
  report: (s: string) => void,
): number {
  const text = readText('mosquitto.conf', f);
  const r = importMosquitto(text, path.dirname(path.resolve(f)));
  const yaml = `# Imported from ${f} by runtime import-mosquitto\n${stringify(r.config)}`;
  if (outFile) {
    writeFileSync(outFile, yaml);
    report(`wrote ${outFile}: start with runtime start --config ${outFile}`);
  } else write(yaml);
  for (const s of r.notes) report(`note: ${s}`);
  for (const s of r.skipped) report(`not imported: ${s}`);
  return 0;
}
